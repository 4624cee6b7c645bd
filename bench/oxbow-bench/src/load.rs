//! The client side: librdkafka producers and consumers (through `rdkafka`)
//! driving one scenario against one broker address, with HDR histograms for
//! latencies. Every loop is bounded by a record count and a deadline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

/// Monotonic epoch shared by producers and consumers of this process: each
/// payload starts with the nanoseconds since it, stamped at send time.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

/// Latencies are recorded in microseconds, 1 µs .. 60 s, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: &'static str,
    pub record_bytes: usize,
    pub partitions: i32,
    pub producers: usize,
    pub compression: &'static str,
    pub linger_ms: u32,
    /// Records per producer (upper bound; the deadline may stop earlier).
    pub records: u64,
    pub max_duration: Duration,
    /// Some(fraction): fixed total rate at this fraction of the measured peak
    /// of `rate_of` (same target), with a concurrent consumer for end-to-end latency.
    pub rate_fraction: Option<(f64, &'static str)>,
}

#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub records: u64,
    pub bytes: u64,
    pub errors: u64,
    pub seconds: f64,
    pub target_rate: Option<f64>,
    pub produce_p50_ms: f64,
    pub produce_p99_ms: f64,
    pub produce_p999_ms: f64,
    pub e2e_p50_ms: Option<f64>,
    pub e2e_p99_ms: Option<f64>,
    pub e2e_p999_ms: Option<f64>,
    pub consume_records: u64,
    pub consume_seconds: f64,
    /// Records in the topic after the run (warm-up included): what catch-up reads.
    pub topic_records: u64,
    /// CPU seconds the broker used during the produce phase (its share of a core = cpu / seconds).
    pub broker_cpu_seconds: f64,
}

impl Outcome {
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds.max(1e-9)
    }
    pub fn records_per_s(&self) -> f64 {
        self.records as f64 / self.seconds.max(1e-9)
    }
    pub fn consume_mb_per_s(&self, record_bytes: usize) -> f64 {
        (self.consume_records * record_bytes as u64) as f64 / 1e6 / self.consume_seconds.max(1e-9)
    }
}

struct DeliveryStats {
    latency_us: Mutex<Histogram<u64>>,
    delivered: AtomicU64,
    errors: AtomicU64,
    last_delivery_ns: AtomicU64,
}

struct Ctx(Arc<DeliveryStats>);
impl ClientContext for Ctx {}
impl ProducerContext for Ctx {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        let now = now_ns();
        match result {
            Ok(msg) => {
                if let Some(sent) = msg.payload().and_then(stamp) {
                    let us = (now.saturating_sub(sent) / 1000).max(1);
                    self.0.latency_us.lock().unwrap().saturating_record(us);
                }
                self.0.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.0.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.0.last_delivery_ns.fetch_max(now, Ordering::Relaxed);
    }
}

fn stamp(payload: &[u8]) -> Option<u64> {
    payload.get(..8).map(|b| u64::from_be_bytes(b.try_into().unwrap()))
}

/// Payload of `len` bytes (at least 8: the send stamp). Uncompressed scenarios use
/// pseudo-random bytes; `compressible` fills with words from a small vocabulary
/// and random hex ids, like log lines (lz4 shrinks it to about half).
fn payload(len: usize, compressible: bool, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut v = vec![0u8; len.max(8)];
    if compressible {
        const WORDS: [&[u8]; 8] =
            [b"oxbow ", b"stream ", b"kafka ", b"record ", b"offset ", b"partition ", b"batch ", b"topic "];
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut i = 8;
        while i < v.len() {
            // A word then 4 random hex digits (like an id): lz4 matches the words only,
            // so the batch shrinks to about half, not to nothing.
            let r = next();
            let mut word = WORDS[(r % 8) as usize].to_vec();
            word.extend((0..4).map(|k| HEX[((r >> (8 + 4 * k)) & 15) as usize]));
            word.push(b' ');
            let n = word.len().min(v.len() - i);
            v[i..i + n].copy_from_slice(&word[..n]);
            i += n;
        }
    } else {
        for b in v[8..].iter_mut() {
            *b = next() as u8;
        }
    }
    v
}

/// Distinct payloads per producer (1 MiB of 1 KiB records).
const PAYLOAD_POOL: usize = 1024;

fn base_config(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap).set("broker.address.family", "v4");
    c
}

pub fn create_topic(bootstrap: &str, topic: &str, partitions: i32) -> Result<(), String> {
    let admin: AdminClient<DefaultClientContext> = base_config(bootstrap).create().map_err(|e| e.to_string())?;
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let new = [NewTopic::new(topic, partitions, TopicReplication::Fixed(1))];
    let res = futures_executor::block_on(admin.create_topics(&new, &opts)).map_err(|e| e.to_string())?;
    for r in res {
        if let Err((t, code)) = r {
            if code != RDKafkaErrorCode::TopicAlreadyExists {
                return Err(format!("create topic {t}: {code}"));
            }
        }
    }
    Ok(())
}

/// Produces the scenario's load; `rate` (records/s, total) paces it if set.
/// When `e2e` is set a consumer reads the topic concurrently and records
/// produce-to-consume latency.
pub fn run(bootstrap: &str, topic: &str, s: &Scenario, rate: Option<f64>, e2e: bool) -> Result<Outcome, String> {
    create_topic(bootstrap, topic, s.partitions)?;
    epoch();
    let stats = Arc::new(DeliveryStats {
        latency_us: Mutex::new(new_histogram()),
        delivered: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        last_delivery_ns: AtomicU64::new(0),
    });
    let mut producers = Vec::new();
    for _ in 0..s.producers {
        let mut c = base_config(bootstrap);
        c.set("acks", "all")
            .set("enable.idempotence", "true")
            .set("linger.ms", s.linger_ms.to_string())
            .set("compression.type", s.compression)
            .set("queue.buffering.max.kbytes", "65536")
            .set("message.timeout.ms", "60000");
        let p: ThreadedProducer<Ctx> = c.create_with_context(Ctx(stats.clone())).map_err(|e| e.to_string())?;
        // Warm up: connection, producer id and topic metadata are not what this measures.
        for part in 0..s.partitions {
            let pl = payload(s.record_bytes, false, 7);
            let _ = p.send(BaseRecord::<(), [u8]>::to(topic).payload(&pl[..]).partition(part));
        }
        p.flush(Duration::from_secs(30)).map_err(|e| format!("warm-up: {e}"))?;
        producers.push(p);
    }
    let warm = stats.delivered.load(Ordering::Relaxed);
    if warm == 0 {
        return Err(format!("warm-up: no record delivered ({} errors)", stats.errors.load(Ordering::Relaxed)));
    }
    *stats.latency_us.lock().unwrap() = new_histogram();
    stats.delivered.store(0, Ordering::Relaxed);
    let warm_records = warm;

    let stop_consumer = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let consumer = if e2e {
        let c = consumer(bootstrap, topic, s.partitions)?;
        let stop = stop_consumer.clone();
        Some(std::thread::spawn(move || {
            let mut h = new_histogram();
            while !stop.load(Ordering::Relaxed) {
                if let Some(Ok(m)) = c.poll(Duration::from_millis(50)) {
                    if let Some(sent) = m.payload().and_then(stamp) {
                        h.saturating_record((now_ns().saturating_sub(sent) / 1000).max(1));
                    }
                }
            }
            h
        }))
    } else {
        None
    };
    if e2e {
        std::thread::sleep(Duration::from_millis(500)); // consumer assigned and fetching
    }

    let start = Instant::now();
    let start_ns = now_ns();
    let deadline = start + s.max_duration;
    let per_producer_rate = rate.map(|r| r / s.producers as f64);
    let sent_total = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for (i, p) in producers.iter().enumerate() {
            let sent_total = &sent_total;
            scope.spawn(move || {
                // Distinct payloads, cycled: a batch of one repeated record would compress to
                // nothing; PAYLOAD_POOL records (≥ 100 KiB) apart is beyond lz4's 64 KiB window.
                let mut pool: Vec<Vec<u8>> = (0..PAYLOAD_POOL)
                    .map(|k| {
                        payload(s.record_bytes, s.compression != "none", 0x9e37_79b9 + (i * PAYLOAD_POOL + k) as u64)
                    })
                    .collect();
                let mut sent = 0u64;
                while sent < s.records && Instant::now() < deadline {
                    if let Some(r) = per_producer_rate {
                        let due = start + Duration::from_secs_f64(sent as f64 / r);
                        let now = Instant::now();
                        // Sleep only when a millisecond ahead: a sleep per record would cost
                        // more syscalls than the sends and fall behind the rate on a busy machine.
                        if due > now + Duration::from_millis(1) {
                            std::thread::sleep(due - now);
                        }
                    }
                    let pl = &mut pool[(sent % PAYLOAD_POOL as u64) as usize];
                    pl[..8].copy_from_slice(&now_ns().to_be_bytes());
                    let part = (sent % s.partitions as u64) as i32;
                    match p.send(BaseRecord::<(), [u8]>::to(topic).payload(&pl[..]).partition(part)) {
                        Ok(()) => sent += 1,
                        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                            std::thread::sleep(Duration::from_micros(200))
                        }
                        Err(_) => break,
                    }
                }
                sent_total.fetch_add(sent, Ordering::Relaxed);
            });
        }
    });
    for p in &producers {
        let _ = p.flush(Duration::from_secs(60));
    }
    let last = stats.last_delivery_ns.load(Ordering::Relaxed);
    let seconds = (last.saturating_sub(start_ns)) as f64 / 1e9;
    let h = stats.latency_us.lock().unwrap().clone();
    let delivered = stats.delivered.load(Ordering::Relaxed);
    let mut out = Outcome {
        records: delivered,
        bytes: delivered * s.record_bytes as u64,
        errors: stats.errors.load(Ordering::Relaxed) + sent_total.load(Ordering::Relaxed).saturating_sub(delivered),
        seconds,
        target_rate: rate,
        produce_p50_ms: h.value_at_quantile(0.50) as f64 / 1000.0,
        produce_p99_ms: h.value_at_quantile(0.99) as f64 / 1000.0,
        produce_p999_ms: h.value_at_quantile(0.999) as f64 / 1000.0,
        ..Default::default()
    };
    drop(producers);
    if let Some(handle) = consumer {
        std::thread::sleep(Duration::from_millis(500)); // let the tail arrive
        stop_consumer.store(true, Ordering::Relaxed);
        let h = handle.join().map_err(|_| "consumer thread panicked".to_string())?;
        if !h.is_empty() {
            out.e2e_p50_ms = Some(h.value_at_quantile(0.50) as f64 / 1000.0);
            out.e2e_p99_ms = Some(h.value_at_quantile(0.99) as f64 / 1000.0);
            out.e2e_p999_ms = Some(h.value_at_quantile(0.999) as f64 / 1000.0);
        }
    }
    out.topic_records = warm_records + delivered;
    Ok(out)
}

fn consumer(bootstrap: &str, topic: &str, partitions: i32) -> Result<BaseConsumer, String> {
    let c: BaseConsumer = base_config(bootstrap)
        .set("group.id", "oxbow-bench")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "100")
        .create()
        .map_err(|e| e.to_string())?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning).map_err(|e| e.to_string())?;
    }
    c.assign(&tpl).map_err(|e| e.to_string())?;
    Ok(c)
}

/// Catch-up consume: a fresh consumer reads `expected` records of the topic from
/// the beginning as fast as it can (bounded by `max`). Returns (records, seconds).
pub fn catch_up(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    expected: u64,
    max: Duration,
) -> Result<(u64, f64), String> {
    let c = consumer(bootstrap, topic, partitions)?;
    let start = Instant::now();
    let mut first: Option<Instant> = None;
    let mut n = 0u64;
    let mut last = start;
    while n < expected && start.elapsed() < max {
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(_)) => {
                first.get_or_insert_with(Instant::now);
                n += 1;
                last = Instant::now();
            }
            Some(Err(e)) => return Err(format!("consume: {e}")),
            None => {}
        }
    }
    // From the first record: connection set-up and the first fetch's wait are not throughput.
    let secs = first.map(|f| (last - f).as_secs_f64()).unwrap_or(0.0);
    Ok((n, secs))
}
