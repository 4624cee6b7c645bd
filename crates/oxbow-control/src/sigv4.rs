//! AWS Signature Version 4 verification (header form, as the AWS CLI and
//! boto3 sign). The canonical request is rebuilt from what arrived, the
//! signing key derived from the principal's secret, and the signature
//! compared in constant time. Refused: a missing or malformed
//! `Authorization`, an unknown access key, a date more than
//! [`MAX_CLOCK_SKEW_MS`] away (expired or from the future), a scope for
//! another region or service, a payload whose hash differs from the signed
//! one (tampered), a bad signature, and a signature seen before (replayed).

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::util::{hex, parse_amz_date, uri_encode};

/// AWS accepts requests signed up to 5 minutes before or after its clock.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
/// Signatures remembered for replay detection; beyond this, requests are refused until old ones expire.
pub const REPLAY_CACHE_MAX: usize = 200_000;

pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    /// Lower-cased names; a name may repeat.
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

#[derive(Debug, PartialEq)]
pub enum AuthError {
    Missing,
    Malformed(String),
    UnknownKey,
    Expired,
    WrongScope(String),
    Tampered,
    BadSignature,
    Replayed,
}

impl AuthError {
    /// (HTTP status, AWS error code, message) as AWS answers them.
    pub fn aws(&self) -> (u16, &'static str, String) {
        match self {
            AuthError::Missing => (403, "MissingAuthenticationTokenException", "Missing Authentication Token".into()),
            AuthError::Malformed(m) => (403, "IncompleteSignatureException", m.clone()),
            AuthError::UnknownKey => {
                (403, "UnrecognizedClientException", "The security token included in the request is invalid.".into())
            }
            AuthError::Expired => (
                403,
                "InvalidSignatureException",
                "Signature expired: the request date is more than 5 minutes from the server time.".into(),
            ),
            AuthError::WrongScope(m) => (403, "InvalidSignatureException", m.clone()),
            AuthError::Tampered => {
                (403, "InvalidSignatureException", "The payload hash does not match the body that arrived.".into())
            }
            AuthError::BadSignature => (
                403,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS \
                 Secret Access Key and signing method."
                    .into(),
            ),
            AuthError::Replayed => {
                (403, "InvalidSignatureException", "This request was already received (replayed signature).".into())
            }
        }
    }
}

pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

fn header<'a>(req: &'a SignedRequest, name: &str) -> Option<&'a str> {
    req.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

pub fn parse_authorization(value: &str) -> Result<Authorization, AuthError> {
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| AuthError::Malformed("Authorization must use AWS4-HMAC-SHA256.".into()))?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (k, v) =
            part.trim().split_once('=').ok_or_else(|| AuthError::Malformed("Malformed Authorization.".into()))?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => return Err(AuthError::Malformed(format!("Unknown Authorization element {k}."))),
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(AuthError::Malformed("Authorization needs Credential, SignedHeaders and Signature.".into()));
    };
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() != 5 || parts[4] != "aws4_request" {
        return Err(AuthError::Malformed("Credential must be KEY/DATE/REGION/SERVICE/aws4_request.".into()));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthError::Malformed("Signature must be 64 hex digits.".into()));
    }
    Ok(Authorization {
        access_key_id: parts[0].to_string(),
        date: parts[1].to_string(),
        region: parts[2].to_string(),
        service: parts[3].to_string(),
        signed_headers: signed.split(';').map(str::to_string).collect(),
        signature: signature.to_ascii_lowercase(),
    })
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            // Normalise to SigV4's encoding whatever escaping the client used.
            let norm = |s: &str| {
                uri_encode(&crate::util::percent_decode(&s.replace('+', " ")).unwrap_or_else(|| s.to_string()), false)
            };
            (norm(k), norm(v))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// The signature a client holding `secret` would have computed.
pub fn expected_signature(req: &SignedRequest, auth: &Authorization, amz_date: &str, secret: &str) -> String {
    let mut canonical_headers = String::new();
    for name in &auth.signed_headers {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload_hash = sha256_hex(req.body);
    // Non-S3 services sign the path URI-encoded once more (so `%3A` is signed as `%253A`).
    let path = if req.raw_path.is_empty() { "/" } else { req.raw_path };
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        uri_encode(path, true),
        canonical_query(req.raw_query),
        canonical_headers,
        auth.signed_headers.join(";"),
        payload_hash
    );
    let scope = format!("{}/{}/{}/aws4_request", auth.date, auth.region, auth.service);
    let string_to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()));
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), auth.date.as_bytes());
    let k_region = hmac(&k_date, auth.region.as_bytes());
    let k_service = hmac(&k_region, auth.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex(&hmac(&k_signing, string_to_sign.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Remembers signatures until they could no longer pass the clock check.
#[derive(Default)]
pub struct ReplayCache {
    seen: Mutex<HashMap<String, i64>>,
}

impl ReplayCache {
    fn check_and_remember(&self, signature: &str, request_ms: i64, now_ms: i64) -> Result<(), AuthError> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains_key(signature) {
            return Err(AuthError::Replayed);
        }
        if seen.len() >= REPLAY_CACHE_MAX {
            seen.retain(|_, expires| *expires > now_ms);
            if seen.len() >= REPLAY_CACHE_MAX {
                // Refusing is safe; forgetting would let a replay through.
                return Err(AuthError::Replayed);
            }
        }
        seen.insert(signature.to_string(), request_ms + MAX_CLOCK_SKEW_MS);
        Ok(())
    }
}

/// Verifies a request for `service` in `region`; `secret_for` looks up an access key's secret.
/// Returns the access key id on success. Replays are refused for `mutating` requests only:
/// SDKs legitimately send identical reads within one second (a poll loop signs the same
/// bytes), and replaying a read changes nothing.
pub fn verify(
    req: &SignedRequest,
    region: &str,
    service: &str,
    now_ms: i64,
    replay: Option<&ReplayCache>,
    secret_for: impl FnOnce(&str) -> Option<String>,
) -> Result<String, AuthError> {
    let value = header(req, "authorization").ok_or(AuthError::Missing)?;
    let auth = parse_authorization(value)?;
    let amz_date = header(req, "x-amz-date").ok_or_else(|| AuthError::Malformed("X-Amz-Date is required.".into()))?;
    let request_ms =
        parse_amz_date(amz_date).ok_or_else(|| AuthError::Malformed("X-Amz-Date must be YYYYMMDDTHHMMSSZ.".into()))?;
    for required in ["host", "x-amz-date"] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(AuthError::Malformed(format!("SignedHeaders must include {required}.")));
        }
    }
    if !amz_date.starts_with(&auth.date) {
        return Err(AuthError::WrongScope("Credential date does not match X-Amz-Date.".into()));
    }
    if auth.region != region {
        return Err(AuthError::WrongScope(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            auth.region
        )));
    }
    if auth.service != service {
        return Err(AuthError::WrongScope(format!("Credential should be scoped to correct service: '{service}'.")));
    }
    if (now_ms - request_ms).abs() > MAX_CLOCK_SKEW_MS {
        return Err(AuthError::Expired);
    }
    let secret = secret_for(&auth.access_key_id).ok_or(AuthError::UnknownKey)?;
    if let Some(claimed) = header(req, "x-amz-content-sha256") {
        if claimed != "UNSIGNED-PAYLOAD" && !constant_time_eq(claimed.as_bytes(), sha256_hex(req.body).as_bytes()) {
            return Err(AuthError::Tampered);
        }
    }
    let expected = expected_signature(req, &auth, amz_date, &secret);
    if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(AuthError::BadSignature);
    }
    if let Some(replay) = replay {
        replay.check_and_remember(&auth.signature, request_ms, now_ms)?;
    }
    Ok(auth.access_key_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    // AWS's published example (sigv4 test suite, "get-vanilla").
    #[test]
    fn aws_test_vector() {
        let req = SignedRequest {
            method: "GET",
            raw_path: "/",
            raw_query: "",
            headers: vec![
                ("host".into(), "example.amazonaws.com".into()),
                ("x-amz-date".into(), "20150830T123600Z".into()),
            ],
            body: b"",
        };
        let auth = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        )
        .unwrap();
        let sig = expected_signature(&req, &auth, "20150830T123600Z", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        assert_eq!(sig, auth.signature);
        let mut req = req;
        req.headers.push((
            "authorization".into(),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
                .into(),
        ));
        assert_eq!(
            sign(
                &SignedRequest { headers: req.headers[..2].to_vec(), ..req },
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "us-east-1",
                "service"
            ),
            req.headers[2].1
        );
        let now = parse_amz_date("20150830T123600Z").unwrap();
        let replay = ReplayCache::default();
        let secret = || Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string());
        assert_eq!(verify(&req, "us-east-1", "service", now, Some(&replay), |_| secret()).unwrap(), "AKIDEXAMPLE");
        assert_eq!(verify(&req, "us-east-1", "service", now, Some(&replay), |_| secret()), Err(AuthError::Replayed));
        let replay = ReplayCache::default();
        assert_eq!(
            verify(&req, "us-east-1", "service", now + MAX_CLOCK_SKEW_MS + 1000, Some(&replay), |_| secret()),
            Err(AuthError::Expired)
        );
        assert_eq!(
            verify(&req, "us-east-1", "service", now, Some(&replay), |_| Some("other".into())),
            Err(AuthError::BadSignature)
        );
        assert_eq!(verify(&req, "us-east-1", "service", now, Some(&replay), |_| None), Err(AuthError::UnknownKey));
    }
}

/// Signs a request as the AWS SDKs do (for Oxbow's own CLI); returns the `Authorization` value.
/// `req.headers` must already hold `host` and `x-amz-date`.
pub fn sign(req: &SignedRequest, access_key_id: &str, secret: &str, region: &str, service: &str) -> String {
    let amz_date = header(req, "x-amz-date").unwrap_or("").to_string();
    let mut signed_headers: Vec<String> = req.headers.iter().map(|(n, _)| n.clone()).collect();
    signed_headers.sort();
    signed_headers.dedup();
    let auth = Authorization {
        access_key_id: access_key_id.to_string(),
        date: amz_date.get(..8).unwrap_or("").to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers,
        signature: String::new(),
    };
    let signature = expected_signature(req, &auth, &amz_date, secret);
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key_id}/{}/{region}/{service}/aws4_request, SignedHeaders={}, Signature={signature}",
        auth.date,
        auth.signed_headers.join(";")
    )
}
