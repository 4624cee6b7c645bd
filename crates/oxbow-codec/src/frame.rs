//! Request framing: a 4-byte big-endian length followed by that many bytes.
//! The header is decoded here so that the dispatcher gets typed values and a
//! clear reason when a frame cannot be served.

use bytes::{Buf, Bytes};
use kafka_protocol::messages::{ApiKey, RequestHeader};
use kafka_protocol::protocol::Decodable;

/// Kafka's `socket.request.max.bytes` default (100 MiB).
pub const REQUEST_FRAME_BYTES_MAX_DEFAULT: u32 = 100 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("frame length {length} is negative or above the limit of {limit} bytes")]
    TooLarge { length: i64, limit: u32 },
    #[error("frame is too short to hold a request header")]
    Truncated,
    #[error("unknown api key {0}")]
    UnknownApiKey(i16),
    #[error("malformed request header: {0}")]
    MalformedHeader(String),
}

/// Validates a frame length prefix before any buffer is sized from it.
pub fn check_frame_length(prefix: [u8; 4], limit: u32) -> Result<usize, FrameError> {
    let length = i32::from_be_bytes(prefix);
    if length < 0 || length as u32 > limit {
        return Err(FrameError::TooLarge { length: length as i64, limit });
    }
    Ok(length as usize)
}

/// The fixed part every request starts with, readable for any api key and
/// version: enough to answer or refuse even a request we cannot decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderPrefix {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
}

pub fn peek_header_prefix(frame: &[u8]) -> Result<HeaderPrefix, FrameError> {
    if frame.len() < 8 {
        return Err(FrameError::Truncated);
    }
    Ok(HeaderPrefix {
        api_key: i16::from_be_bytes([frame[0], frame[1]]),
        api_version: i16::from_be_bytes([frame[2], frame[3]]),
        correlation_id: i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]),
    })
}

/// Decodes the request header (v1 or v2, as the api key and version call for)
/// and leaves `frame` positioned at the request body.
pub fn decode_request_header(frame: &mut Bytes) -> Result<(ApiKey, RequestHeader), FrameError> {
    let prefix = peek_header_prefix(frame)?;
    let api_key = ApiKey::try_from(prefix.api_key).map_err(|_| FrameError::UnknownApiKey(prefix.api_key))?;
    let header_version = api_key.request_header_version(prefix.api_version);
    let header =
        RequestHeader::decode(frame, header_version).map_err(|e| FrameError::MalformedHeader(e.to_string()))?;
    Ok((api_key, header))
}

/// Prepends the response header for `correlation_id` in the given header
/// version (0: correlation id only; 1: plus an empty tagged-field section).
pub fn encode_response_frame(correlation_id: i32, header_version: i16, body: &[u8]) -> Vec<u8> {
    let header_len = if header_version >= 1 { 5 } else { 4 };
    let total = header_len + body.len();
    let mut out = Vec::with_capacity(4 + total);
    out.extend_from_slice(&(total as i32).to_be_bytes());
    out.extend_from_slice(&correlation_id.to_be_bytes());
    if header_version >= 1 {
        out.push(0); // no tagged fields
    }
    out.extend_from_slice(body);
    out
}

/// Remaining bytes of a frame, for handlers that want to check full consumption.
pub fn remaining(frame: &Bytes) -> usize {
    frame.remaining()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_negative_and_oversized_lengths() {
        assert!(check_frame_length((-1i32).to_be_bytes(), 100).is_err());
        assert!(check_frame_length(101i32.to_be_bytes(), 100).is_err());
        assert_eq!(check_frame_length(100i32.to_be_bytes(), 100), Ok(100));
        // A TLS ClientHello read as a length prefix is far above any limit.
        assert!(check_frame_length([0x16, 0x03, 0x01, 0x02], REQUEST_FRAME_BYTES_MAX_DEFAULT).is_err());
    }

    #[test]
    fn unknown_api_key_is_reported() {
        let mut frame = Bytes::from_static(&[0x7f, 0x00, 0, 1, 0, 0, 0, 7, 0xff, 0xff]);
        assert_eq!(decode_request_header(&mut frame).err(), Some(FrameError::UnknownApiKey(0x7f00)));
    }

    #[test]
    fn truncated_header_is_reported() {
        let mut frame = Bytes::from_static(&[0, 18, 0]);
        assert_eq!(decode_request_header(&mut frame).err(), Some(FrameError::Truncated));
    }
}
