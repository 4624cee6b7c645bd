//! The machine's limit for the produce work: a trivial broker that speaks just
//! enough Kafka (ApiVersions, Metadata, CreateTopics, InitProducerId, Produce)
//! to take the same librdkafka producer load, and appends each Produce
//! request's record-batch bytes to one file, acknowledging only after an
//! fdatasync that covers them (as `acks=all` asks). Syncs are group commits,
//! as Oxbow's flushes are: one thread fdatasyncs whatever has been written
//! since its last sync, so requests pipelined by librdkafka (5 in flight per
//! connection) and from several connections share one sync. No index, no metadata store,
//! no CRC check, no Fetch: whatever Oxbow does beyond "bytes from a socket
//! into a durable file" shows up as the gap to this.
//!
//! Two threads per connection (read+append, answer in order), one sync thread,
//! blocking IO: the simplest server that is not a bottleneck at a handful of
//! connections.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::io::AsRawFd;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

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
    // Never used by a producer, but librdkafka enables LZ4 only for brokers that list
    // FindCoordinator (it dates LZ4 support by it); without it lz4 batches go uncompressed.
    (ApiKey::FindCoordinator, 0, 2),
];

struct State {
    file: File,
    host: String,
    port: i32,
    topics: Mutex<HashMap<String, i32>>,
    /// Next offset per (topic, partition), so acknowledgements carry growing offsets.
    offsets: Mutex<HashMap<(String, i32), i64>>,
    next_producer_id: Mutex<i64>,
    /// (written, synced): appends completed, and how many of them the last fdatasync covers.
    durable: Mutex<(u64, u64)>,
    /// Signals the sync thread (new writes) and the answering threads (new syncs).
    wake: Condvar,
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
        durable: Mutex::new((0, 0)),
        wake: Condvar::new(),
    });
    let syncer = state.clone();
    std::thread::spawn(move || sync_loop(&syncer));
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

/// Group commit: fdatasync whenever something was written since the last sync.
fn sync_loop(state: &State) {
    loop {
        let target = {
            let mut d = state.durable.lock().unwrap();
            while d.0 == d.1 {
                d = state.wake.wait(d).unwrap();
            }
            d.0
        };
        // SAFETY: fdatasync on an fd this process owns and keeps open.
        if unsafe { libc::fdatasync(state.file.as_raw_fd()) } != 0 {
            eprintln!("sink: fdatasync: {}", std::io::Error::last_os_error());
            std::process::exit(1);
        }
        state.durable.lock().unwrap().1 = target;
        state.wake.notify_all();
    }
}

/// Bound on answers queued per connection (librdkafka has at most 5 produce requests in flight).
const MAX_QUEUED_ANSWERS: usize = 64;

fn serve(state: &Arc<State>, mut conn: TcpStream) -> std::io::Result<()> {
    // Answers go out in request order from a second thread, each Produce answer only
    // once the sync covering its append is done; meanwhile this thread reads on.
    let (tx, rx) = mpsc::sync_channel::<(Vec<u8>, u64)>(MAX_QUEUED_ANSWERS);
    let mut out = conn.try_clone()?;
    let st = state.clone();
    std::thread::spawn(move || {
        for (reply, needs_sync) in rx {
            if needs_sync > 0 {
                let mut d = st.durable.lock().unwrap();
                while d.1 < needs_sync {
                    d = st.wake.wait(d).unwrap();
                }
            }
            if !reply.is_empty() && out.write_all(&reply).is_err() {
                return;
            }
        }
    });
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
        let answer = handle(state, Bytes::from(frame)).map_err(std::io::Error::other)?;
        if tx.send(answer).is_err() {
            return Ok(());
        }
    }
}

/// Decodes one request and returns its answer and, for appends, the write
/// sequence number a sync must cover before the answer goes out (0: none).
fn handle(state: &State, mut frame: Bytes) -> anyhow::Result<(Vec<u8>, u64)> {
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
                .map(|(k, min, max)| {
                    ApiVersion::default().with_api_key(*k as i16).with_min_version(*min).with_max_version(*max)
                })
                .collect();
            let v = version.min(3);
            let err = if version > 3 { 35 } else { 0 };
            ApiVersionsResponse::default()
                .with_error_code(err)
                .with_api_keys(keys)
                .encode(&mut body, if err != 0 { 0 } else { v })?;
            return Ok((frame_out(cid, 0, &body), 0));
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
                results.push(
                    CreatableTopicResult::default().with_name(t.name).with_num_partitions(n).with_replication_factor(1),
                );
            }
            CreateTopicsResponse::default().with_topics(results).encode(&mut body, version)?;
        }
        ApiKey::InitProducerId => {
            let _ = InitProducerIdRequest::decode(&mut frame, version)?;
            let mut next = state.next_producer_id.lock().unwrap();
            *next += 1;
            InitProducerIdResponse::default()
                .with_producer_id((*next).into())
                .with_producer_epoch(0)
                .encode(&mut body, version)?;
        }
        ApiKey::Produce => {
            let req = ProduceRequest::decode(&mut frame, version)?;
            let mut responses = Vec::new();
            let mut written = 0u64;
            for t in req.topic_data {
                let topic = t.name.to_string();
                let mut parts = Vec::new();
                for p in t.partition_data {
                    let records = p.records.unwrap_or_default();
                    let count = batch_record_count(&records);
                    {
                        // Append and count under one lock so "written" never runs ahead of the file.
                        let mut d = state.durable.lock().unwrap();
                        (&state.file).write_all(&records)?;
                        d.0 += 1;
                        written = d.0;
                    }
                    state.wake.notify_all();
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
            if req.acks == 0 {
                return Ok((Vec::new(), 0));
            }
            ProduceResponse::default().with_responses(responses).encode(&mut body, version)?;
            return Ok((frame_out(cid, api_key.response_header_version(version), &body), written));
        }
        ApiKey::FindCoordinator => {
            let _ = FindCoordinatorRequest::decode(&mut frame, version)?;
            // The sink has no groups: COORDINATOR_NOT_AVAILABLE (15).
            FindCoordinatorResponse::default().with_error_code(15).encode(&mut body, version)?;
        }
        other => anyhow::bail!("sink does not speak {other:?}"),
    }
    Ok((frame_out(cid, api_key.response_header_version(version), &body), 0))
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
