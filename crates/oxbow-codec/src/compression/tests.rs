use std::io::Write;

use proptest::prelude::*;

use super::*;
use crate::test_support::{lz4_flex_frame, xerial, Codec, MIB};

/// Decompresses while measuring this thread's heap: (result, peak bytes held).
fn measured(codec: Compression, data: &[u8], limit: usize) -> (Result<Vec<u8>, DecompressError>, u64) {
    let mut result = None;
    let info = allocation_counter::measure(|| result = Some(decompress_bounded(codec, data, limit)));
    (result.expect("ran"), info.bytes_max)
}

/// Heap a decoder may hold besides the output, for the formats clients write
/// (see the module comment): gzip's inflate state, lz4's two 64 KiB block
/// buffers, the zstd crate's staging buffer.
const FIXED_OVERHEAD: u64 = 192 * 1024;

fn text(len: usize) -> Vec<u8> {
    // Compressible but not trivially: words with a counter.
    let mut out = Vec::with_capacity(len + 32);
    let mut i = 0u64;
    while out.len() < len {
        write!(out, "record-{i} value={} ", i * 7919 % 1000).expect("vec");
        i += 1;
    }
    out.truncate(len);
    out
}

#[test]
fn ids_round_trip() {
    for id in 0..=4 {
        assert_eq!(Compression::from_id(id).map(Compression::id), Some(id));
    }
    for id in [-1, 5, 6, 7, 8, i16::MAX] {
        assert_eq!(Compression::from_id(id), None);
    }
}

#[test]
fn every_codec_round_trips() {
    let data = text(300 * 1024);
    for codec in Codec::ALL {
        let compressed = codec.compress(&data);
        assert!(compressed.len() < data.len() / 2, "{codec:?} compresses");
        assert_eq!(decompress_bounded(codec.compression(), &compressed, MIB).as_deref(), Ok(&data[..]), "{codec:?}");
        // Exactly at the limit is fine; one byte under is not.
        assert!(decompress_bounded(codec.compression(), &compressed, data.len()).is_ok(), "{codec:?}");
        assert_eq!(
            decompress_bounded(codec.compression(), &compressed, data.len() - 1),
            Err(DecompressError::TooLarge { limit_bytes: data.len() - 1 }),
            "{codec:?}"
        );
    }
}

#[test]
fn uncompressed_is_bounded_too() {
    assert_eq!(decompress_bounded(Compression::None, b"abc", 3).as_deref(), Ok(&b"abc"[..]));
    assert_eq!(decompress_bounded(Compression::None, b"abcd", 3), Err(DecompressError::TooLarge { limit_bytes: 3 }));
}

/// 64 MiB of zeros per codec, refused under a 1 MiB limit having allocated
/// nothing for output: only the decoder's fixed state.
#[test]
fn decompression_bombs_are_refused_within_the_limit() {
    let zeros = vec![0u8; 64 * MIB];
    for codec in Codec::ALL {
        let bomb = codec.compress(&zeros);
        let (result, peak) = measured(codec.compression(), &bomb, MIB);
        eprintln!("{codec:?}: {} byte bomb, peak heap {peak} bytes", bomb.len());
        assert_eq!(result, Err(DecompressError::TooLarge { limit_bytes: MIB }), "{codec:?}");
        assert!(peak <= FIXED_OVERHEAD, "{codec:?} held {peak} bytes");
    }
}

/// Just under the limit, the output is allocated once at its exact size.
#[test]
fn output_is_allocated_at_its_exact_size() {
    let data = text(MIB - 10);
    for codec in Codec::ALL {
        let compressed = codec.compress(&data);
        let (result, peak) = measured(codec.compression(), &compressed, MIB);
        let out = result.unwrap_or_else(|e| panic!("{codec:?}: {e}"));
        assert_eq!(out, data, "{codec:?}");
        assert_eq!(out.capacity(), data.len(), "{codec:?}");
        assert!(peak <= data.len() as u64 + FIXED_OVERHEAD, "{codec:?} held {peak} bytes");
    }
}

#[test]
fn snappy_refuses_a_claimed_length_before_allocating() {
    // A raw block whose header claims 4 GiB - 1 of output, and nothing else.
    let claim = [0xff, 0xff, 0xff, 0xff, 0x0f];
    let (result, peak) = measured(Compression::Snappy, &claim, MIB);
    assert_eq!(result, Err(DecompressError::TooLarge { limit_bytes: MIB }));
    assert!(peak < 1024, "held {peak} bytes");

    // Each xerial block under the limit, together far over it: refused from
    // the stated lengths alone.
    let block = snap::raw::Encoder::new().compress_vec(&vec![0u8; 600 * 1024]).expect("snappy");
    let mut framed = xerial(&[], 1);
    for _ in 0..100 {
        framed.extend_from_slice(&(block.len() as i32).to_be_bytes());
        framed.extend_from_slice(&block);
    }
    let (result, peak) = measured(Compression::Snappy, &framed, MIB);
    assert_eq!(result, Err(DecompressError::TooLarge { limit_bytes: MIB }));
    assert!(peak < 1024, "held {peak} bytes");
}

#[test]
fn lz4_with_4mib_blocks_is_bounded_by_the_frame_format() {
    // sarama and franz-go write 4 MiB blocks; lz4_flex then holds block
    // buffers of that size whatever the limit. That cost is fixed by the
    // format (at most 3 x 4 MiB for linked blocks), not by what the data claims.
    let zeros = vec![0u8; 64 * MIB];
    for mode in [lz4_flex::frame::BlockMode::Independent, lz4_flex::frame::BlockMode::Linked] {
        let info = lz4_flex::frame::FrameInfo::new().block_size(lz4_flex::frame::BlockSize::Max4MB).block_mode(mode);
        let bomb = lz4_flex_frame(&zeros, info);
        let (result, peak) = measured(Compression::Lz4, &bomb, MIB);
        eprintln!("lz4 4 MiB {mode:?}: peak heap {peak} bytes");
        assert_eq!(result, Err(DecompressError::TooLarge { limit_bytes: MIB }));
        assert!(peak <= (12 * MIB + 128 * 1024) as u64, "held {peak} bytes");
    }
}

#[test]
fn zstd_window_follows_the_limit() {
    assert_eq!(zstd_window_log_max(0), 23);
    assert_eq!(zstd_window_log_max(MIB), 23);
    assert_eq!(zstd_window_log_max(8 * MIB), 23);
    assert_eq!(zstd_window_log_max(8 * MIB + 1), 24);
    assert_eq!(zstd_window_log_max(64 * MIB), 26);
    assert_eq!(zstd_window_log_max(1 << 30), 27);
    assert_eq!(zstd_window_log_max(usize::MAX), 27);
}

fn zstd_with_window(data: &[u8], window_log: u32) -> Vec<u8> {
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd");
    e.window_log(window_log).expect("window log");
    e.write_all(data).expect("zstd");
    e.finish().expect("zstd")
}

#[test]
fn zstd_frame_asking_for_a_huge_window_is_too_large() {
    let data = text(1000);
    // Java at level 3 streams with a 2 MiB window: fine under a 1 MiB limit.
    let level3 = zstd_with_window(&data, 21);
    assert_eq!(decompress_bounded(Compression::Zstd, &level3, MIB).as_deref(), Ok(&data[..]));
    // A 128 MiB window: only under a limit that large.
    let wide = zstd_with_window(&data, 27);
    assert_eq!(decompress_bounded(Compression::Zstd, &wide, MIB), Err(DecompressError::TooLarge { limit_bytes: MIB }));
    assert_eq!(decompress_bounded(Compression::Zstd, &wide, 128 * MIB).as_deref(), Ok(&data[..]));
    // Above libzstd's default cap: refused whatever the limit, as the Java broker does.
    let wider = zstd_with_window(&data, 28);
    assert!(matches!(decompress_bounded(Compression::Zstd, &wider, usize::MAX), Err(DecompressError::TooLarge { .. })));
}

#[test]
fn lz4_frame_missing_its_end_mark_is_corrupt() {
    // lz4_flex alone would take a frame cut on a block boundary as complete.
    let data = text(200 * 1024);
    let frame = Codec::Lz4.compress(&data);
    assert_eq!(&frame[frame.len() - 4..], &[0, 0, 0, 0]);
    let result = decompress_bounded(Compression::Lz4, &frame[..frame.len() - 4], MIB);
    assert!(matches!(result, Err(DecompressError::Corrupt { .. })), "{result:?}");
    // Clients write one frame per batch; anything after it is refused (the
    // decoder would silently stop at the first frame's end).
    for tail in [&frame[..], &[0u8][..], &[0x04, 0x22, 0x4d, 0x18][..]] {
        let result = decompress_bounded(Compression::Lz4, &[&frame[..], tail].concat(), MIB);
        assert!(matches!(result, Err(DecompressError::Corrupt { .. })), "{result:?}");
    }
}

#[test]
fn truncated_data_is_corrupt_for_every_codec() {
    let data = text(100 * 1024);
    for codec in Codec::ALL {
        let compressed = codec.compress(&data);
        for cut in [1, 2, 5, compressed.len() / 2, compressed.len() - 20] {
            let result = decompress_bounded(codec.compression(), &compressed[..compressed.len() - cut], MIB);
            assert!(matches!(result, Err(DecompressError::Corrupt { .. })), "{codec:?} cut {cut}: {result:?}");
        }
    }
}

#[test]
fn garbage_is_corrupt_for_every_codec() {
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let cases: [(Compression, Vec<u8>); 5] = [
        (Compression::Gzip, [&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff][..], &garbage].concat()),
        (Compression::Snappy, [&[0x80, 0x40][..], &garbage].concat()),
        (Compression::Snappy, [&xerial(&[], 1)[..], &[0, 0, 0x10, 0], &garbage].concat()),
        (Compression::Lz4, [&[0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82][..], &garbage].concat()),
        // A frame header asking for a 1 KiB window, then garbage blocks.
        (Compression::Zstd, [&[0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00][..], &garbage].concat()),
    ];
    for (codec, data) in cases {
        let result = decompress_bounded(codec, &data, MIB);
        assert!(matches!(result, Err(DecompressError::Corrupt { .. })), "{codec:?}: {result:?}");
        // Without any magic at all, too.
        let result = decompress_bounded(codec, &garbage, MIB);
        assert!(matches!(result, Err(DecompressError::Corrupt { .. })), "{codec:?} bare: {result:?}");
    }
}

#[test]
fn checksums_are_verified() {
    let data = text(200 * 1024);
    // gzip: CRC32 in the trailer.
    let mut gz = Codec::Gzip.compress(&data);
    let crc_at = gz.len() - 8;
    gz[crc_at] ^= 1;
    assert!(matches!(decompress_bounded(Compression::Gzip, &gz, MIB), Err(DecompressError::Corrupt { .. })));
    // lz4: block and content checksums.
    for (block, content) in [(true, false), (false, true)] {
        let info = lz4_flex::frame::FrameInfo::new().block_checksums(block).content_checksum(content);
        let mut frame = lz4_flex_frame(&data, info);
        let at = if content { frame.len() - 2 } else { frame.len() - 6 };
        frame[at] ^= 1;
        let result = decompress_bounded(Compression::Lz4, &frame, MIB);
        assert!(matches!(result, Err(DecompressError::Corrupt { .. })), "block {block} content {content}: {result:?}");
    }
    // zstd: the optional content checksum, when the writer adds it.
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd");
    e.include_checksum(true).expect("checksum");
    e.write_all(&data).expect("zstd");
    let mut zst = e.finish().expect("zstd");
    let last = zst.len() - 1;
    zst[last] ^= 1;
    assert!(matches!(decompress_bounded(Compression::Zstd, &zst, MIB), Err(DecompressError::Corrupt { .. })));
}

#[test]
fn empty_input_never_panics() {
    for codec in [Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd] {
        // Either nothing came out (and the record walk refuses it) or corrupt.
        match decompress_bounded(codec, &[], MIB) {
            Ok(out) => assert!(out.is_empty()),
            Err(DecompressError::Corrupt { .. }) => {}
            Err(e) => panic!("{codec:?}: {e}"),
        }
    }
}

#[test]
fn gzip_reads_concatenated_members_like_java() {
    let (a, b) = (text(5000), text(7000));
    let joined = [Codec::Gzip.compress(&a), Codec::Gzip.compress(&b)].concat();
    assert_eq!(decompress_bounded(Compression::Gzip, &joined, MIB), Ok([a, b].concat()));
}

#[test]
fn short_data_with_xerial_magic_is_read_as_raw_snappy() {
    let data = xerial(&[], 1)[..10].to_vec();
    assert!(matches!(decompress_bounded(Compression::Snappy, &data, MIB), Err(DecompressError::Corrupt { .. })));
    // A header and no blocks at all inflates to nothing.
    assert_eq!(decompress_bounded(Compression::Snappy, &xerial(&[], 1), MIB), Ok(vec![]));
}

#[test]
fn java_client_lz4_frame_header() {
    // KafkaLZ4BlockOutputStream: FLG = version 01 | block independence, BD = 64 KiB.
    let frame = Codec::Lz4.compress(b"x");
    assert_eq!(&frame[..6], &[0x04, 0x22, 0x4d, 0x18, 0x60, 0x40]);
}

/// liblz4's LZ4F writer (what librdkafka links, and what lz4-java's frame
/// format follows) with every frame option: lz4_flex must read them all.
#[test]
fn lz4_flex_reads_every_liblz4_frame_variant() {
    use lz4::liblz4::BlockChecksum;
    use lz4::{BlockMode, BlockSize, ContentChecksum};
    let data = text(700 * 1024);
    let mut variants = 0;
    for block_size in
        [BlockSize::Default, BlockSize::Max64KB, BlockSize::Max256KB, BlockSize::Max1MB, BlockSize::Max4MB]
    {
        for mode in [BlockMode::Independent, BlockMode::Linked] {
            for content in [ContentChecksum::NoChecksum, ContentChecksum::ChecksumEnabled] {
                for block in [BlockChecksum::NoBlockChecksum, BlockChecksum::BlockChecksumEnabled] {
                    for content_size in [0, data.len() as u64] {
                        let mut builder = lz4::EncoderBuilder::new();
                        builder
                            .block_size(block_size.clone())
                            .block_mode(mode.clone())
                            .checksum(content.clone())
                            .block_checksum(block.clone())
                            .content_size(content_size)
                            .level(1);
                        let mut e = builder.build(Vec::new()).expect("lz4 encoder");
                        e.write_all(&data).expect("lz4");
                        let (frame, r) = e.finish();
                        r.expect("lz4 finish");
                        let out = decompress_bounded(Compression::Lz4, &frame, MIB);
                        assert_eq!(
                            out.as_deref(),
                            Ok(&data[..]),
                            "{block_size:?} {mode:?} {content:?} {block:?} size {content_size}"
                        );
                        variants += 1;
                    }
                }
            }
        }
    }
    assert_eq!(variants, 80);
}

/// librdkafka's exact preferences (rdkafka_lz4.c): LZ4F defaults with
/// independent blocks; compressed segment by segment as its slices come.
#[test]
fn lz4_librdkafka_frame_is_read() {
    let data = text(150 * 1024);
    let mut builder = lz4::EncoderBuilder::new();
    builder
        .block_mode(lz4::BlockMode::Independent)
        .checksum(lz4::ContentChecksum::NoChecksum)
        .block_checksum(lz4::liblz4::BlockChecksum::NoBlockChecksum);
    let mut e = builder.build(Vec::new()).expect("lz4 encoder");
    for piece in data.chunks(1000) {
        e.write_all(piece).expect("lz4");
    }
    let (frame, r) = e.finish();
    r.expect("lz4 finish");
    assert_eq!(&frame[4..6], &[0x60, 0x40], "FLG/BD as librdkafka writes them");
    assert_eq!(decompress_bounded(Compression::Lz4, &frame, MIB).as_deref(), Ok(&data[..]));
}

proptest! {
    /// Any single-byte corruption or truncation of a real payload: no panic,
    /// never more than the limit.
    #[test]
    fn damaged_payloads_never_panic(
        codec in proptest::sample::select(Codec::ALL.to_vec()),
        len in 0usize..5000,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut payload = codec.compress(&text(len));
        for (at, byte) in edits {
            let i = at.index(payload.len());
            payload[i] = byte;
        }
        let keep = cut.index(payload.len() + 1);
        for data in [&payload[..], &payload[..keep]] {
            if let Ok(out) = decompress_bounded(codec.compression(), data, 8192) {
                prop_assert!(out.len() <= 8192);
            }
        }
    }

    /// Arbitrary bytes under every codec: no panic, never more than the limit.
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        for codec in [Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd] {
            if let Ok(out) = decompress_bounded(codec, &data, 4096) {
                prop_assert!(out.len() <= 4096);
            }
        }
    }
}
