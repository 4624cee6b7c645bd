//! Bounded decompression of record-batch payloads. A hostile client can send a
//! few kilobytes that inflate to gigabytes, so every decoder stops at a limit
//! and reports it instead of allocating further.
//!
//! What "bounded" means here, per codec (measured by the tests in
//! `compression/tests.rs` with a per-thread counting allocator): output is
//! never held past `limit_bytes` (batch validation holds none at all beyond
//! the record being checked; `decompress_bounded` allocates its result once,
//! at its exact size), and on top of it each decoder keeps a working set that
//! does not grow with what the data claims:
//! - gzip (miniz_oxide): about 45 KiB of inflate state.
//! - snappy (raw and xerial-framed): nothing; every block's stated length is
//!   summed and checked against the limit before anything is allocated.
//! - lz4 frame (lz4_flex): buffers of the frame's declared block size, two for
//!   independent blocks and three for linked ones, so 128 KiB for the 64 KiB
//!   blocks the Java client and librdkafka write, and up to 12 MiB for frames
//!   declaring 4 MiB blocks (sarama and franz-go write those).
//! - zstd (libzstd, which allocates outside the Rust allocator): the decoding
//!   window, capped with `ZSTD_d_windowLogMax` at the next power of two of the
//!   limit, but never below 8 MiB (the window that compression levels 1..=19
//!   use on streamed input, as the Java client's zstd-jni writes it) nor above
//!   128 MiB (libzstd's own default cap, which the Java broker has too). A
//!   frame asking for more is refused as `TooLarge`.

use std::io::Read;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    pub fn from_id(id: i16) -> Option<Self> {
        Some(match id {
            0 => Compression::None,
            1 => Compression::Gzip,
            2 => Compression::Snappy,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            _ => return None,
        })
    }
    pub fn id(self) -> i16 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecompressError {
    #[error("compressed records inflate past the limit of {limit_bytes} bytes")]
    TooLarge { limit_bytes: usize },
    #[error("corrupt {codec} data: {reason}")]
    Corrupt { codec: &'static str, reason: String },
}

/// Xerial snappy framing, used by the Java client (librdkafka accepts and may send raw snappy).
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// Magic, version and compatible version.
const XERIAL_HEADER_BYTES: usize = 16;

/// Smallest zstd window accepted whatever the limit: 8 MiB, what compression
/// levels up to 19 use when the input size is not known up front.
const ZSTD_WINDOW_LOG_FLOOR: u32 = 23;
/// libzstd's default `ZSTD_WINDOWLOG_LIMIT_DEFAULT` (128 MiB), also what
/// zstd-jni (the Java broker) accepts.
const ZSTD_WINDOW_LOG_CEILING: u32 = 27;

fn corrupt(codec: &'static str, e: impl std::fmt::Display) -> DecompressError {
    DecompressError::Corrupt { codec, reason: e.to_string() }
}

/// Decompressed bytes are handed on in chunks of this size.
const CHUNK_BYTES: usize = 16 * 1024;

/// Reads `reader` to its end, handing each chunk to `sink` and failing as soon
/// as more than `limit_bytes` have come out. Returns the total.
fn pump<E: From<DecompressError>>(
    mut reader: impl Read,
    limit_bytes: usize,
    sink: &mut impl FnMut(&[u8]) -> Result<(), E>,
    map_err: impl Fn(std::io::Error) -> DecompressError,
) -> Result<usize, E> {
    let mut chunk = [0u8; CHUNK_BYTES];
    let mut total = 0usize;
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(map_err(e).into()),
        };
        total += n;
        if total > limit_bytes {
            return Err(DecompressError::TooLarge { limit_bytes }.into());
        }
        sink(&chunk[..n])?;
    }
}

/// Calls `f` with each raw snappy block of `data`: the blocks of xerial's
/// `SnappyOutputStream` framing as the Java client writes it (16-byte header,
/// then `[int32 length][raw snappy block]`), or `data` itself as one raw block
/// as librdkafka writes it. Like xerial's `SnappyInputStream`, data without the
/// magic is read as raw.
fn for_each_snappy_block(
    data: &[u8],
    mut f: impl FnMut(&[u8]) -> Result<(), DecompressError>,
) -> Result<(), DecompressError> {
    if !(data.len() >= XERIAL_HEADER_BYTES && data[..XERIAL_MAGIC.len()] == XERIAL_MAGIC) {
        return f(data);
    }
    let mut rest = &data[XERIAL_HEADER_BYTES..];
    while !rest.is_empty() {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return Err(corrupt("snappy", "truncated xerial block length"));
        };
        let len = u32::from_be_bytes(*len) as usize;
        if len > tail.len() {
            return Err(corrupt("snappy", "xerial block runs past the data"));
        }
        let (block, tail) = tail.split_at(len);
        f(block)?;
        rest = tail;
    }
    Ok(())
}

/// Snappy, raw or xerial-framed. Every block states its inflated length up
/// front, so the total is known and checked against the limit before anything
/// is allocated, and the output is allocated once at its exact size.
fn snappy(data: &[u8], limit_bytes: usize) -> Result<Vec<u8>, DecompressError> {
    let mut total = 0usize;
    for_each_snappy_block(data, |block| {
        let claimed = snap::raw::decompress_len(block).map_err(|e| corrupt("snappy", e))?;
        total = total
            .checked_add(claimed)
            .filter(|&t| t <= limit_bytes)
            .ok_or(DecompressError::TooLarge { limit_bytes })?;
        Ok(())
    })?;
    let mut out = vec![0u8; total];
    let mut at = 0usize;
    let mut decoder = snap::raw::Decoder::new();
    for_each_snappy_block(data, |block| {
        let claimed = snap::raw::decompress_len(block).map_err(|e| corrupt("snappy", e))?;
        let written = decoder.decompress(block, &mut out[at..at + claimed]).map_err(|e| corrupt("snappy", e))?;
        if written != claimed {
            return Err(corrupt("snappy", "block inflated to less than its stated length"));
        }
        at += claimed;
        Ok(())
    })?;
    Ok(out)
}

const LZ4_MAGIC: u32 = 0x184D_2204;

/// Checks that `data` is one complete LZ4 frame (end mark and checksums
/// present) and nothing else, as clients write it and librdkafka reads it.
/// The decoder alone would take input ending on a block boundary, with its end
/// mark and content checksum missing, as a finished frame, and would stop at
/// the first frame's end without looking at what follows.
fn lz4_check_framing(data: &[u8]) -> Result<(), DecompressError> {
    fn take<'a>(rest: &mut &'a [u8], n: usize, what: &'static str) -> Result<&'a [u8], DecompressError> {
        if n > rest.len() {
            return Err(corrupt("lz4", what));
        }
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        Ok(head)
    }
    fn u32_le(rest: &mut &[u8], what: &'static str) -> Result<u32, DecompressError> {
        let b = take(rest, 4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    let mut rest = data;
    if !rest.is_empty() {
        if u32_le(&mut rest, "truncated frame magic")? != LZ4_MAGIC {
            return Err(corrupt("lz4", "not an LZ4 frame"));
        }
        let descriptor = take(&mut rest, 2, "truncated frame descriptor")?;
        let flags = descriptor[0];
        let block_checksum = flags & 0x10 != 0;
        let content_size = flags & 0x08 != 0;
        let content_checksum = flags & 0x04 != 0;
        let dict_id = flags & 0x01 != 0;
        let optional = if content_size { 8 } else { 0 } + if dict_id { 4 } else { 0 };
        take(&mut rest, optional + 1, "truncated frame descriptor")?; // + header checksum
        loop {
            let block = u32_le(&mut rest, "frame ends without its end mark")?;
            if block == 0 {
                break;
            }
            let size = (block & 0x7FFF_FFFF) as usize;
            take(&mut rest, size, "block runs past the data")?;
            if block_checksum {
                take(&mut rest, 4, "truncated block checksum")?;
            }
        }
        if content_checksum {
            take(&mut rest, 4, "truncated content checksum")?;
        }
    }
    if !rest.is_empty() {
        return Err(corrupt("lz4", "data after the frame"));
    }
    Ok(())
}

/// `ZSTD_d_windowLogMax` for a given output limit (see the module comment).
fn zstd_window_log_max(limit_bytes: usize) -> u32 {
    let log2_ceil = usize::BITS - limit_bytes.saturating_sub(1).leading_zeros();
    log2_ceil.clamp(ZSTD_WINDOW_LOG_FLOOR, ZSTD_WINDOW_LOG_CEILING)
}

fn zstd_error(limit_bytes: usize) -> impl Fn(std::io::Error) -> DecompressError {
    move |e| {
        // ZSTD_error_frameParameter_windowTooLarge: the frame wants a window
        // above `ZSTD_d_windowLogMax`. The zstd crate keeps only libzstd's
        // message, so that is what is matched (pinned by a test).
        if e.to_string().contains("too much memory") {
            DecompressError::TooLarge { limit_bytes }
        } else {
            corrupt("zstd", e)
        }
    }
}

/// Hands the decompressed bytes of `data` to `sink` in chunks, failing with
/// `TooLarge` as soon as more than `limit_bytes` have come out; returns the
/// total. Nothing but the decoder's own state is held, except for snappy,
/// whose output is built whole (at its stated, checked size) and handed on at once.
pub(crate) fn inflate_each<E: From<DecompressError>>(
    codec: Compression,
    data: &[u8],
    limit_bytes: usize,
    mut sink: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<usize, E> {
    match codec {
        Compression::None => {
            if data.len() > limit_bytes {
                return Err(DecompressError::TooLarge { limit_bytes }.into());
            }
            sink(data)?;
            Ok(data.len())
        }
        // Multi-member, as Java's GZIPInputStream reads it; `bufread` reads the
        // slice in place instead of through another 32 KiB buffer.
        Compression::Gzip => {
            pump(flate2::bufread::MultiGzDecoder::new(data), limit_bytes, &mut sink, |e| corrupt("gzip", e))
        }
        Compression::Lz4 => {
            lz4_check_framing(data)?;
            pump(lz4_flex::frame::FrameDecoder::new(data), limit_bytes, &mut sink, |e| corrupt("lz4", e))
        }
        Compression::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::with_buffer(data).map_err(|e| corrupt("zstd", e))?;
            decoder.window_log_max(zstd_window_log_max(limit_bytes)).map_err(|e| corrupt("zstd", e))?;
            pump(decoder, limit_bytes, &mut sink, zstd_error(limit_bytes))
        }
        Compression::Snappy => {
            let out = snappy(data, limit_bytes)?;
            sink(&out)?;
            Ok(out.len())
        }
    }
}

/// Inflates `data` with `codec`, never producing more than `limit_bytes`.
///
/// The output is allocated once, at its exact size: snappy states its sizes
/// up front; the other codecs are decoded twice, first only counting (so a
/// bomb is refused having allocated nothing for output), then into the
/// buffer. Batch validation does not come through here: it walks the records
/// as they stream out of the decoder (`batch::validate`).
pub fn decompress_bounded(codec: Compression, data: &[u8], limit_bytes: usize) -> Result<Vec<u8>, DecompressError> {
    match codec {
        Compression::None => {
            if data.len() > limit_bytes {
                return Err(DecompressError::TooLarge { limit_bytes });
            }
            Ok(data.to_vec())
        }
        Compression::Snappy => snappy(data, limit_bytes),
        Compression::Gzip | Compression::Lz4 | Compression::Zstd => {
            let total = inflate_each(codec, data, limit_bytes, |_| Ok::<(), DecompressError>(()))?;
            let mut out = Vec::with_capacity(total);
            // Same limit as the first pass: it also sets zstd's window cap.
            inflate_each(codec, data, limit_bytes, |chunk| {
                out.extend_from_slice(chunk);
                Ok::<(), DecompressError>(())
            })?;
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests;
