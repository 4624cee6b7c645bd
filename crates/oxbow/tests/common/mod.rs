//! The wire-level test harness shared by `wire.rs` and `authz.rs`: the real
//! `oxbow up` on a free port and a blocking Kafka connection speaking the
//! vendored kafka-protocol codec.
#![allow(dead_code)] // each test binary uses its own part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

pub struct Broker {
    pub child: Child,
    pub addr: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn oxbow() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oxbow"))
}

pub fn data_dir(dir: &tempfile::TempDir) -> String {
    dir.path().to_str().expect("utf8").to_string()
}

/// `oxbow up` on 127.0.0.1:0 in `dir` with `extra` arguments; returns once it
/// printed where Kafka listens.
pub fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Broker {
    let mut child = oxbow()
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir", &data_dir(&dir)])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn oxbow");
    let line = BufReader::new(child.stdout.take().expect("stdout")).lines().next().expect("line").expect("utf8");
    let addr = line.split("listening on ").nth(1).and_then(|r| r.split_whitespace().next()).expect("addr").to_string();
    Broker { child, addr, dir }
}

pub struct Conn {
    pub stream: TcpStream,
    pub correlation_id: i32,
}

impl Conn {
    pub fn open(addr: &str) -> Self {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).expect("timeout");
        Conn { stream, correlation_id: 0 }
    }

    pub fn send<Req: Encodable>(&mut self, key: ApiKey, version: i16, req: &Req) {
        self.correlation_id += 1;
        let header = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("oxbow-wire-test")));
        let mut body = BytesMut::new();
        header.encode(&mut body, key.request_header_version(version)).expect("header");
        req.encode(&mut body, version).expect("body");
        let mut frame = (body.len() as i32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        self.stream.write_all(&frame).expect("write");
    }

    /// The next response frame, or None when the broker closed the connection.
    pub fn receive<Resp: Decodable>(&mut self, key: ApiKey, version: i16) -> Option<Resp> {
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).ok()?;
        let mut buf = vec![0u8; i32::from_be_bytes(len) as usize];
        self.stream.read_exact(&mut buf).ok()?;
        let mut buf = Bytes::from(buf);
        let header = ResponseHeader::decode(&mut buf, key.response_header_version(version)).expect("resp header");
        assert_eq!(header.correlation_id, self.correlation_id);
        Some(Resp::decode(&mut buf, version).expect("decode response"))
    }

    pub fn call<Req: Encodable, Resp: Decodable>(&mut self, key: ApiKey, version: i16, req: &Req) -> Resp {
        self.send(key, version, req);
        self.receive(key, version).expect("response")
    }

    /// True once the broker has closed the connection (or it errs).
    pub fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.stream.read(&mut b), Ok(0) | Err(_))
    }
}
