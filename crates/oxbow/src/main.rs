//! The `oxbow` command. `oxbow up` starts a broker: on the embedded defaults
//! (objects in a local directory, metadata in SQLite) or, with
//! `--metadata postgres://...` and `--objects s3://bucket/prefix`, on shared
//! stores that several brokers use side by side.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use oxbow_broker::security::tls::TlsServer;
use oxbow_broker::security::Listener;
use oxbow_broker::{Broker, BrokerConfig};
use oxbow_log::LogEngine;
use oxbow_meta_store::{MetaStore, PostgresMetaStore, SqliteMetaStore};
use oxbow_object_store::{LocalDirStore, ObjectStore, S3Options, S3Store};

mod cli;
mod scram_cli;

const USAGE: &str = "usage: oxbow up [--listen HOST:PORT] [--api-listen HOST:PORT] [--region REGION] \
[--advertised-host HOST] [--data-dir DIR] [--node-id N] [--rack RACK] [--metadata SQLITE_PATH|postgres://...] \
[--objects DIR|s3://BUCKET/PREFIX] [--preset msk] [--set KAFKA.CONFIG=VALUE]... \
[--log-level error|warn|info|debug|trace] | oxbow scram set|delete|list ... | oxbow help (control-plane commands)";

/// The control plane's default API address (`--api-listen`).
const DEFAULT_API_LISTEN: &str = "127.0.0.1:9080";

struct UpArgs {
    config: BrokerConfig,
    /// None: the default address, with a fallback to a free port when it is taken.
    api_listen: Option<SocketAddr>,
    region: String,
    advertised_host: Option<String>,
    data_dir: PathBuf,
    /// A PostgreSQL URL or a SQLite file path; None: `<data-dir>/metadata.sqlite`.
    metadata: Option<String>,
    /// `s3://bucket/prefix` or a directory; None: `<data-dir>/objects`.
    objects: Option<String>,
    log_level: tracing::Level,
}

fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

fn value(parser: &mut lexopt::Parser, name: &str) -> Result<String, String> {
    parser
        .value()
        .map_err(|_| format!("{name} needs a value"))?
        .into_string()
        .map_err(|_| format!("{name} needs a UTF-8 value"))
}

fn parse_up(mut parser: lexopt::Parser) -> Result<UpArgs, String> {
    use lexopt::prelude::*;
    let mut config = BrokerConfig::default();
    let mut advertised_host = None;
    let mut data_dir = PathBuf::from(".oxbow-data");
    let (mut metadata, mut objects) = (None, None);
    let mut log_level = tracing::Level::INFO;
    let mut api_listen = None;
    let mut region = "us-east-1".to_string();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("listen") => {
                let v = value(&mut parser, "--listen")?;
                config.listen = v
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut a| a.next())
                    .ok_or_else(|| format!("--listen {v:?} is not HOST:PORT"))?;
            }
            Long("api-listen") => {
                let v = value(&mut parser, "--api-listen")?;
                api_listen = Some(
                    v.to_socket_addrs()
                        .ok()
                        .and_then(|mut a| a.next())
                        .ok_or_else(|| format!("--api-listen {v:?} is not HOST:PORT"))?,
                );
            }
            Long("region") => {
                region = value(&mut parser, "--region")?;
                if region.is_empty() || !region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(format!("--region {region:?} is not a region name"));
                }
            }
            Long("advertised-host") => advertised_host = Some(value(&mut parser, "--advertised-host")?),
            Long("data-dir") => data_dir = PathBuf::from(value(&mut parser, "--data-dir")?),
            Long("node-id") => config.set("node.id", &value(&mut parser, "--node-id")?)?,
            Long("rack") => config.set("broker.rack", &value(&mut parser, "--rack")?)?,
            Long("metadata") => {
                let v = value(&mut parser, "--metadata")?;
                if v.contains("://") && !is_postgres_url(&v) {
                    return Err(format!("--metadata {v:?} is neither a SQLite file path nor postgres://..."));
                }
                metadata = Some(v);
            }
            Long("objects") => {
                let v = value(&mut parser, "--objects")?;
                if v.contains("://") && !v.starts_with("s3://") {
                    return Err(format!("--objects {v:?} is neither a directory nor s3://bucket/prefix"));
                }
                objects = Some(v);
            }
            Long("preset") => config.set("oxbow.listeners.preset", &value(&mut parser, "--preset")?)?,
            Long("set") => {
                let v = value(&mut parser, "--set")?;
                let (k, val) = v.split_once('=').ok_or_else(|| format!("--set {v:?} is not NAME=VALUE"))?;
                config.set(k.trim(), val.trim())?;
            }
            Long("log-level") => {
                let v = value(&mut parser, "--log-level")?;
                log_level = v.parse().map_err(|_| format!("--log-level {v:?} is not error|warn|info|debug|trace"))?;
            }
            Long("help") | Short('h') => return Err(USAGE.to_string()),
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(UpArgs { config, api_listen, region, advertised_host, data_dir, metadata, objects, log_level })
}

fn main() -> ExitCode {
    let mut parser = lexopt::Parser::from_env();
    let command = match parser.next() {
        Ok(Some(lexopt::Arg::Value(v))) => v.to_string_lossy().to_string(),
        Ok(Some(lexopt::Arg::Long("version"))) => {
            println!("oxbow {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command.as_str() {
        "up" => match parse_up(parser) {
            Ok(args) => up(args),
            Err(reason) => {
                eprintln!("oxbow up: {reason}");
                ExitCode::from(2)
            }
        },
        "scram" => scram_cli::run(parser),
        other if cli::COMMANDS.contains(&other) => cli::run(other, parser),
        other => {
            eprintln!("oxbow: unknown command {other:?}; {USAGE}");
            ExitCode::from(2)
        }
    }
}

fn up(args: UpArgs) -> ExitCode {
    tracing_subscriber::fmt().with_max_level(args.log_level).with_writer(std::io::stderr).with_target(false).init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("oxbow up: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oxbow up: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: UpArgs) -> anyhow::Result<()> {
    let UpArgs { mut config, api_listen, region, advertised_host, data_dir, metadata, objects, .. } = args;
    let started = std::time::Instant::now();
    let specs = config.security.resolve_listeners(config.listen).map_err(|e| anyhow::anyhow!(e))?;
    // Bind first: a busy port is the commonest start-up failure and must be
    // reported before anything is written to the data directory.
    let mut bound_listeners = Vec::new();
    for (name, protocol, addr) in specs {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                anyhow::anyhow!("{addr} is already in use (listener {name})")
            } else {
                anyhow::anyhow!("cannot listen on {addr} (listener {name}): {e}")
            }
        })?;
        let bound: SocketAddr = listener.local_addr()?;
        let (host, port) = match config.security.advertised_listeners.get(&name) {
            Some((h, p)) if !h.is_empty() => (h.clone(), if *p == 0 { bound.port() } else { *p }),
            _ => (advertised_host.clone().unwrap_or_else(|| bound.ip().to_string()), bound.port()),
        };
        let tls = match config.security.tls_settings(protocol).filter(|_| protocol.is_tls()) {
            Some(settings) => Some(Arc::new(TlsServer::load(settings).map_err(|e| anyhow::anyhow!(e))?)),
            None => None,
        };
        let info = Listener { name, protocol, bind: bound, advertised_host: host, advertised_port: port as i32 };
        bound_listeners.push((listener, Arc::new(info), tls));
    }
    let api_listener = match api_listen {
        Some(addr) => tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                anyhow::anyhow!("--api-listen {addr} is already in use")
            } else {
                anyhow::anyhow!("cannot listen on {addr}: {e}")
            }
        })?,
        // The default port may be held by another `oxbow up` on this machine: take any free one
        // and say so, rather than refusing to start a broker whose Kafka port was free.
        None => match tokio::net::TcpListener::bind(DEFAULT_API_LISTEN).await {
            Ok(l) => l,
            // (Not a warning on stderr, which carries one-line start-up errors.)
            Err(e) => {
                tracing::debug!(error = %e, "{DEFAULT_API_LISTEN} is not available for the API; using a free port");
                tokio::net::TcpListener::bind("127.0.0.1:0").await?
            }
        },
    };
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| anyhow::anyhow!("data directory {} is not usable: {e}", data_dir.display()))?;
    let data_dir = data_dir.canonicalize().unwrap_or(data_dir);
    let (objects, objects_where) = open_objects(objects, &data_dir).await?;
    let (meta, metadata_where) = open_metadata(metadata, &data_dir).await?;

    // The first listener is the broker's registered endpoint.
    let first = bound_listeners[0].1.clone();
    let bound = first.bind;
    config.listen = bound;
    config.advertised_host = first.advertised_host.clone();
    config.advertised_port = first.advertised_port;
    config.log.object_key_prefix = format!("n{}", config.node_id);

    let engine = LogEngine::start(meta, objects, config.log.clone());
    let broker = Broker::new(config, engine).await?;

    let (plane, _) =
        oxbow_control::ControlPlane::open(oxbow_control::ControlConfig { data_dir: data_dir.clone(), region })?;
    let lines: Vec<String> = bound_listeners
        .iter()
        .map(|(_, info, _)| format!("listener {} ({}) listening on {}", info.name, info.protocol.name(), info.bind))
        .collect();
    let default_arn = plane.start(bound_listeners, broker.clone()).await?;
    let api_addr = api_listener.local_addr()?;
    let endpoint = format!("http://{api_addr}");
    // `oxbow` CLI commands find the running API here.
    std::fs::write(data_dir.join("control-endpoint"), &endpoint)?;
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let api = tokio::spawn(plane.clone().serve(api_listener, shutdown_rx.clone()));
    let health = tokio::spawn(plane.clone().run_health(shutdown_rx));

    println!(
        "oxbow {}: kafka listening on {} (node {}, cluster {}) — started in {} ms",
        env!("CARGO_PKG_VERSION"),
        bound,
        broker.config.node_id,
        broker.cluster_id,
        started.elapsed().as_millis()
    );
    println!("data: {} (objects: {objects_where}, metadata: {metadata_where})", data_dir.display());
    // With `listeners` set, one line per listener (tests and operators read the ports here).
    if !broker.config.security.listeners.is_empty() {
        for line in lines {
            println!("{line}");
        }
    }
    let identity = plane.default_identity()?;
    println!("api listening on {endpoint} (MSK and Secrets Manager APIs, region {})", plane.region);
    println!(
        "account {}: AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={}",
        identity.account_id, identity.access_key_id, identity.secret_access_key
    );
    println!("default cluster {default_arn}: bootstrap {}", plane.bootstrap_of(&default_arn)?);
    println!("try: aws kafka list-clusters --endpoint-url {endpoint} --region {}", plane.region);
    println!("try: kcat -b {bound} -L");
    use std::io::Write;
    let _ = std::io::stdout().flush();

    wait_for_signal().await;
    tracing::info!("shutting down");
    let _ = shutdown_tx.send(true);
    let _ = api.await;
    health.abort();
    plane.shutdown().await;
    // End the lease at once, so brokers sharing the stores stop listing this one.
    if let Err(e) = oxbow_broker::background::deregister(&broker).await {
        tracing::warn!(error = %e, "could not end the broker lease");
    }
    Ok(())
}

/// The object store named by `--objects` (default: `<data-dir>/objects`) and a
/// description of it for the start-up banner.
async fn open_objects(
    objects: Option<String>,
    data_dir: &std::path::Path,
) -> anyhow::Result<(Arc<dyn ObjectStore>, String)> {
    match objects {
        Some(url) if url.starts_with("s3://") => {
            let options = S3Options::from_env();
            let store = S3Store::open(&url, &options).map_err(|e| anyhow::anyhow!("--objects: {e}"))?;
            store.check().await.map_err(|e| anyhow::anyhow!("object store {url} is not usable: {e}"))?;
            let endpoint = options.endpoint.unwrap_or_else(|| "AWS".into());
            Ok((Arc::new(store), format!("{url} at {endpoint}")))
        }
        other => {
            let dir = other.map(PathBuf::from).unwrap_or_else(|| data_dir.join("objects"));
            let store = LocalDirStore::open(&dir)
                .map_err(|e| anyhow::anyhow!("data directory {} is not writable: {e}", dir.display()))?;
            Ok((Arc::new(store), dir.display().to_string()))
        }
    }
}

/// The metadata store named by `--metadata` (default: `<data-dir>/metadata.sqlite`).
async fn open_metadata(
    metadata: Option<String>,
    data_dir: &std::path::Path,
) -> anyhow::Result<(Arc<dyn MetaStore>, String)> {
    match metadata {
        Some(url) if is_postgres_url(&url) => {
            let store = PostgresMetaStore::connect(&url)
                .await
                .map_err(|e| anyhow::anyhow!("metadata store {} cannot be opened: {e}", redact(&url)))?;
            Ok((Arc::new(store), redact(&url)))
        }
        other => {
            let path = other.map(PathBuf::from).unwrap_or_else(|| data_dir.join("metadata.sqlite"));
            let store = SqliteMetaStore::open(&path)
                .map_err(|e| anyhow::anyhow!("metadata store {} cannot be opened: {e}", path.display()))?;
            Ok((Arc::new(store), path.display().to_string()))
        }
    }
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        // Without signal handlers the process is stopped by the default action.
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
