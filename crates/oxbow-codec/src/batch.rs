//! Record batch (magic v2) validation and the few in-place edits a broker
//! makes. Batches are stored byte for byte as the client sent them; the only
//! bytes a broker ever changes are the base offset and partition leader epoch
//! (outside the CRC) and, for `LogAppendTime` topics, the timestamp type and
//! max timestamp (after which the CRC is recomputed, as Kafka does).

use crate::compression::{inflate_each, Compression, DecompressError};

pub const BATCH_HEADER_BYTES: usize = 61;
/// Bytes before the `batchLength` field's coverage starts (baseOffset + batchLength).
pub const BATCH_LENGTH_PREFIX_BYTES: usize = 12;
const OFFSET_PARTITION_LEADER_EPOCH: usize = 12;
const OFFSET_MAGIC: usize = 16;
const OFFSET_CRC: usize = 17;
const OFFSET_ATTRIBUTES: usize = 21;
const OFFSET_LAST_OFFSET_DELTA: usize = 23;
const OFFSET_BASE_TIMESTAMP: usize = 27;
const OFFSET_MAX_TIMESTAMP: usize = 35;
const OFFSET_PRODUCER_ID: usize = 43;
const OFFSET_PRODUCER_EPOCH: usize = 51;
const OFFSET_BASE_SEQUENCE: usize = 53;
const OFFSET_RECORD_COUNT: usize = 57;

const ATTR_COMPRESSION_MASK: i16 = 0x07;
const ATTR_TIMESTAMP_TYPE_LOG_APPEND: i16 = 0x08;
const ATTR_TRANSACTIONAL: i16 = 0x10;
const ATTR_CONTROL: i16 = 0x20;

/// Why a batch was refused. Each maps to a Kafka error code in the broker.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BatchError {
    #[error("record set is truncated or its batch length is inconsistent")]
    Truncated,
    #[error("unsupported record batch magic {0}; only magic 2 is accepted")]
    UnsupportedMagic(i8),
    #[error("CRC32C mismatch: batch says {stored:#010x}, bytes give {computed:#010x}")]
    CrcMismatch { stored: u32, computed: u32 },
    #[error("invalid record batch: {0}")]
    Invalid(&'static str),
    #[error("unknown compression codec {0}")]
    UnknownCompression(i16),
    #[error("batch of {size_bytes} bytes is above the limit of {limit_bytes} bytes")]
    TooLarge { size_bytes: usize, limit_bytes: usize },
    #[error(transparent)]
    Decompress(#[from] DecompressError),
}

/// The header fields of a validated batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchInfo {
    pub size_bytes: usize,
    pub compression: Compression,
    pub log_append_time: bool,
    pub transactional: bool,
    pub control: bool,
    pub last_offset_delta: i32,
    pub base_timestamp_ms: i64,
    pub max_timestamp_ms: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
}

impl BatchInfo {
    pub fn is_idempotent(&self) -> bool {
        self.producer_id >= 0
    }
    /// Last sequence number of this batch, wrapping at i32::MAX as Kafka does.
    pub fn last_sequence(&self) -> i32 {
        if self.base_sequence < 0 {
            return -1;
        }
        let last = self.base_sequence as i64 + self.last_offset_delta as i64;
        (last % (i32::MAX as i64 + 1)) as i32
    }
}

fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}
fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}

/// Splits a record set into batch byte ranges, checking only the framing.
pub fn split_batches(records: &[u8]) -> Result<Vec<std::ops::Range<usize>>, BatchError> {
    let mut ranges = Vec::new();
    let mut at = 0usize;
    while at < records.len() {
        let rest = &records[at..];
        if rest.len() < BATCH_HEADER_BYTES {
            return Err(BatchError::Truncated);
        }
        let magic = rest[OFFSET_MAGIC] as i8;
        if magic != 2 {
            return Err(BatchError::UnsupportedMagic(magic));
        }
        let batch_length = be_i32(rest, 8);
        if batch_length < (BATCH_HEADER_BYTES - BATCH_LENGTH_PREFIX_BYTES) as i32 {
            return Err(BatchError::Truncated);
        }
        let size = BATCH_LENGTH_PREFIX_BYTES + batch_length as usize;
        if size > rest.len() {
            return Err(BatchError::Truncated);
        }
        ranges.push(at..at + size);
        at += size;
    }
    Ok(ranges)
}

/// Limits applied while validating a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    /// The topic's `max.message.bytes`: the largest batch accepted, as sent.
    pub batch_bytes_max: usize,
    /// Largest size a compressed batch may inflate to while it is checked.
    pub decompressed_bytes_max: usize,
}

/// Reads the header of one framed batch and checks its CRC.
pub fn parse_header(batch: &[u8]) -> Result<BatchInfo, BatchError> {
    if batch.len() < BATCH_HEADER_BYTES {
        return Err(BatchError::Truncated);
    }
    let magic = batch[OFFSET_MAGIC] as i8;
    if magic != 2 {
        return Err(BatchError::UnsupportedMagic(magic));
    }
    if BATCH_LENGTH_PREFIX_BYTES as i64 + be_i32(batch, 8) as i64 != batch.len() as i64 {
        return Err(BatchError::Truncated);
    }
    let stored = be_i32(batch, OFFSET_CRC) as u32;
    let computed = crc32c::crc32c(&batch[OFFSET_ATTRIBUTES..]);
    if stored != computed {
        return Err(BatchError::CrcMismatch { stored, computed });
    }
    let attributes = be_i16(batch, OFFSET_ATTRIBUTES);
    let codec = attributes & ATTR_COMPRESSION_MASK;
    let compression = Compression::from_id(codec).ok_or(BatchError::UnknownCompression(codec))?;
    Ok(BatchInfo {
        size_bytes: batch.len(),
        compression,
        log_append_time: attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND != 0,
        transactional: attributes & ATTR_TRANSACTIONAL != 0,
        control: attributes & ATTR_CONTROL != 0,
        last_offset_delta: be_i32(batch, OFFSET_LAST_OFFSET_DELTA),
        base_timestamp_ms: be_i64(batch, OFFSET_BASE_TIMESTAMP),
        max_timestamp_ms: be_i64(batch, OFFSET_MAX_TIMESTAMP),
        producer_id: be_i64(batch, OFFSET_PRODUCER_ID),
        producer_epoch: be_i16(batch, OFFSET_PRODUCER_EPOCH),
        base_sequence: be_i32(batch, OFFSET_BASE_SEQUENCE),
        record_count: be_i32(batch, OFFSET_RECORD_COUNT),
    })
}

/// Fully validates one framed batch as a produce request carries it, in the
/// order Kafka's `UnifiedLog.analyzeAndValidateRecords` and `LogValidator`
/// check it: size limit, base offset 0, CRC, counts, producer fields, then
/// every record's structure (streamed out of a bounded decompressor for
/// compressed batches).
pub fn validate(batch: &[u8], limits: &BatchLimits) -> Result<BatchInfo, BatchError> {
    if batch.len() > limits.batch_bytes_max {
        return Err(BatchError::TooLarge { size_bytes: batch.len(), limit_bytes: limits.batch_bytes_max });
    }
    if batch.len() >= BATCH_HEADER_BYTES && be_i64(batch, 0) != 0 {
        return Err(BatchError::Invalid("a produced batch must have base offset 0"));
    }
    let info = parse_header(batch)?;
    if info.record_count < 1 {
        return Err(BatchError::Invalid("batch holds no records"));
    }
    if info.last_offset_delta != info.record_count - 1 {
        return Err(BatchError::Invalid("last offset delta does not match the record count"));
    }
    if info.control {
        return Err(BatchError::Invalid("clients may not produce control batches"));
    }
    if info.is_idempotent() && info.base_sequence < 0 {
        return Err(BatchError::Invalid("idempotent batch without a base sequence"));
    }
    let body = &batch[BATCH_HEADER_BYTES..];
    match info.compression {
        Compression::None => walk_records(body, info.record_count)?,
        codec => {
            // Records are checked as they stream out of the decoder: only the
            // record being read is ever held, never the whole inflated batch.
            let mut walker = RecordWalker::new(info.record_count, limits.decompressed_bytes_max);
            inflate_each(codec, body, limits.decompressed_bytes_max, |chunk| walker.feed(chunk))?;
            walker.finish()?;
        }
    }
    Ok(info)
}

/// A zigzag `varint` at the start of `b`, with Kafka's rules
/// (`ByteUtils.readVarint`: at most 5 bytes; bits past the 32nd dropped).
enum Varint {
    Value {
        value: i32,
        used: usize,
    },
    /// `b` ends inside the varint.
    Incomplete,
    /// Five bytes, all with the continuation bit.
    TooLong,
}

fn peek_varint(b: &[u8]) -> Varint {
    let mut raw: u32 = 0;
    for (i, byte) in b.iter().take(5).enumerate() {
        raw |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let value = ((raw >> 1) as i32) ^ -((raw & 1) as i32);
            return Varint::Value { value, used: i + 1 };
        }
    }
    if b.len() >= 5 {
        Varint::TooLong
    } else {
        Varint::Incomplete
    }
}

/// A forward-only reader over one record's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Option<i32> {
        match peek_varint(self.bytes) {
            Varint::Value { value, used } => {
                self.bytes = &self.bytes[used..];
                Some(value)
            }
            Varint::Incomplete | Varint::TooLong => None,
        }
    }
    /// Zigzag `varlong` (`ByteUtils.readVarlong`: at most 10 bytes).
    fn varlong(&mut self) -> Option<i64> {
        let mut raw: u64 = 0;
        for (i, byte) in self.bytes.iter().take(10).enumerate() {
            raw |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.bytes = &self.bytes[i + 1..];
                return Some(((raw >> 1) as i64) ^ -((raw & 1) as i64));
            }
        }
        None
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }
    /// A `varint`-prefixed field that may be null (any negative length, as
    /// Kafka's `DefaultRecord.readFrom` reads keys, values and header values).
    fn nullable_field(&mut self, what: &'static str) -> Result<(), BatchError> {
        let len = self.varint().ok_or(BatchError::Invalid(what))?;
        if len >= 0 {
            self.take(len as usize).ok_or(BatchError::Invalid(what))?;
        }
        Ok(())
    }
}

/// Parses one record (everything after its length prefix) the way Kafka's
/// `DefaultRecord.readFrom` does, returning its offset delta. The record must
/// be consumed exactly.
fn parse_record(record: &[u8]) -> Result<i32, BatchError> {
    let mut r = Reader { bytes: record };
    r.take(1).ok_or(BatchError::Invalid("empty record"))?; // attributes
    r.varlong().ok_or(BatchError::Invalid("bad record timestamp delta"))?;
    let offset_delta = r.varint().ok_or(BatchError::Invalid("bad record offset delta"))?;
    r.nullable_field("bad record key")?;
    r.nullable_field("bad record value")?;
    let headers = r.varint().ok_or(BatchError::Invalid("bad record header count"))?;
    if headers < 0 {
        return Err(BatchError::Invalid("negative record header count"));
    }
    for _ in 0..headers {
        // Each header takes at least two bytes, so a huge count runs out of
        // bytes quickly instead of looping.
        let key_len = r.varint().ok_or(BatchError::Invalid("bad record header key"))?;
        if key_len < 0 {
            return Err(BatchError::Invalid("negative record header key length"));
        }
        r.take(key_len as usize).ok_or(BatchError::Invalid("bad record header key"))?;
        r.nullable_field("bad record header value")?;
    }
    if !r.bytes.is_empty() {
        return Err(BatchError::Invalid("record length does not match its fields"));
    }
    Ok(offset_delta)
}

/// Where parsing the complete records at the start of some bytes stopped.
struct Parsed {
    /// Bytes taken by the complete records.
    used: usize,
    /// Whole size (prefix included) of the incomplete record that follows,
    /// when its length prefix is complete.
    next_record_bytes: Option<usize>,
}

/// Parses the complete records at the start of `bytes`, the next one expected
/// to have offset delta `*seen`, stopping before an incomplete one. A record
/// stating a length above `record_bytes_max` is refused as too large.
fn parse_complete(bytes: &[u8], count: i32, seen: &mut i32, record_bytes_max: usize) -> Result<Parsed, BatchError> {
    let mut at = 0usize;
    while at < bytes.len() {
        if *seen == count {
            return Err(BatchError::Invalid("bytes after the last record"));
        }
        let (length, used) = match peek_varint(&bytes[at..]) {
            Varint::Value { value, used } => (value, used),
            Varint::Incomplete => break,
            Varint::TooLong => return Err(BatchError::Invalid("bad record length")),
        };
        if length < 0 {
            return Err(BatchError::Invalid("negative record length"));
        }
        let length = length as usize;
        if length > record_bytes_max {
            return Err(DecompressError::TooLarge { limit_bytes: record_bytes_max }.into());
        }
        let start = at + used;
        if length > bytes.len() - start {
            return Ok(Parsed { used: at, next_record_bytes: Some(used + length) });
        }
        if parse_record(&bytes[start..start + length])? != *seen {
            return Err(BatchError::Invalid("record offset deltas are not consecutive from 0"));
        }
        *seen += 1;
        at = start + length;
    }
    Ok(Parsed { used: at, next_record_bytes: None })
}

/// How many well-formed records with consecutive offset deltas `section`
/// starts with (fuzzing support: it builds batches whose count matches).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn count_leading_records(section: &[u8]) -> i32 {
    let mut seen = 0;
    let _ = parse_complete(section, i32::MAX, &mut seen, usize::MAX);
    seen
}

/// Why records ended early, given the bytes left unparsed at the end.
fn ended_early(tail: &[u8]) -> BatchError {
    match peek_varint(tail) {
        Varint::Value { .. } => BatchError::Invalid("record length runs past the batch"),
        Varint::Incomplete | Varint::TooLong => BatchError::Invalid("bad record length"),
    }
}

/// Checks that `body` holds exactly `count` well-formed records whose offset
/// deltas run 0..count.
fn walk_records(body: &[u8], count: i32) -> Result<(), BatchError> {
    let mut seen = 0;
    let parsed = parse_complete(body, count, &mut seen, usize::MAX)?;
    if parsed.used < body.len() || seen < count {
        return Err(ended_early(&body[parsed.used..]));
    }
    Ok(())
}

/// `walk_records` over bytes that arrive in chunks (from a decompressor).
/// Complete records are parsed where they lie in each chunk; only a record
/// split across chunks is copied, into a buffer sized exactly for it once
/// its length is known, and a record longer than the inflate limit is refused
/// before it is buffered.
struct RecordWalker {
    count: i32,
    seen: i32,
    record_bytes_max: usize,
    pending: Vec<u8>,
}

impl RecordWalker {
    fn new(count: i32, record_bytes_max: usize) -> Self {
        RecordWalker { count, seen: 0, record_bytes_max, pending: Vec::new() }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), BatchError> {
        if self.pending.is_empty() {
            let parsed = parse_complete(chunk, self.count, &mut self.seen, self.record_bytes_max)?;
            self.hold(&chunk[parsed.used..], parsed.next_record_bytes);
            return Ok(());
        }
        // Complete the split record first, then go on in the chunk itself.
        let wanted = match peek_varint(&self.pending) {
            Varint::Value { value, used } => used.saturating_add(value.max(0) as usize),
            Varint::Incomplete => self.pending.len() + 1,
            Varint::TooLong => return Err(BatchError::Invalid("bad record length")),
        };
        let take = wanted.saturating_sub(self.pending.len()).min(chunk.len());
        self.pending.extend_from_slice(&chunk[..take]);
        let pending = std::mem::take(&mut self.pending);
        let parsed = parse_complete(&pending, self.count, &mut self.seen, self.record_bytes_max)?;
        if parsed.used < pending.len() {
            // Still incomplete: the chunk is used up (or the prefix just got
            // its length byte and the loop goes round again).
            self.pending = pending;
            self.pending.drain(..parsed.used);
            if take < chunk.len() {
                return self.feed(&chunk[take..]);
            }
            if let Some(bytes) = parsed.next_record_bytes {
                self.pending.reserve_exact(bytes.saturating_sub(self.pending.len()));
            }
            return Ok(());
        }
        self.feed(&chunk[take..])
    }

    /// Keeps an incomplete record's first bytes until the next chunk.
    fn hold(&mut self, tail: &[u8], record_bytes: Option<usize>) {
        if tail.is_empty() {
            return;
        }
        self.pending.reserve_exact(record_bytes.unwrap_or(tail.len()).max(tail.len()));
        self.pending.extend_from_slice(tail);
    }

    fn finish(self) -> Result<(), BatchError> {
        if !self.pending.is_empty() || self.seen < self.count {
            return Err(ended_early(&self.pending));
        }
        Ok(())
    }
}

/// Writes the broker-assigned base offset (not covered by the CRC) and a zero
/// partition leader epoch into a stored batch on its way out.
pub fn patch_base_offset(batch: &mut [u8], base_offset: i64) {
    assert!(batch.len() >= BATCH_HEADER_BYTES, "patching a batch shorter than its header");
    batch[0..8].copy_from_slice(&base_offset.to_be_bytes());
    batch[OFFSET_PARTITION_LEADER_EPOCH..OFFSET_PARTITION_LEADER_EPOCH + 4].copy_from_slice(&0i32.to_be_bytes());
}

/// Stamps a batch with the broker's append time (topic `message.timestamp.type
/// = LogAppendTime`): sets the timestamp-type bit and max timestamp, then
/// recomputes the CRC, exactly as Kafka's log validator does.
pub fn set_log_append_time(batch: &mut [u8], now_ms: i64) {
    assert!(batch.len() >= BATCH_HEADER_BYTES, "stamping a batch shorter than its header");
    let attributes = be_i16(batch, OFFSET_ATTRIBUTES) | ATTR_TIMESTAMP_TYPE_LOG_APPEND;
    batch[OFFSET_ATTRIBUTES..OFFSET_ATTRIBUTES + 2].copy_from_slice(&attributes.to_be_bytes());
    batch[OFFSET_MAX_TIMESTAMP..OFFSET_MAX_TIMESTAMP + 8].copy_from_slice(&now_ms.to_be_bytes());
    let crc = crc32c::crc32c(&batch[OFFSET_ATTRIBUTES..]);
    batch[OFFSET_CRC..OFFSET_CRC + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Verifies a stored batch after reading it back (both sides of the boundary).
pub fn verify_stored(batch: &[u8]) -> Result<(), BatchError> {
    parse_header(batch).map(|_| ())
}

#[cfg(test)]
mod tests;
