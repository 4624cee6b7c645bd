//! `oxbow-bench`: the same librdkafka load against Oxbow, the machine's limit
//! (a raw append-and-fdatasync sink, see sink.rs) and a peer (Tansu), in one
//! run, with ratios. See BENCHMARKS.md for what it measures and how to run it.
//!
//! Usage:
//!   oxbow-bench [--smoke] [--repeat N] [--json] [--oxbow BIN] [--tansu BIN]
//!               [--targets oxbow,sink,tansu] [--scenarios a,b] [--work-dir DIR]
//!               [--set KEY=VALUE]...           (passed to `oxbow up`)
//!   oxbow-bench sink --listen ADDR --file PATH   (the raw-limit server)

mod load;
mod sink;
mod targets;

use std::collections::BTreeMap;
use std::time::Duration;

use load::{Outcome, Scenario};
use targets::{Kind, Target};

struct Args {
    smoke: bool,
    repeat: usize,
    json: bool,
    oxbow: String,
    tansu: Option<String>,
    targets: Vec<Kind>,
    scenarios: Option<Vec<String>>,
    work_dir: Option<String>,
    oxbow_sets: Vec<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: oxbow-bench [--smoke] [--repeat N] [--json] [--oxbow BIN] [--tansu BIN] \
         [--targets oxbow,sink,tansu] [--scenarios NAME,..] [--work-dir DIR] [--set K=V]..\n       \
         oxbow-bench sink --listen ADDR --file PATH"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut it = std::env::args().skip(1);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut a = Args {
        smoke: false,
        repeat: 1,
        json: false,
        oxbow: format!("{root}/target/release/oxbow"),
        tansu: None,
        targets: vec![Kind::Oxbow, Kind::Sink, Kind::Tansu],
        scenarios: None,
        work_dir: None,
        oxbow_sets: Vec::new(),
    };
    let default_tansu = format!("{}/.cache/oxbow/tansu/bin/tansu", std::env::var("HOME").unwrap_or_default());
    if std::path::Path::new(&default_tansu).exists() {
        a.tansu = Some(default_tansu);
    }
    while let Some(arg) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--smoke" => a.smoke = true,
            "--json" => a.json = true,
            "--repeat" => a.repeat = val().parse().unwrap_or_else(|_| usage()),
            "--oxbow" => a.oxbow = val(),
            "--tansu" => a.tansu = Some(val()),
            "--work-dir" => a.work_dir = Some(val()),
            "--set" => a.oxbow_sets.push(val()),
            "--scenarios" => a.scenarios = Some(val().split(',').map(String::from).collect()),
            "--targets" => {
                a.targets = val()
                    .split(',')
                    .map(|t| match t {
                        "oxbow" => Kind::Oxbow,
                        "sink" => Kind::Sink,
                        "tansu" => Kind::Tansu,
                        _ => usage(),
                    })
                    .collect()
            }
            _ => usage(),
        }
    }
    a.repeat = a.repeat.clamp(1, 100);
    a
}

fn scenarios(smoke: bool) -> Vec<Scenario> {
    // Full runs: bounded by count and by time, whichever comes first.
    let (n, secs) = if smoke { (3_000, 5) } else { (400_000, 20) };
    let d = Duration::from_secs(secs);
    let base = Scenario {
        name: "1k-p1",
        record_bytes: 1024,
        partitions: 1,
        producers: 1,
        compression: "none",
        linger_ms: 5,
        records: n,
        max_duration: d,
        rate_fraction: None,
    };
    vec![
        base.clone(),
        Scenario { name: "1k-p8", partitions: 8, ..base.clone() },
        Scenario { name: "100b-p8", record_bytes: 100, partitions: 8, records: n * 4, ..base.clone() },
        Scenario { name: "1k-lz4-p8", partitions: 8, compression: "lz4", ..base.clone() },
        Scenario { name: "1k-4prod-p8", partitions: 8, producers: 4, records: n / 2, ..base.clone() },
        Scenario {
            name: "1k-p8-half-rate",
            partitions: 8,
            max_duration: if smoke { Duration::from_secs(2) } else { Duration::from_secs(15) },
            records: u64::MAX / 2,
            rate_fraction: Some((0.5, "1k-p8")),
            ..base
        },
    ]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("sink") {
        let (mut listen, mut file) = ("127.0.0.1:0".to_string(), None);
        let mut it = argv.iter().skip(2);
        while let Some(a) = it.next() {
            match a.as_str() {
                "--listen" => listen = it.next().cloned().unwrap_or_else(|| usage()),
                "--file" => file = it.next().cloned(),
                _ => usage(),
            }
        }
        if let Err(e) = sink::run(&listen, &file.unwrap_or_else(|| usage())) {
            eprintln!("sink: {e}");
            std::process::exit(1);
        }
        return;
    }
    let args = parse_args();
    let all = scenarios(args.smoke);
    let chosen: Vec<Scenario> = match &args.scenarios {
        Some(names) => all.iter().filter(|s| names.iter().any(|n| n == s.name)).cloned().collect(),
        None => all.clone(),
    };
    let work = match &args.work_dir {
        Some(d) => std::path::PathBuf::from(d),
        None => std::env::temp_dir().join(format!("oxbow-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&work).expect("work dir");
    let mut targets_list = args.targets.clone();
    if args.tansu.is_none() {
        if targets_list.contains(&Kind::Tansu) {
            eprintln!("note: no Tansu binary (--tansu or ~/.cache/oxbow/tansu/bin/tansu); skipping the peer");
        }
        targets_list.retain(|k| *k != Kind::Tansu);
    }

    // results[(target, scenario)] = outcomes over repeats
    let mut results: BTreeMap<(String, String), Vec<Outcome>> = BTreeMap::new();
    let mut rss: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut failed = false;
    for round in 0..args.repeat {
        // All targets run at once and each scenario goes through them back to back, so the
        // figures compared in one row were measured minutes apart at most on this noisy machine.
        let mut running = Vec::new();
        for kind in &targets_list {
            let dir = work.join(format!("{}-{round}", kind.name()));
            match Target::start(*kind, &dir, &args.oxbow, args.tansu.as_deref(), &args.oxbow_sets) {
                Ok(t) => running.push((*kind, t)),
                Err(e) => {
                    eprintln!("{}: failed to start: {e}", kind.name());
                    failed = true;
                }
            }
        }
        std::thread::sleep(Duration::from_secs(1));
        for (kind, target) in &running {
            let e = rss.entry(kind.name().into()).or_insert((u64::MAX, 0));
            e.0 = e.0.min(target.rss_kib().unwrap_or(0));
        }
        let mut peaks: BTreeMap<(&str, &str), f64> = BTreeMap::new();
        for s in &chosen {
            for (kind, target) in &running {
                let kind = *kind;
                let rate = s.rate_fraction.and_then(|(f, of)| {
                    peaks.get(&(kind.name(), of)).map(|p| p * f).or_else(|| {
                        // The peak scenario was not selected: measure it first, unreported.
                        let base = all.iter().find(|x| x.name == of)?;
                        let o = load::run(&target.bootstrap, &format!("peak-{round}"), base, None, false).ok()?;
                        Some(o.records_per_s() * f)
                    })
                });
                if s.rate_fraction.is_some() && rate.is_none() {
                    eprintln!("{} {}: no peak to take a fraction of; skipped", kind.name(), s.name);
                    continue;
                }
                let topic = format!("bench-{}-{round}", s.name);
                let e2e = s.rate_fraction.is_some() && kind != Kind::Sink;
                eprintln!(
                    "{} {} (round {}){}",
                    kind.name(),
                    s.name,
                    round + 1,
                    rate.map(|r| format!(" at {r:.0} records/s")).unwrap_or_default()
                );
                let cpu0 = target.cpu_seconds().unwrap_or(0.0);
                match load::run(&target.bootstrap, &topic, s, rate, e2e) {
                    Ok(mut o) => {
                        o.broker_cpu_seconds = target.cpu_seconds().unwrap_or(0.0) - cpu0;
                        if s.rate_fraction.is_none() {
                            peaks.insert((kind.name(), s.name), o.records_per_s());
                        }
                        if kind != Kind::Sink && s.rate_fraction.is_none() {
                            let max = Duration::from_secs(if args.smoke { 10 } else { 60 });
                            match load::catch_up(&target.bootstrap, &topic, s.partitions, o.topic_records, max) {
                                Ok((n, secs)) => {
                                    o.consume_records = n;
                                    o.consume_seconds = secs;
                                    if n < o.topic_records {
                                        eprintln!("  catch-up read {n} of {} records", o.topic_records);
                                        failed = true;
                                    }
                                }
                                Err(e) => {
                                    eprintln!("  catch-up: {e}");
                                    failed = true;
                                }
                            }
                        }
                        if o.errors > 0 || o.records == 0 {
                            eprintln!("  {} delivery errors, {} delivered", o.errors, o.records);
                            failed = true;
                        }
                        eprintln!(
                            "  {:.1} MB/s {:.0} rec/s p99 {:.2} ms broker cpu {:.2} s in {:.2} s, consume {:.1} MB/s",
                            o.mb_per_s(),
                            o.records_per_s(),
                            o.produce_p99_ms,
                            o.broker_cpu_seconds,
                            o.seconds,
                            o.consume_mb_per_s(s.record_bytes)
                        );
                        results.entry((kind.name().into(), s.name.into())).or_default().push(o);
                    }
                    Err(e) => {
                        eprintln!("  failed: {e}");
                        failed = true;
                    }
                }
            }
        }
        for (kind, target) in &running {
            let e = rss.entry(kind.name().into()).or_insert((u64::MAX, 0));
            e.1 = e.1.max(target.peak_rss_kib().unwrap_or(0));
        }
    }
    report(&args, &chosen, &targets_list, &results, &rss);
    if args.work_dir.is_none() {
        let _ = std::fs::remove_dir_all(&work);
    }
    if failed {
        std::process::exit(1);
    }
}

struct Row {
    mbs: f64,
    rps: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    e2e_p50: Option<f64>,
    e2e_p99: Option<f64>,
    e2e_p999: Option<f64>,
    consume_mbs: Option<f64>,
    rate: Option<f64>,
    /// Broker CPU per second of produce (1.0 = one core busy).
    cpu_share: f64,
}

fn summarise(v: &[Outcome], record_bytes: usize) -> Row {
    let opt = |f: &dyn Fn(&Outcome) -> Option<f64>| {
        let xs: Vec<f64> = v.iter().filter_map(f).collect();
        (!xs.is_empty()).then(|| median(xs))
    };
    Row {
        mbs: median(v.iter().map(Outcome::mb_per_s).collect()),
        rps: median(v.iter().map(Outcome::records_per_s).collect()),
        p50: median(v.iter().map(|o| o.produce_p50_ms).collect()),
        p99: median(v.iter().map(|o| o.produce_p99_ms).collect()),
        p999: median(v.iter().map(|o| o.produce_p999_ms).collect()),
        e2e_p50: opt(&|o| o.e2e_p50_ms),
        e2e_p99: opt(&|o| o.e2e_p99_ms),
        e2e_p999: opt(&|o| o.e2e_p999_ms),
        consume_mbs: opt(&|o| (o.consume_records > 0).then(|| o.consume_mb_per_s(record_bytes))),
        rate: opt(&|o| o.target_rate),
        cpu_share: median(v.iter().map(|o| o.broker_cpu_seconds / o.seconds.max(1e-9)).collect()),
    }
}

fn report(
    args: &Args,
    chosen: &[Scenario],
    targets_list: &[Kind],
    results: &BTreeMap<(String, String), Vec<Outcome>>,
    rss: &BTreeMap<String, (u64, u64)>,
) {
    let f = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
    let mut json_rows = Vec::new();
    println!(
        "{:<22} {:<6} {:>7} {:>8} {:>7} {:>7} {:>8} {:>7} {:>7} {:>8} {:>8} {:>5} {:>6} {:>7}",
        "scenario",
        "target",
        "MB/s",
        "rec/s",
        "p50ms",
        "p99ms",
        "p99.9ms",
        "e2e50",
        "e2e99",
        "e2e99.9",
        "consMB/s",
        "cpu",
        "x_sink",
        "x_tansu"
    );
    for s in chosen {
        let get = |k: &str| results.get(&(k.to_string(), s.name.to_string())).map(|v| summarise(v, s.record_bytes));
        let sink = get("sink");
        let tansu = get("tansu");
        for kind in targets_list {
            let Some(r) = get(kind.name()) else { continue };
            // Throughput ratios only for as-fast-as-it-goes runs; fixed-rate runs are read for latency.
            let ratio_row = *kind == Kind::Oxbow && s.rate_fraction.is_none();
            let vs_sink = sink.as_ref().filter(|_| ratio_row).map(|x| r.mbs / x.mbs);
            let vs_tansu = tansu.as_ref().filter(|_| ratio_row).map(|x| r.mbs / x.mbs);
            let name = match r.rate {
                Some(rate) => format!("{}@{:.0}", s.name, rate),
                None => s.name.to_string(),
            };
            println!(
                "{:<22} {:<6} {:>7.1} {:>8.0} {:>7.2} {:>7.2} {:>8.2} {:>7} {:>7} {:>8} {:>8} {:>5.2} {:>6} {:>7}",
                name,
                kind.name(),
                r.mbs,
                r.rps,
                r.p50,
                r.p99,
                r.p999,
                f(r.e2e_p50),
                f(r.e2e_p99),
                f(r.e2e_p999),
                r.consume_mbs.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into()),
                r.cpu_share,
                f(vs_sink),
                f(vs_tansu)
            );
            json_rows.push(serde_json::json!({
                "scenario": s.name, "target": kind.name(), "repeats": results[&(kind.name().to_string(), s.name.to_string())].len(),
                "produce_mb_per_s": r.mbs, "produce_records_per_s": r.rps, "rate_records_per_s": r.rate,
                "produce_p50_ms": r.p50, "produce_p99_ms": r.p99, "produce_p999_ms": r.p999,
                "e2e_p50_ms": r.e2e_p50, "e2e_p99_ms": r.e2e_p99, "e2e_p999_ms": r.e2e_p999,
                "consume_mb_per_s": r.consume_mbs, "broker_cpu_share": r.cpu_share, "oxbow_over_sink": vs_sink, "oxbow_over_tansu": vs_tansu,
            }));
        }
    }
    for (k, (idle, peak)) in rss {
        println!("rss {k}: idle {:.1} MB, peak {:.1} MB", *idle as f64 / 1024.0, *peak as f64 / 1024.0);
    }
    println!("(MB = 10^6 bytes of record payload; medians over {} round(s); cpu = broker CPU-seconds per second of produce; x_ = Oxbow MB/s over the other's)", args.repeat);
    if args.json {
        let rss_json: serde_json::Map<String, serde_json::Value> = rss
            .iter()
            .map(|(k, (i, p))| (k.clone(), serde_json::json!({"idle_rss_kib": i, "peak_rss_kib": p})))
            .collect();
        println!("{}", serde_json::json!({"rows": json_rows, "rss": rss_json}));
    }
}
