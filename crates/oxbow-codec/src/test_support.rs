//! Builders shared by the unit tests: record batches as kafka-protocol's
//! encoder writes them and as written here by hand from the v2 format, and
//! compressed record sections as Kafka clients write them.

use std::io::Write;

use bytes::Bytes;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression as KpCompression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use crate::batch::{BATCH_HEADER_BYTES, BATCH_LENGTH_PREFIX_BYTES};

pub const MIB: usize = 1 << 20;

/// What a producer puts in one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Rec {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// Header keys must be distinct: kafka-protocol keeps headers in a map.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp_delta: i64,
}

pub const BASE_TIMESTAMP: i64 = 1_700_000_000_000;

pub fn sample_records(count: usize) -> Vec<Rec> {
    (0..count)
        .map(|i| Rec {
            key: Some(format!("k{i}").into_bytes()),
            value: Some(vec![b'v'; 10]),
            headers: if i % 3 == 0 {
                vec![("trace".into(), Some(vec![i as u8; 4])), ("n".into(), None)]
            } else {
                vec![]
            },
            timestamp_delta: i as i64,
        })
        .collect()
}

/// An uncompressed v2 batch from kafka-protocol's `RecordBatchEncoder`
/// (base offset 0, no producer id).
pub fn encode_with_kafka_protocol(recs: &[Rec]) -> Vec<u8> {
    let records: Vec<Record> = recs
        .iter()
        .enumerate()
        .map(|(i, r)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // kafka-protocol starts a new batch whenever offset - sequence
            // changes, so a constant -1 would give one batch per record; this
            // keeps them in one batch with a base sequence of -1.
            sequence: i as i32 - 1,
            timestamp: BASE_TIMESTAMP + r.timestamp_delta,
            key: r.key.clone().map(Bytes::from),
            value: r.value.clone().map(Bytes::from),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (StrBytes::from_string(k.clone()), v.clone().map(Bytes::from)))
                .collect(),
        })
        .collect();
    let mut buf = bytes::BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions { version: 2, compression: KpCompression::None },
    )
    .expect("encode");
    buf.to_vec()
}

pub fn encode_batch(count: usize) -> Vec<u8> {
    encode_with_kafka_protocol(&sample_records(count))
}

pub fn put_varint(out: &mut Vec<u8>, v: i32) {
    put_unsigned(out, ((v << 1) ^ (v >> 31)) as u32 as u64);
}
pub fn put_varlong(out: &mut Vec<u8>, v: i64) {
    put_unsigned(out, ((v << 1) ^ (v >> 63)) as u64);
}
fn put_unsigned(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
fn put_nullable(out: &mut Vec<u8>, field: &Option<Vec<u8>>) {
    match field {
        None => put_varint(out, -1),
        Some(b) => {
            put_varint(out, b.len() as i32);
            out.extend_from_slice(b);
        }
    }
}

/// One record's body (what its length prefix covers), by hand from the v2 format.
pub fn record_body(offset_delta: i32, r: &Rec) -> Vec<u8> {
    let mut body = vec![0u8]; // attributes
    put_varlong(&mut body, r.timestamp_delta);
    put_varint(&mut body, offset_delta);
    put_nullable(&mut body, &r.key);
    put_nullable(&mut body, &r.value);
    put_varint(&mut body, r.headers.len() as i32);
    for (k, v) in &r.headers {
        put_varint(&mut body, k.len() as i32);
        body.extend_from_slice(k.as_bytes());
        put_nullable(&mut body, v);
    }
    body
}

/// Appends a record body with its varint length prefix.
pub fn put_record(out: &mut Vec<u8>, body: &[u8]) {
    put_varint(out, body.len() as i32);
    out.extend_from_slice(body);
}

/// The records section (everything after the 61-byte header) of an
/// uncompressed batch holding `recs`, offset deltas 0.., by hand.
pub fn records_section(recs: &[Rec]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, r) in recs.iter().enumerate() {
        put_record(&mut out, &record_body(i as i32, r));
    }
    out
}

/// The header fields a producer chooses.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub base_offset: i64,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
}

impl Header {
    pub fn for_count(count: i32) -> Self {
        Header {
            base_offset: 0,
            attributes: 0,
            last_offset_delta: count - 1,
            base_timestamp: BASE_TIMESTAMP,
            max_timestamp: BASE_TIMESTAMP + i64::from(count) - 1,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            record_count: count,
        }
    }
}

/// A whole batch: the 61-byte header with batch length and CRC32C computed,
/// then `section` (records, compressed or not, as the attributes say).
pub fn assemble(h: &Header, section: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(BATCH_HEADER_BYTES + section.len());
    b.extend_from_slice(&h.base_offset.to_be_bytes());
    b.extend_from_slice(&0i32.to_be_bytes()); // batch length, below
    b.extend_from_slice(&0i32.to_be_bytes()); // partition leader epoch
    b.push(2); // magic
    b.extend_from_slice(&0u32.to_be_bytes()); // CRC, below
    b.extend_from_slice(&h.attributes.to_be_bytes());
    b.extend_from_slice(&h.last_offset_delta.to_be_bytes());
    b.extend_from_slice(&h.base_timestamp.to_be_bytes());
    b.extend_from_slice(&h.max_timestamp.to_be_bytes());
    b.extend_from_slice(&h.producer_id.to_be_bytes());
    b.extend_from_slice(&h.producer_epoch.to_be_bytes());
    b.extend_from_slice(&h.base_sequence.to_be_bytes());
    b.extend_from_slice(&h.record_count.to_be_bytes());
    assert_eq!(b.len(), BATCH_HEADER_BYTES);
    b.extend_from_slice(section);
    refresh_framing(&mut b);
    b
}

/// Recomputes the batch length and CRC32C of an edited batch.
pub fn refresh_framing(batch: &mut [u8]) {
    let length = (batch.len() - BATCH_LENGTH_PREFIX_BYTES) as i32;
    batch[8..12].copy_from_slice(&length.to_be_bytes());
    let crc = crc32c::crc32c(&batch[21..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
}

/// `batch` (uncompressed) with its records section replaced by `section` and
/// the compression bits of its attributes set to `codec_id`, length and CRC
/// recomputed: how a producer turns records into a compressed batch.
pub fn rebuild(batch: &[u8], codec_id: i16, section: &[u8]) -> Vec<u8> {
    let mut out = batch[..BATCH_HEADER_BYTES].to_vec();
    let attributes = (i16::from_be_bytes([out[21], out[22]]) & !0x07) | codec_id;
    out[21..23].copy_from_slice(&attributes.to_be_bytes());
    out.extend_from_slice(section);
    refresh_framing(&mut out);
    out
}

/// The codecs as producers write them on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    /// One raw snappy block, as librdkafka writes it.
    SnappyRaw,
    /// xerial `SnappyOutputStream` framing, as the Java client writes it.
    SnappyXerial,
    /// LZ4 frame as the Java client's `KafkaLZ4BlockOutputStream` writes it.
    Lz4,
    /// A zstd frame streamed at level 3 without a content size, as the Java
    /// client's `ZstdOutputStream` writes it.
    Zstd,
}

impl Codec {
    pub const ALL: [Codec; 5] = [Codec::Gzip, Codec::SnappyRaw, Codec::SnappyXerial, Codec::Lz4, Codec::Zstd];

    pub fn id(self) -> i16 {
        match self {
            Codec::Gzip => 1,
            Codec::SnappyRaw | Codec::SnappyXerial => 2,
            Codec::Lz4 => 3,
            Codec::Zstd => 4,
        }
    }

    pub fn compression(self) -> crate::compression::Compression {
        crate::compression::Compression::from_id(self.id()).expect("known codec")
    }

    pub fn compress(self, data: &[u8]) -> Vec<u8> {
        match self {
            Codec::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).expect("gzip");
                e.finish().expect("gzip")
            }
            Codec::SnappyRaw => snap::raw::Encoder::new().compress_vec(data).expect("snappy"),
            Codec::SnappyXerial => xerial(data, 32 * 1024),
            Codec::Lz4 => lz4_flex_frame(data, java_lz4_frame_info()),
            Codec::Zstd => {
                let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd");
                e.write_all(data).expect("zstd");
                e.finish().expect("zstd")
            }
        }
    }
}

/// xerial snappy-java's `SnappyOutputStream`: magic, version 1, compatible
/// version 1, then each `block_size` chunk of input as `[int32 BE length][raw snappy]`.
pub fn xerial(data: &[u8], block_size: usize) -> Vec<u8> {
    let mut out = vec![0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
    out.extend_from_slice(&1i32.to_be_bytes());
    out.extend_from_slice(&1i32.to_be_bytes());
    for chunk in data.chunks(block_size) {
        let block = snap::raw::Encoder::new().compress_vec(chunk).expect("snappy");
        out.extend_from_slice(&(block.len() as i32).to_be_bytes());
        out.extend_from_slice(&block);
    }
    out
}

/// The Java client's frame: 64 KiB independent blocks, no checksums, no content size.
pub fn java_lz4_frame_info() -> lz4_flex::frame::FrameInfo {
    lz4_flex::frame::FrameInfo::new()
        .block_size(lz4_flex::frame::BlockSize::Max64KB)
        .block_mode(lz4_flex::frame::BlockMode::Independent)
        .block_checksums(false)
        .content_checksum(false)
}

pub fn lz4_flex_frame(data: &[u8], info: lz4_flex::frame::FrameInfo) -> Vec<u8> {
    let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
    e.write_all(data).expect("lz4");
    e.finish().expect("lz4")
}

/// `batch` compressed with `codec` the way a producer does it.
pub fn compress_batch(batch: &[u8], codec: Codec) -> Vec<u8> {
    rebuild(batch, codec.id(), &codec.compress(&batch[BATCH_HEADER_BYTES..]))
}
