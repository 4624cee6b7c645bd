use super::*;
use crate::test_support::*;
use proptest::prelude::*;

const LIMITS: BatchLimits = BatchLimits { batch_bytes_max: 1 << 20, decompressed_bytes_max: 1 << 20 };

fn set_i32(batch: &mut [u8], at: usize, v: i32) {
    batch[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn invalid(batch: &[u8]) -> &'static str {
    match validate(batch, &LIMITS) {
        Err(BatchError::Invalid(why)) => why,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn valid_uncompressed_batch_passes() {
    let batch = encode_batch(5);
    let info = validate(&batch, &LIMITS).expect("valid");
    assert_eq!(info.record_count, 5);
    assert_eq!(info.last_offset_delta, 4);
    assert_eq!(info.compression, Compression::None);
    assert_eq!(split_batches(&batch).expect("split"), vec![0..batch.len()]);
}

#[test]
fn hand_encoding_matches_kafka_protocol_encoder() {
    let recs = sample_records(7);
    let by_encoder = encode_with_kafka_protocol(&recs);
    let by_hand = assemble(&Header::for_count(7), &records_section(&recs));
    assert_eq!(by_hand, by_encoder);
}

#[test]
fn flipped_byte_fails_crc() {
    let mut batch = encode_batch(3);
    let last = batch.len() - 1;
    batch[last] ^= 0xff;
    assert!(matches!(validate(&batch, &LIMITS), Err(BatchError::CrcMismatch { .. })));
}

#[test]
fn patching_base_offset_keeps_crc_valid() {
    let mut batch = encode_batch(3);
    patch_base_offset(&mut batch, 1234);
    assert!(verify_stored(&batch).is_ok());
    assert_eq!(i64::from_be_bytes(batch[0..8].try_into().expect("8 bytes")), 1234);
}

#[test]
fn log_append_time_recomputes_crc() {
    let mut batch = encode_batch(2);
    set_log_append_time(&mut batch, 42);
    let info = validate(&batch, &LIMITS).expect("still valid");
    assert!(info.log_append_time);
    assert_eq!(info.max_timestamp_ms, 42);
}

#[test]
fn produced_batch_needs_base_offset_zero() {
    // UnifiedLog.analyzeAndValidateRecords refuses client batches whose base
    // offset is not 0 (the broker assigns offsets); the field is outside the CRC.
    let mut batch = encode_batch(2);
    batch[7] = 5;
    assert_eq!(invalid(&batch), "a produced batch must have base offset 0");
    assert!(verify_stored(&batch).is_ok(), "a stored batch has its offset");
}

#[test]
fn size_limit_is_checked_before_the_crc() {
    let mut batch = encode_batch(50);
    let last = batch.len() - 1;
    batch[last] ^= 1;
    let limits = BatchLimits { batch_bytes_max: 100, decompressed_bytes_max: 1 << 20 };
    assert_eq!(validate(&batch, &limits), Err(BatchError::TooLarge { size_bytes: batch.len(), limit_bytes: 100 }));
}

#[test]
fn oversized_batch_is_refused() {
    let batch = encode_batch(50);
    let limits = BatchLimits { batch_bytes_max: 100, decompressed_bytes_max: 1 << 20 };
    assert!(matches!(validate(&batch, &limits), Err(BatchError::TooLarge { .. })));
}

// ---- compressed batches, one per codec as clients write them ----

#[test]
fn compressed_batches_are_accepted_for_every_codec() {
    // 8000 records inflate to ~170 KiB: several xerial blocks (32 KiB) and
    // several lz4 blocks (64 KiB).
    for count in [1usize, 3, 8000] {
        let plain = encode_batch(count);
        for codec in Codec::ALL {
            let batch = compress_batch(&plain, codec);
            let info = validate(&batch, &LIMITS).unwrap_or_else(|e| panic!("{codec:?} x{count}: {e}"));
            assert_eq!(info.record_count, count as i32, "{codec:?}");
            assert_eq!(info.compression, codec.compression());
            // The compressed body really is different from the records.
            assert_ne!(&batch[BATCH_HEADER_BYTES..], &plain[BATCH_HEADER_BYTES..]);
        }
    }
}

#[test]
fn xerial_batch_from_java_has_several_blocks() {
    let plain = encode_batch(5000);
    let records = &plain[BATCH_HEADER_BYTES..];
    assert!(records.len() > 2 * 32 * 1024, "test needs several xerial blocks");
    let framed = xerial(records, 32 * 1024);
    let batch = rebuild(&plain, 2, &framed);
    assert_eq!(validate(&batch, &LIMITS).expect("xerial").record_count, 5000);
}

#[test]
fn compressed_batch_stamped_with_log_append_time_stays_valid() {
    for codec in Codec::ALL {
        let mut batch = compress_batch(&encode_batch(4), codec);
        set_log_append_time(&mut batch, 99);
        let info = validate(&batch, &LIMITS).expect("valid");
        assert!(info.log_append_time && info.max_timestamp_ms == 99 && info.record_count == 4);
        patch_base_offset(&mut batch, 77);
        assert_eq!(parse_header(&batch), Ok(info));
    }
}

/// Bombs made of records, so they are not refused as malformed first: one
/// record of 64 MiB (refused from its stated length, before it is buffered),
/// and 40 000 small ones totalling 4.4 MiB (refused once 1 MiB has streamed
/// out). Either way, nothing like the limit is ever held.
#[test]
fn decompression_bomb_batches_are_refused_for_every_codec() {
    let huge = Rec { key: None, value: Some(vec![0; 64 * MIB]), headers: vec![], timestamp_delta: 0 };
    let big_one = (1, records_section(std::slice::from_ref(&huge)));
    let small = Rec { key: None, value: Some(vec![0; 100]), headers: vec![], timestamp_delta: 0 };
    let many = (40_000, records_section(&vec![small; 40_000]));
    let limits = BatchLimits { batch_bytes_max: usize::MAX, decompressed_bytes_max: MIB };
    for (count, section) in [big_one, many] {
        let plain = assemble(&Header::for_count(count), &section);
        for codec in Codec::ALL {
            let batch = rebuild(&plain, codec.id(), &codec.compress(&section));
            let mut result = None;
            let heap = allocation_counter::measure(|| result = Some(validate(&batch, &limits)));
            eprintln!("{codec:?} x{count}: {} bytes sent, peak heap {}", batch.len(), heap.bytes_max);
            assert_eq!(
                result.expect("ran"),
                Err(BatchError::Decompress(DecompressError::TooLarge { limit_bytes: MIB })),
                "{codec:?} x{count}"
            );
            assert!(heap.bytes_max < 192 * 1024, "{codec:?} x{count}: {} bytes", heap.bytes_max);
        }
    }
}

/// Validating a compressed batch holds only the record being checked, not
/// the inflated batch.
#[test]
fn compressed_validation_streams_the_records() {
    let plain = encode_batch(20_000); // ~0.5 MiB of records
    for codec in [Codec::Gzip, Codec::Lz4, Codec::Zstd] {
        let batch = compress_batch(&plain, codec);
        let mut result = None;
        let heap = allocation_counter::measure(|| result = Some(validate(&batch, &LIMITS)));
        assert_eq!(result.expect("ran").map(|i| i.record_count), Ok(20_000));
        assert!(heap.bytes_max < 192 * 1024, "{codec:?}: {} bytes", heap.bytes_max);
    }
}

/// A record split across decompressor chunks in every possible way.
#[test]
fn records_split_across_chunks_are_walked() {
    let recs: Vec<Rec> = (0..40)
        .map(|i| Rec {
            key: Some(vec![b'k'; i * 7]),
            value: Some(vec![b'v'; i * 300]),
            headers: vec![("h".into(), Some(vec![1; i]))],
            timestamp_delta: i as i64,
        })
        .collect();
    let section = records_section(&recs);
    for chunk in [1, 2, 3, 5, 7, 127, 128, 129, 1000, 16 * 1024] {
        let mut walker = RecordWalker::new(40, MIB);
        for piece in section.chunks(chunk) {
            walker.feed(piece).unwrap_or_else(|e| panic!("chunk {chunk}: {e}"));
        }
        walker.finish().unwrap_or_else(|e| panic!("chunk {chunk}: {e}"));
        // One record short, one too many.
        let mut short = RecordWalker::new(41, MIB);
        section.chunks(chunk).try_for_each(|p| short.feed(p)).expect("feed");
        assert_eq!(short.finish(), Err(BatchError::Invalid("bad record length")));
        let mut over = RecordWalker::new(39, MIB);
        let fed = section.chunks(chunk).try_for_each(|p| over.feed(p)).and_then(|()| over.finish());
        assert_eq!(fed, Err(BatchError::Invalid("bytes after the last record")));
        // Cut inside the last record.
        let mut cut = RecordWalker::new(40, MIB);
        section[..section.len() - 3].chunks(chunk).try_for_each(|p| cut.feed(p)).expect("feed");
        assert_eq!(cut.finish(), Err(BatchError::Invalid("record length runs past the batch")));
    }
}

#[test]
fn corrupt_compressed_batch_is_refused_as_corrupt() {
    let plain = encode_batch(20);
    for codec in Codec::ALL {
        let compressed = codec.compress(&plain[BATCH_HEADER_BYTES..]);
        // Cut short: every codec notices a missing tail.
        let truncated = rebuild(&plain, codec.id(), &compressed[..compressed.len() - 3]);
        assert!(
            matches!(validate(&truncated, &LIMITS), Err(BatchError::Decompress(DecompressError::Corrupt { .. }))),
            "{codec:?}: {:?}",
            validate(&truncated, &LIMITS)
        );
        // Garbage: never a panic, never accepted.
        let garbage = rebuild(&plain, codec.id(), &[0xA5; 300]);
        assert!(validate(&garbage, &LIMITS).is_err(), "{codec:?}");
    }
}

#[test]
fn compressed_payload_with_bad_records_is_invalid() {
    // Well-compressed bytes that are not the records the header counts.
    let plain = encode_batch(3);
    for codec in Codec::ALL {
        let mut records = plain[BATCH_HEADER_BYTES..].to_vec();
        records.push(0);
        let batch = rebuild(&plain, codec.id(), &codec.compress(&records));
        assert_eq!(invalid(&batch), "bytes after the last record", "{codec:?}");
    }
}

#[test]
fn unknown_compression_ids_are_refused() {
    let plain = encode_batch(1);
    for id in 5..=7 {
        let batch = rebuild(&plain, id, &plain[BATCH_HEADER_BYTES..]);
        assert_eq!(validate(&batch, &LIMITS), Err(BatchError::UnknownCompression(id)));
    }
}

// ---- framing ----

#[test]
fn every_truncation_is_refused() {
    let batch = encode_batch(4);
    for len in 0..batch.len() {
        assert_eq!(validate(&batch[..len], &LIMITS), Err(BatchError::Truncated), "prefix of {len}");
        assert_eq!(split_batches(&batch[..len]), if len == 0 { Ok(vec![]) } else { Err(BatchError::Truncated) });
    }
}

#[test]
fn batch_length_field_must_match() {
    let mut batch = encode_batch(2);
    for length in [-1, 0, 48, (batch.len() - 13) as i32, (batch.len() - 11) as i32, i32::MAX] {
        set_i32(&mut batch, 8, length);
        assert_eq!(validate(&batch, &LIMITS), Err(BatchError::Truncated), "length {length}");
    }
}

#[test]
fn wrong_magic_is_refused() {
    for magic in [0u8, 1, 3, 0xff] {
        let mut batch = encode_batch(2);
        batch[16] = magic;
        assert_eq!(validate(&batch, &LIMITS), Err(BatchError::UnsupportedMagic(magic as i8)));
        assert_eq!(split_batches(&batch), Err(BatchError::UnsupportedMagic(magic as i8)));
    }
}

#[test]
fn trailing_bytes_are_refused() {
    // Inside the batch, after the last record (length and CRC made consistent).
    let mut inside = encode_batch(3);
    inside.extend_from_slice(&[0, 0]);
    refresh_framing(&mut inside);
    assert_eq!(invalid(&inside), "bytes after the last record");

    // After the batch: not one batch any more, and not a second batch either.
    let mut after = encode_batch(3);
    after.push(0);
    assert_eq!(validate(&after, &LIMITS), Err(BatchError::Truncated));
    assert_eq!(split_batches(&after), Err(BatchError::Truncated));
}

#[test]
fn several_batches_split() {
    let a = encode_batch(2);
    let b = compress_batch(&encode_batch(3), Codec::Zstd);
    let set = [a.clone(), b.clone()].concat();
    let ranges = split_batches(&set).expect("split");
    assert_eq!(ranges, vec![0..a.len(), a.len()..a.len() + b.len()]);
    for r in ranges {
        validate(&set[r], &LIMITS).expect("each batch validates");
    }
}

// ---- counts and offsets ----

#[test]
fn record_count_mismatches_are_refused() {
    let recs = sample_records(3);
    let section = records_section(&recs);
    // Header says more records than there are.
    let more = assemble(&Header::for_count(4), &section);
    assert_eq!(invalid(&more), "bad record length");
    // Header says fewer.
    let fewer = assemble(&Header::for_count(2), &section);
    assert_eq!(invalid(&fewer), "bytes after the last record");
    // Count and last offset delta disagree.
    let skewed = assemble(&Header { last_offset_delta: 3, ..Header::for_count(3) }, &section);
    assert_eq!(invalid(&skewed), "last offset delta does not match the record count");
    // No records at all.
    let empty = assemble(&Header::for_count(0), &[]);
    assert_eq!(invalid(&empty), "batch holds no records");
    let negative = assemble(&Header::for_count(-5), &[]);
    assert_eq!(invalid(&negative), "batch holds no records");
}

#[test]
fn bad_offset_deltas_are_refused() {
    let recs = sample_records(3);
    for deltas in [[0, 2, 3], [1, 2, 3], [0, 0, 1], [0, 2, 1], [0, 1, -1]] {
        let mut section = Vec::new();
        for (d, r) in deltas.iter().zip(&recs) {
            put_record(&mut section, &record_body(*d, r));
        }
        let batch = assemble(&Header::for_count(3), &section);
        assert_eq!(invalid(&batch), "record offset deltas are not consecutive from 0", "{deltas:?}");
        // The same records compressed.
        for codec in Codec::ALL {
            let compressed = rebuild(&batch, codec.id(), &codec.compress(&section));
            assert_eq!(invalid(&compressed), "record offset deltas are not consecutive from 0");
        }
    }
}

#[test]
fn control_batch_from_a_client_is_refused() {
    let batch =
        assemble(&Header { attributes: ATTR_CONTROL, ..Header::for_count(1) }, &records_section(&sample_records(1)));
    assert_eq!(invalid(&batch), "clients may not produce control batches");
    // Also when transactional, as real control batches are.
    let txn = Header {
        attributes: ATTR_CONTROL | ATTR_TRANSACTIONAL,
        producer_id: 5,
        base_sequence: 0,
        ..Header::for_count(1)
    };
    let batch = assemble(&txn, &records_section(&sample_records(1)));
    assert_eq!(invalid(&batch), "clients may not produce control batches");
}

#[test]
fn idempotent_batch_needs_a_base_sequence() {
    let section = records_section(&sample_records(2));
    let without = assemble(&Header { producer_id: 9, producer_epoch: 0, ..Header::for_count(2) }, &section);
    assert_eq!(invalid(&without), "idempotent batch without a base sequence");
    let with =
        assemble(&Header { producer_id: 9, producer_epoch: 0, base_sequence: 10, ..Header::for_count(2) }, &section);
    let info = validate(&with, &LIMITS).expect("idempotent batch");
    assert!(info.is_idempotent());
    assert_eq!(info.last_sequence(), 11);
    let txn = Header {
        attributes: ATTR_TRANSACTIONAL,
        producer_id: 9,
        producer_epoch: 0,
        base_sequence: 0,
        ..Header::for_count(2)
    };
    assert!(validate(&assemble(&txn, &section), &LIMITS).expect("transactional").transactional);
}

#[test]
fn last_sequence_wraps_like_kafka() {
    let info = |base_sequence, last_offset_delta: i32| BatchInfo {
        size_bytes: 0,
        compression: Compression::None,
        log_append_time: false,
        transactional: false,
        control: false,
        last_offset_delta,
        base_timestamp_ms: 0,
        max_timestamp_ms: 0,
        producer_id: 1,
        producer_epoch: 0,
        base_sequence,
        record_count: last_offset_delta.wrapping_add(1),
    };
    // DefaultRecordBatch.incrementSequence
    let kafka = |seq: i32, inc: i32| if seq > i32::MAX - inc { inc - (i32::MAX - seq) - 1 } else { seq + inc };
    for (seq, inc) in [(0, 0), (5, 3), (i32::MAX, 0), (i32::MAX, 1), (i32::MAX - 1, 3), (i32::MAX - 10, i32::MAX)] {
        assert_eq!(info(seq, inc).last_sequence(), kafka(seq, inc), "{seq} + {inc}");
    }
    assert_eq!(info(-1, 4).last_sequence(), -1);
}

// ---- record structure, as DefaultRecord.readFrom reads it ----

fn batch_of_bodies(bodies: &[Vec<u8>]) -> Vec<u8> {
    let mut section = Vec::new();
    for b in bodies {
        put_record(&mut section, b);
    }
    assemble(&Header::for_count(bodies.len() as i32), &section)
}

#[test]
fn record_structure_is_checked() {
    let rec = Rec { key: Some(b"key".to_vec()), value: Some(b"value".to_vec()), headers: vec![], timestamp_delta: 0 };
    let good = record_body(0, &rec);
    validate(&batch_of_bodies(std::slice::from_ref(&good)), &LIMITS).expect("good record");

    // A byte beyond the record's fields, inside its length.
    let mut long = good.clone();
    long.push(0);
    assert_eq!(invalid(&batch_of_bodies(&[long])), "record length does not match its fields");

    // Record length shorter than its fields.
    let short = good[..good.len() - 1].to_vec();
    assert_eq!(invalid(&batch_of_bodies(&[short])), "bad record header count");

    // Empty record.
    assert_eq!(invalid(&batch_of_bodies(&[vec![]])), "empty record");

    // Key longer than the record.
    let mut key_past = vec![0u8, 0, 0];
    put_varint(&mut key_past, 100);
    key_past.extend_from_slice(b"abc");
    assert_eq!(invalid(&batch_of_bodies(&[key_past])), "bad record key");

    // Negative header count.
    let mut neg_headers = vec![0u8, 0, 0, 1, 1];
    put_varint(&mut neg_headers, -2);
    assert_eq!(invalid(&batch_of_bodies(&[neg_headers])), "negative record header count");

    // Header key with a negative length.
    let mut neg_key = vec![0u8, 0, 0, 1, 1];
    put_varint(&mut neg_key, 1);
    put_varint(&mut neg_key, -1);
    put_varint(&mut neg_key, -1);
    assert_eq!(invalid(&batch_of_bodies(&[neg_key])), "negative record header key length");

    // A varint longer than 5 bytes.
    let overlong = vec![0u8, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 1, 1, 0];
    assert_eq!(invalid(&batch_of_bodies(&[overlong])), "bad record offset delta");

    // A hostile header count with nothing behind it fails fast.
    let mut many = vec![0u8, 0, 0, 1, 1];
    put_varint(&mut many, i32::MAX);
    assert_eq!(invalid(&batch_of_bodies(&[many])), "bad record header key");
}

#[test]
fn null_and_negative_lengths_read_as_null_like_kafka() {
    // Kafka reads any negative key/value length as null.
    let mut body = vec![0u8, 0, 0];
    put_varint(&mut body, -7); // key
    put_varint(&mut body, -1); // value
    put_varint(&mut body, 1);
    put_varint(&mut body, 1);
    body.push(b'h');
    put_varint(&mut body, -3); // header value
    validate(&batch_of_bodies(&[body]), &LIMITS).expect("null fields");
}

#[test]
fn negative_record_length_is_refused() {
    let mut section = Vec::new();
    put_varint(&mut section, -1);
    section.push(0);
    assert_eq!(invalid(&assemble(&Header::for_count(1), &section)), "negative record length");
}

#[test]
fn hostile_record_count_fails_fast() {
    let section = records_section(&sample_records(1));
    let batch = assemble(&Header::for_count(i32::MAX), &section);
    assert_eq!(invalid(&batch), "bad record length");
}

// ---- properties ----

fn arb_rec() -> impl Strategy<Value = Rec> {
    let bytes = || proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40));
    (bytes(), bytes(), proptest::collection::btree_map("[a-z]{0,6}", bytes(), 0..4), 0i64..1_000_000).prop_map(
        |(key, value, headers, timestamp_delta)| Rec {
            key,
            value,
            headers: headers.into_iter().collect(),
            timestamp_delta,
        },
    )
}

fn arb_codec() -> impl Strategy<Value = Option<Codec>> {
    proptest::option::of(proptest::sample::select(Codec::ALL.to_vec()))
}

proptest! {
    /// (a) `validate` never panics on arbitrary bytes, as sent or with the
    /// framing made consistent so the record walk and decompressors run.
    #[test]
    fn validate_never_panics(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = validate(&data, &LIMITS);
        let _ = split_batches(&data);
        crate::fuzz::batch_validate(&data);
    }

    /// (a') The same, on batches whose header is right but whose records
    /// section is mutated: this reaches record parsing far more often.
    #[test]
    fn mutated_records_never_panic(
        recs in proptest::collection::vec(arb_rec(), 1..8),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        codec in arb_codec(),
    ) {
        let mut section = records_section(&recs);
        for (at, byte) in &flips {
            let i = at.index(section.len());
            section[i] = *byte;
        }
        let plain = assemble(&Header::for_count(recs.len() as i32), &section);
        let batch = match codec {
            None => plain,
            Some(c) => rebuild(&plain, c.id(), &c.compress(&section)),
        };
        let _ = crate::fuzz::check_batch(&batch);
    }

    /// (b) Any record set, encoded uncompressed (by kafka-protocol) or then
    /// compressed by hand, validates with its count, and a broker's edits keep
    /// it valid.
    #[test]
    fn encoded_record_sets_validate(
        recs in proptest::collection::vec(arb_rec(), 1..24),
        codec in arb_codec(),
        base_offset in any::<i64>(),
    ) {
        let mut recs = recs;
        // kafka-protocol writes timestamps relative to the smallest one.
        recs[0].timestamp_delta = 0;
        let plain = encode_with_kafka_protocol(&recs);
        prop_assert_eq!(&plain[BATCH_HEADER_BYTES..], &records_section(&recs)[..]);
        let mut batch = match codec {
            None => plain,
            Some(c) => compress_batch(&plain, c),
        };
        let info = validate(&batch, &LIMITS).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(crate::fuzz::check_batch(&batch).is_some());
        prop_assert_eq!(info.record_count, recs.len() as i32);
        prop_assert_eq!(info.compression, codec.map_or(Compression::None, Codec::compression));
        patch_base_offset(&mut batch, base_offset);
        prop_assert_eq!(verify_stored(&batch), Ok(()));
        prop_assert_eq!(parse_header(&batch), Ok(info));
    }
}
