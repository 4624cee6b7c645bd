//! `oxbow scram set|delete|list`: manages SCRAM credentials directly in a
//! data directory's metadata store (the Kafka admin API
//! AlterUserScramCredentials is the path for a running cluster). Passwords
//! are salted and derived here; only StoredKey/ServerKey are written.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use oxbow_broker::security::scram::{self, Hash};
use oxbow_meta_store::{MetaStore, SqliteMetaStore};

struct Args {
    action: String,
    data_dir: PathBuf,
    user: Option<String>,
    mechanism: Hash,
    password: Option<String>,
    iterations: i32,
}

fn val(parser: &mut lexopt::Parser, name: &str) -> Result<String, String> {
    parser
        .value()
        .map_err(|_| format!("{name} needs a value"))?
        .into_string()
        .map_err(|_| format!("{name} needs UTF-8"))
}

fn parse(mut parser: lexopt::Parser) -> Result<Args, String> {
    use lexopt::prelude::*;
    let mut args = Args {
        action: String::new(),
        data_dir: PathBuf::from(".oxbow-data"),
        user: None,
        mechanism: Hash::Sha512,
        password: None,
        iterations: 4096,
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Value(v) if args.action.is_empty() => args.action = v.to_string_lossy().to_string(),
            Long("data-dir") => args.data_dir = PathBuf::from(val(&mut parser, "--data-dir")?),
            Long("user") => args.user = Some(val(&mut parser, "--user")?),
            Long("mechanism") => {
                let m = val(&mut parser, "--mechanism")?;
                args.mechanism = Hash::for_mechanism(&m)
                    .ok_or_else(|| format!("--mechanism {m:?} is not SCRAM-SHA-256 or SCRAM-SHA-512"))?;
            }
            Long("password") => args.password = Some(val(&mut parser, "--password")?),
            Long("iterations") => {
                let v = val(&mut parser, "--iterations")?;
                args.iterations =
                    v.parse().ok().filter(|i| (scram::ITERATIONS_MIN..=scram::ITERATIONS_MAX).contains(i)).ok_or_else(
                        || format!("--iterations {v:?} must be {}..={}", scram::ITERATIONS_MIN, scram::ITERATIONS_MAX),
                    )?;
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    if !matches!(args.action.as_str(), "set" | "delete" | "list") {
        return Err("expected set, delete or list".into());
    }
    if args.action != "list" && args.user.as_deref().is_none_or(str::is_empty) {
        return Err(format!("{} needs --user", args.action));
    }
    Ok(args)
}

pub fn run(parser: lexopt::Parser) -> ExitCode {
    let args = match parse(parser) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("oxbow scram: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("oxbow scram: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oxbow scram: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(args: Args) -> Result<(), String> {
    std::fs::create_dir_all(&args.data_dir).map_err(|e| format!("data directory {}: {e}", args.data_dir.display()))?;
    let path = args.data_dir.join("metadata.sqlite");
    let store = SqliteMetaStore::open(&path).map_err(|e| format!("metadata store {}: {e}", path.display()))?;
    let user = args.user.clone().unwrap_or_default();
    match args.action.as_str() {
        "set" => {
            let password = match args.password {
                Some(p) => p,
                None => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("reading the password: {e}"))?;
                    line.trim_end_matches(['\n', '\r']).to_string()
                }
            };
            if password.is_empty() {
                return Err("the password must not be empty".into());
            }
            let c = scram::credential_from_password(args.mechanism, &user, &password, args.iterations);
            store.upsert_scram_credential(c).await.map_err(|e| e.to_string())?;
            println!("set {} credential for user {user}", args.mechanism.mechanism());
        }
        "delete" => {
            if !store.delete_scram_credential(&user, args.mechanism.mechanism()).await.map_err(|e| e.to_string())? {
                return Err(format!("user {user} has no {} credential", args.mechanism.mechanism()));
            }
            println!("deleted {} credential for user {user}", args.mechanism.mechanism());
        }
        _ => {
            for c in store.scram_credentials().await.map_err(|e| e.to_string())? {
                if args.user.as_deref().is_none_or(|u| u == c.user) {
                    println!("{}\t{}\titerations={}", c.user, c.mechanism, c.iterations);
                }
            }
        }
    }
    Ok(())
}
