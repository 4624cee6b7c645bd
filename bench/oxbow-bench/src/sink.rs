//! The machine's limit for the produce work: a trivial broker that speaks just
//! enough Kafka (ApiVersions, Metadata, CreateTopics, InitProducerId, Produce)
//! to take the same librdkafka producer load, and appends each Produce
//! request's record-batch bytes to one file with one fdatasync per request
//! (before acknowledging, as `acks=all` asks). No index, no metadata store,
//! no CRC check, no Fetch: whatever Oxbow does beyond "bytes from a socket
//! into a durable file" shows up as the gap to this.
//!
//! Thread per connection, blocking IO: the simplest server that is not a
//! bottleneck at a handful of connections.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::io::AsRawFd;
use std::sync::{Arc, Mutex};

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::init_producer_id_response::InitProducerIdResponse;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

/// Largest request frame accepted (librdkafka's message.max.bytes default is 1 MB;
/// this leaves room for a batch of batches).
const MAX_FRAME_BYTES: usize = 64 * 1024 * 1024;
/// Partitions of a topic nobody created (auto-creation on metadata).
const DEFAULT_PARTITIONS: i32 = 1;

/// Versions the sink answers; librdkafka picks the highest common one.
const SUPPORTED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 9),
    (ApiKey::Metadata, 1, 9),
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::CreateTopics, 2, 5),
    (ApiKey::InitProducerId, 0, 4),
];

struct State {
    file: File,
    host: String,
    port: i32,
    topics: Mutex<HashMap<String, i32>>,
    /// Next offset per (topic, partition), so acknowledgements carry growing offsets.
    offsets: Mutex<HashMap<(String, i32), i64>>,
    next_producer_id: Mutex<i64>,
}

/// Runs the sink until the process is killed. Prints `listening on ADDR`.
pub fn run(listen: &str, file: &str) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen)?;
    let addr = listener.local_addr()?;
    let state = Arc::new(State {
        file: std::fs::OpenOptions::new().create(true).append(true).open(file)?,
        host: addr.ip().to_string(),
        port: addr.port() as i32,
        topics: Mutex::new(HashMap::new()),
        offsets: Mutex::new(HashMap::new()),
        next_producer_id: Mutex::new(1000),
    });
    println!("listening on {addr}");
    std::io::stdout().flush()?;
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let state = state.clone();
        std::thread::spawn(move || {
            let _ = conn.set_nodelay(true);
            if let Err(e) = serve(&state, conn) {
                eprintln!("sink: connection closed: {e}");
            }
        });
    }
    Ok(())
}

fn serve(state: &State, mut conn: TcpStream) -> std::io::Result<()> {
    let mut len_buf = [0u8; 4];
    loop {
        if conn.read_exact(&mut len_buf).is_err() {
            return Ok(()); // client went away
        }
        let len = i32::from_be_bytes(len_buf);
        if len < 0 || len as usize > MAX_FRAME_BYTES {
            return Err(std::io::Error::other(format!("bad frame length {len}")));
        }
        let mut frame = vec![0u8; len as usize];
        conn.read_exact(&mut frame)?;
        let reply = handle(state, Bytes::from(frame)).map_err(std::io::Error::other)?;
        conn.write_all(&reply)?;
    }
}

fn handle(state: &State, mut frame: Bytes) -> anyhow::Result<Vec<u8>> {
    if frame.len() < 8 {
        anyhow::bail!("short frame");
    }
    let key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let api_key = ApiKey::try_from(key).map_err(|_| anyhow::anyhow!("unknown api key {key}"))?;
    let header = RequestHeader::decode(&mut frame, api_key.request_header_version(version))?;
    let cid = header.correlation_id;
    let mut body = BytesMut::new();
    match api_key {
        ApiKey::ApiVersions => {
            // Answer in v0 whatever was asked (the header of this response is always v0).
            let keys = SUPPORTED
                .iter()
                .map(|(k, min, max)| ApiVersion::default().with_api_key(*k as i16).with_min_version(*min).with_max_version(*max))
                .collect();
            let v = version.min(3);
            let err = if version > 3 { 35 } else { 0 };
            ApiVersionsResponse::default().with_error_code(err).with_api_keys(keys).encode(&mut body, if err != 0 { 0 } else { v })?;
            return Ok(frame_out(cid, 0, &body));
        }
        ApiKey::Metadata => {
            let req = MetadataRequest::decode(&mut frame, version)?;
            let names: Vec<String> = match req.topics {
                Some(ts) => ts.into_iter().filter_map(|t| t.name.map(|n| n.to_string())).collect(),
                None => state.topics.lock().unwrap().keys().cloned().collect(),
            };
            let mut topics = Vec::new();
            for name in names {
                let n = *state.topics.lock().unwrap().entry(name.clone()).or_insert(DEFAULT_PARTITIONS);
                let partitions = (0..n)
                    .map(|p| {
                        MetadataResponsePartition::default()
                            .with_partition_index(p)
                            .with_leader_id(0.into())
                            .with_replica_nodes(vec![0.into()])
                            .with_isr_nodes(vec![0.into()])
                    })
                    .collect();
                topics.push(
                    MetadataResponseTopic::default()
                        .with_name(Some(StrBytes::from_string(name).into()))
                        .with_partitions(partitions),
                );
            }
            MetadataResponse::default()
                .with_brokers(vec![MetadataResponseBroker::default()
                    .with_node_id(0.into())
                    .with_host(StrBytes::from_string(state.host.clone()))
                    .with_port(state.port)])
                .with_controller_id(0.into())
                .with_cluster_id(Some(StrBytes::from_static_str("oxbow-bench-sink")))
                .with_topics(topics)
                .encode(&mut body, version)?;
        }
        ApiKey::CreateTopics => {
            let req = CreateTopicsRequest::decode(&mut frame, version)?;
            let mut results = Vec::new();
            for t in req.topics {
                let n = if t.num_partitions > 0 { t.num_partitions } else { DEFAULT_PARTITIONS };
                state.topics.lock().unwrap().insert(t.name.to_string(), n);
                results.push(CreatableTopicResult::default().with_name(t.name).with_num_partitions(n).with_replication_factor(1));
            }
            CreateTopicsResponse::default().with_topics(results).encode(&mut body, version)?;
        }
        ApiKey::InitProducerId => {
            let _ = InitProducerIdRequest::decode(&mut frame, version)?;
            let mut next = state.next_producer_id.lock().unwrap();
            *next += 1;
            InitProducerIdResponse::default().with_producer_id((*next).into()).with_producer_epoch(0).encode(&mut body, version)?;
        }
        ApiKey::Produce => {
            let req = ProduceRequest::decode(&mut frame, version)?;
            let mut responses = Vec::new();
            for t in req.topic_data {
                let topic = t.name.to_string();
                let mut parts = Vec::new();
                for p in t.partition_data {
                    let records = p.records.unwrap_or_default();
                    let count = batch_record_count(&records);
                    (&state.file).write_all(&records)?;
                    let base = {
                        let mut offsets = state.offsets.lock().unwrap();
                        let next = offsets.entry((topic.clone(), p.index)).or_insert(0);
                        let base = *next;
                        *next += count;
                        base
                    };
                    parts.push(PartitionProduceResponse::default().with_index(p.index).with_base_offset(base));
                }
                responses.push(TopicProduceResponse::default().with_name(t.name).with_partition_responses(parts));
            }
            if req.acks != 0 {
                // SAFETY: fdatasync on an fd this process owns and keeps open.
                if unsafe { libc::fdatasync(state.file.as_raw_fd()) } != 0 {
                    return Err(std::io::Error::last_os_error().into());
                }
            } else {
                return Ok(Vec::new());
            }
            ProduceResponse::default().with_responses(responses).encode(&mut body, version)?;
        }
        other => anyhow::bail!("sink does not speak {other:?}"),
    }
    Ok(frame_out(cid, api_key.response_header_version(version), &body))
}

/// Records in a run of v2 record batches: sum of (last offset delta + 1).
fn batch_record_count(records: &Bytes) -> i64 {
    let mut buf = records.clone();
    let mut count = 0i64;
    // Batch header: base offset (8), length (4), then length bytes; last offset delta at 23.
    while buf.remaining() >= 27 {
        let batch_len = i32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
        let delta = i32::from_be_bytes([buf[23], buf[24], buf[25], buf[26]]);
        count += delta as i64 + 1;
        let total = 12 + batch_len.max(0) as usize;
        if total > buf.remaining() {
            break;
        }
        buf.advance(total);
    }
    count
}

fn frame_out(cid: i32, header_version: i16, body: &[u8]) -> Vec<u8> {
    let header_len = if header_version >= 1 { 5 } else { 4 };
    let mut out = Vec::with_capacity(4 + header_len + body.len());
    out.extend_from_slice(&((header_len + body.len()) as i32).to_be_bytes());
    out.extend_from_slice(&cid.to_be_bytes());
    if header_version >= 1 {
        out.push(0);
    }
    out.extend_from_slice(body);
    out
}

