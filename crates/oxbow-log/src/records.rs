//! Scanning the records inside a stored batch, for timestamp lookups. Uses
//! the codec's bounded decompression.

use oxbow_codec::batch::{parse_header, BATCH_HEADER_BYTES};
use oxbow_codec::compression::{decompress_bounded, Compression};

use crate::LogError;

fn read_varlong(b: &[u8]) -> Option<(i64, usize)> {
    let mut value: u64 = 0;
    for (i, byte) in b.iter().enumerate().take(10) {
        value |= ((byte & 0x7f) as u64) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((((value >> 1) as i64) ^ -((value & 1) as i64), i + 1));
        }
    }
    None
}

/// (offset delta, timestamp) of every record in `batch`.
pub(crate) fn record_timestamps(batch: &[u8], decompressed_bytes_max: usize) -> Result<Vec<(i32, i64)>, LogError> {
    let corrupt = |why: &str| LogError::Corrupt(format!("stored batch: {why}"));
    let info = parse_header(batch).map_err(|e| corrupt(&e.to_string()))?;
    if info.log_append_time {
        return Ok((0..=info.last_offset_delta).map(|d| (d, info.max_timestamp_ms)).collect());
    }
    let inflated;
    let body = match info.compression {
        Compression::None => &batch[BATCH_HEADER_BYTES..],
        codec => {
            inflated = decompress_bounded(codec, &batch[BATCH_HEADER_BYTES..], decompressed_bytes_max)
                .map_err(|e| corrupt(&e.to_string()))?;
            &inflated[..]
        }
    };
    let mut out = Vec::with_capacity(info.record_count.clamp(0, 4096) as usize);
    let mut at = 0usize;
    for _ in 0..info.record_count {
        let (length, used) = read_varlong(&body[at..]).ok_or_else(|| corrupt("record length"))?;
        at += used;
        let end = at.checked_add(length as usize).filter(|e| *e <= body.len()).ok_or_else(|| corrupt("record size"))?;
        let record = &body[at..end];
        let (ts_delta, ts_used) = read_varlong(record.get(1..).unwrap_or(&[])).ok_or_else(|| corrupt("timestamp"))?;
        let (offset_delta, _) =
            read_varlong(record.get(1 + ts_used..).unwrap_or(&[])).ok_or_else(|| corrupt("offset delta"))?;
        out.push((offset_delta as i32, info.base_timestamp_ms + ts_delta));
        at = end;
    }
    Ok(out)
}
