//! A minimal signed HTTP/1.1 client for Oxbow's own CLI (`oxbow clusters`,
//! `oxbow secret ...`): one request per connection, bounded response size.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::sigv4::{sign, SignedRequest};

/// Largest response the CLI reads.
const RESPONSE_MAX_BYTES: u64 = 16 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Client {
    /// `http://HOST:PORT`
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

fn amz_date_now() -> String {
    let iso = crate::util::iso8601(crate::util::now_ms());
    // 2026-12-02T11:43:07.000Z -> 20261202T114307Z
    format!("{}{}{}T{}{}{}Z", &iso[0..4], &iso[5..7], &iso[8..10], &iso[11..13], &iso[14..16], &iso[17..19])
}

impl Client {
    /// Sends one request; returns (status, JSON body or Null).
    pub fn call(
        &self,
        service: &str,
        method: &str,
        path: &str,
        query: &str,
        target: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let host = self
            .endpoint
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("endpoint must be http://HOST:PORT"))?;
        let host = host.trim_end_matches('/');
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut headers = vec![("host".to_string(), host.to_string()), ("x-amz-date".to_string(), amz_date_now())];
        if let Some(t) = target {
            headers.push(("x-amz-target".to_string(), t.to_string()));
            headers.push(("content-type".to_string(), "application/x-amz-json-1.1".to_string()));
        } else if body.is_some() {
            headers.push(("content-type".to_string(), "application/json".to_string()));
        }
        let req = SignedRequest {
            method,
            raw_path: path,
            raw_query: query,
            headers: headers.clone(),
            body: payload.as_bytes(),
        };
        let authorization = sign(&req, &self.access_key_id, &self.secret_access_key, &self.region, service);
        let mut text = format!("{method} {path}{}{query} HTTP/1.1\r\n", if query.is_empty() { "" } else { "?" });
        for (k, v) in &headers {
            text.push_str(&format!("{k}: {v}\r\n"));
        }
        text.push_str(&format!(
            "authorization: {authorization}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            payload.len()
        ));
        let mut stream = TcpStream::connect(host)?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        stream.write_all(text.as_bytes())?;
        stream.write_all(payload.as_bytes())?;
        // Read until the server closes (`connection: close`), at most RESPONSE_MAX_BYTES.
        let mut raw = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            if raw.len() + n > RESPONSE_MAX_BYTES as usize {
                anyhow::bail!("response larger than {RESPONSE_MAX_BYTES} bytes");
            }
            raw.extend_from_slice(&chunk[..n]);
        }
        let split =
            raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| anyhow::anyhow!("malformed HTTP response"))?;
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no HTTP status"))?;
        let body = &raw[split + 4..];
        let value = if body.is_empty() { Value::Null } else { serde_json::from_slice(body).unwrap_or(Value::Null) };
        Ok((status, value))
    }
}
