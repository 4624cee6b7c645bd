//! The fuzz targets' bodies under proptest, so stable CI runs them, plus the
//! request-decoding properties (c) and (d).

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind};
use kafka_protocol::protocol::{Encodable, StrBytes};
use proptest::prelude::*;

use super::*;
use crate::test_support::{records_section, Rec};

/// Heap a request decode may hold: generous for real amplification (a byte
/// of input can become one element of a few hundred bytes), far below what a
/// trusted length or count would cost (gigabytes).
fn decode_heap_bound(input_len: usize) -> u64 {
    64 * 1024 + 512 * input_len as u64
}

/// Decodes and returns the peak heap the decode held.
fn measured_decode(api_key: ApiKey, version: i16, body: &[u8]) -> (Result<usize, String>, u64) {
    let mut result = None;
    let info = allocation_counter::measure(|| result = Some(decode_body(api_key, version, body)));
    (result.expect("ran"), info.bytes_max)
}

/// Bytes that parse deep: lengths and counts that are small, zero, null (-1) or huge.
fn body_bytes(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => Just(0u8),
            2 => Just(0xffu8),
            2 => 1u8..8,
            1 => Just(0x7fu8),
            1 => Just(0x80u8),
            4 => any::<u8>(),
        ],
        0..max_len,
    )
}

#[test]
fn every_api_key_and_version_is_listed() {
    let pairs: Vec<_> = api_versions().collect();
    assert!(ApiKey::iter().count() >= 80, "vendored kafka-protocol knows the api keys");
    assert!(pairs.contains(&(ApiKey::Produce, 3)) && pairs.contains(&(ApiKey::ApiVersions, 4)));
    assert!(pairs.iter().all(|(k, v)| k.valid_versions().min <= *v && *v <= k.valid_versions().max));
}

/// Fixed hostile shapes for every api key and version: all-zero, all-0xff
/// (null or -1 everywhere), and huge counts and lengths with nothing behind.
#[test]
fn hostile_bodies_for_every_api_key_and_version() {
    let shapes: Vec<Vec<u8>> = vec![
        vec![],
        vec![0; 64],
        vec![0xff; 64],
        [0x7f, 0xff, 0xff, 0xff].repeat(16),
        [0x00, 0x00, 0x7f, 0xff, 0xff, 0xff].repeat(10),
        [0xff, 0xff, 0xff, 0xff, 0x0f].repeat(12),
        [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff].repeat(6),
    ];
    let mut decodes = 0;
    for (api_key, version) in api_versions() {
        for shape in &shapes {
            let (_, peak) = measured_decode(api_key, version, shape);
            assert!(peak <= decode_heap_bound(shape.len()), "{api_key:?} v{version}: {peak} bytes for {shape:?}");
            decodes += 1;
        }
    }
    assert_eq!(decodes, api_versions().count() * shapes.len());
    eprintln!("{} api versions", api_versions().count());
    assert!(api_versions().count() > 250);
}

/// Sanity for the decoder under test: a body of zeros reads as empty strings,
/// arrays and zeros for most messages; what decodes re-encodes to bytes that
/// decode to the same request, leaving nothing over.
#[test]
fn decoded_requests_round_trip_for_every_api_key_and_version() {
    let mut checked = 0;
    for (api_key, version) in api_versions() {
        let mut zeros = Bytes::from(vec![0u8; 256]);
        let Ok(request) = RequestKind::decode(api_key, &mut zeros, version) else { continue };
        let mut buf = BytesMut::new();
        request.encode(&mut buf, version).unwrap_or_else(|e| panic!("{api_key:?} v{version}: {e}"));
        let mut again = buf.clone().freeze();
        assert_eq!(RequestKind::decode(api_key, &mut again, version).ok(), Some(request), "{api_key:?} v{version}");
        assert!(again.is_empty());
        checked += 1;
    }
    assert!(checked > 100, "only {checked} api versions decoded zeros");
}

#[test]
fn request_header_round_trips() {
    let header = RequestHeader::default()
        .with_request_api_key(ApiKey::Metadata as i16)
        .with_request_api_version(12)
        .with_correlation_id(7)
        .with_client_id(Some(StrBytes::from_static_str("oxbow-test")));
    for (api_key, version) in [(ApiKey::Metadata, 12), (ApiKey::Produce, 3), (ApiKey::ApiVersions, 0)] {
        let header = header.clone().with_request_api_key(api_key as i16).with_request_api_version(version);
        let mut buf = BytesMut::new();
        header.encode(&mut buf, api_key.request_header_version(version)).expect("encode");
        buf.put_slice(b"body");
        let mut frame = buf.freeze();
        let (key, decoded) = decode_request_header(&mut frame).expect("decode");
        assert_eq!((key, &decoded), (api_key, &header));
        assert_eq!(&frame[..], b"body");
    }
}

proptest! {
    /// (c) `decode_request_header` never panics on arbitrary bytes, and on
    /// success leaves the frame shorter.
    #[test]
    fn request_header_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut frame = Bytes::from(data.clone());
        if decode_request_header(&mut frame).is_ok() {
            prop_assert!(frame.len() + 8 <= data.len());
        }
    }

    /// (c') The same with a real api key and version, so header versions 1
    /// and 2 (client id, tagged fields) are reached.
    #[test]
    fn request_header_with_known_key_never_panics(
        pick in any::<prop::sample::Index>(),
        correlation in any::<i32>(),
        rest in body_bytes(256),
    ) {
        let pairs: Vec<_> = api_versions().collect();
        let (api_key, version) = pairs[pick.index(pairs.len())];
        let mut data = Vec::new();
        data.extend_from_slice(&(api_key as i16).to_be_bytes());
        data.extend_from_slice(&version.to_be_bytes());
        data.extend_from_slice(&correlation.to_be_bytes());
        data.extend_from_slice(&rest);
        let mut frame = Bytes::from(data);
        if let Ok((key, header)) = decode_request_header(&mut frame) {
            prop_assert_eq!(key, api_key);
            prop_assert_eq!(header.correlation_id, correlation);
        }
    }

    /// (d) Every api key at every valid version decodes arbitrary bytes (up
    /// to 4 KiB) without panicking and without an absurd allocation.
    #[test]
    fn request_bodies_never_panic_nor_overallocate(body in body_bytes(4096)) {
        for (api_key, version) in api_versions() {
            let (result, peak) = measured_decode(api_key, version, &body);
            if let Ok(left) = result {
                prop_assert!(left <= body.len());
            }
            prop_assert!(
                peak <= decode_heap_bound(body.len()),
                "{:?} v{}: {} bytes held for {} input bytes", api_key, version, peak, body.len()
            );
        }
    }

    /// The `request_decode` fuzz target's body.
    #[test]
    fn request_decode_target(data in body_bytes(2048)) {
        request_decode(&data);
    }

    /// The fuzz target's structured mode: real records, maybe damaged,
    /// through every codec; compression never changes the verdict, and
    /// undamaged records are accepted with their count.
    #[test]
    fn structured_batches_agree_across_codecs(
        codec in 0u8..6,
        sizes in proptest::collection::vec((0usize..50, 0usize..300, 0usize..3), 1..20),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        extra in proptest::collection::vec(any::<u8>(), 0..3),
    ) {
        let recs: Vec<Rec> = sizes
            .iter()
            .enumerate()
            .map(|(i, &(k, v, h))| Rec {
                key: Some(vec![b'k'; k]),
                value: if v == 0 { None } else { Some(vec![i as u8; v]) },
                headers: (0..h).map(|j| (format!("h{j}"), Some(vec![j as u8; j]))).collect(),
                timestamp_delta: i as i64,
            })
            .collect();
        let mut section = records_section(&recs);
        for (at, byte) in &flips {
            let i = at.index(section.len());
            section[i] = *byte;
        }
        section.extend_from_slice(&extra);
        let data = [&[codec][..], &section].concat();
        batch_validate(&data);
        if flips.is_empty() && extra.is_empty() {
            let batch = batch_from_records(&data).expect("framed");
            prop_assert_eq!(validate(&batch, &LIMITS).map(|i| i.record_count), Ok(recs.len() as i32));
        }
    }

    /// The `batch_validate` fuzz target's body.
    #[test]
    fn batch_validate_target(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        batch_validate(&data);
    }
}
