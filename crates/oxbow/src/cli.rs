//! Everyday control-plane tasks without the AWS CLI. Commands that change
//! clusters, secrets or policies call the running API (found through
//! `<data-dir>/control-endpoint`) signed with the default account's keys;
//! `credentials`, `principal` and `audit` read or write the control store
//! directly (they work with `oxbow up` stopped too).

use std::path::PathBuf;
use std::process::ExitCode;

use oxbow_control::client::Client;
use oxbow_control::store::Store;
use serde_json::{json, Value};

pub const COMMANDS: &[&str] =
    &["clusters", "bootstrap-brokers", "credentials", "principal", "secret", "policy", "audit", "help"];

const HELP: &str = "oxbow control-plane commands (all take --data-dir DIR, default .oxbow-data):
  oxbow clusters                              list clusters: name, state, brokers, bootstrap, ARN
  oxbow bootstrap-brokers CLUSTER             the bootstrap string of a cluster (name or ARN)
  oxbow credentials                           the default account's id and access keys
  oxbow principal create --name NAME [--account ID|new] [--policy JSON]
                                              a principal with fresh access keys (a new account with `new`)
  oxbow secret create NAME --username U --password P
                                              a Secrets Manager secret (name must start with AmazonMSK_ for SCRAM)
  oxbow secret associate CLUSTER SECRET_ARN...   give the secrets' users SCRAM access to a cluster
  oxbow policy get|delete CLUSTER             a cluster's resource policy
  oxbow policy put CLUSTER JSON               set a cluster's resource policy
  oxbow audit [--limit N]                     the newest API calls: time, principal, action, resource, result";

struct Args {
    data_dir: PathBuf,
    positional: Vec<String>,
    options: Vec<(String, String)>,
}

impl Args {
    fn opt(&self, name: &str) -> Option<&str> {
        self.options.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn parse(mut parser: lexopt::Parser) -> Result<Args, String> {
    use lexopt::prelude::*;
    let mut args = Args { data_dir: PathBuf::from(".oxbow-data"), positional: Vec::new(), options: Vec::new() };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("data-dir") => args.data_dir = PathBuf::from(crate::value(&mut parser, "--data-dir")?),
            Long(name) => {
                let name = name.to_string();
                let v = crate::value(&mut parser, &format!("--{name}"))?;
                args.options.push((name, v));
            }
            Value(v) => args.positional.push(v.into_string().map_err(|_| "arguments must be UTF-8".to_string())?),
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(args)
}

pub fn run(command: &str, parser: lexopt::Parser) -> ExitCode {
    if command == "help" {
        println!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let args = match parse(parser) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("oxbow {command}: {e}");
            return ExitCode::from(2);
        }
    };
    match execute(command, &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oxbow {command}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn store(args: &Args) -> anyhow::Result<Store> {
    let path = args.data_dir.join("control.sqlite");
    if !path.exists() {
        anyhow::bail!(
            "{} does not exist; start `oxbow up --data-dir {}` once first",
            path.display(),
            args.data_dir.display()
        );
    }
    Store::open(&path)
}

fn client(args: &Args) -> anyhow::Result<Client> {
    let s = store(args)?;
    let endpoint = std::fs::read_to_string(args.data_dir.join("control-endpoint"))
        .map_err(|_| anyhow::anyhow!("no control-endpoint in {}; is `oxbow up` running?", args.data_dir.display()))?;
    let account = s.accounts()?.first().map(|a| a.0.clone()).ok_or_else(|| anyhow::anyhow!("no account"))?;
    let p = s
        .principals()?
        .into_iter()
        .find(|p| p.account_id == account)
        .ok_or_else(|| anyhow::anyhow!("no principal in the default account"))?;
    Ok(Client {
        endpoint: endpoint.trim().to_string(),
        region: args.opt("region").unwrap_or("us-east-1").to_string(),
        access_key_id: p.access_key_id,
        secret_access_key: p.secret_access_key,
    })
}

fn ok(answer: (u16, Value)) -> anyhow::Result<Value> {
    match answer {
        (200..=299, v) => Ok(v),
        (status, v) => {
            let message = v.get("message").or_else(|| v.get("Message")).and_then(Value::as_str).unwrap_or("");
            anyhow::bail!("HTTP {status}: {message}")
        }
    }
}

fn enc(s: &str) -> String {
    oxbow_control::util::uri_encode(s, false)
}

fn clusters(c: &Client) -> anyhow::Result<Vec<Value>> {
    let v = ok(c.call("kafka", "GET", "/api/v2/clusters", "", None, None)?)?;
    Ok(v.get("clusterInfoList").and_then(Value::as_array).cloned().unwrap_or_default())
}

fn cluster_arn(c: &Client, name_or_arn: &str) -> anyhow::Result<String> {
    if name_or_arn.starts_with("arn:") {
        return Ok(name_or_arn.to_string());
    }
    clusters(c)?
        .iter()
        .find(|k| k.get("clusterName").and_then(Value::as_str) == Some(name_or_arn))
        .and_then(|k| k.get("clusterArn").and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| anyhow::anyhow!("no cluster named {name_or_arn}"))
}

fn bootstrap(c: &Client, arn: &str) -> String {
    c.call("kafka", "GET", &format!("/v1/clusters/{}/bootstrap-brokers", enc(arn)), "", None, None)
        .ok()
        .and_then(|a| ok(a).ok())
        .and_then(|v| v.get("bootstrapBrokerString").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "-".into())
}

fn arg<'a>(args: &'a Args, i: usize, what: &str) -> anyhow::Result<&'a str> {
    args.positional.get(i).map(String::as_str).ok_or_else(|| anyhow::anyhow!("missing {what}; see `oxbow help`"))
}

fn execute(command: &str, args: &Args) -> anyhow::Result<()> {
    match command {
        "credentials" => {
            let s = store(args)?;
            let account = s.accounts()?.first().map(|a| a.0.clone()).ok_or_else(|| anyhow::anyhow!("no account"))?;
            for p in s.principals()?.into_iter().filter(|p| p.account_id == account) {
                println!("account {} principal {}", p.account_id, p.arn);
                println!("AWS_ACCESS_KEY_ID={}", p.access_key_id);
                println!("AWS_SECRET_ACCESS_KEY={}", p.secret_access_key);
            }
        }
        "principal" => {
            if arg(args, 0, "`create`")? != "create" {
                anyhow::bail!("usage: oxbow principal create --name NAME [--account ID|new] [--policy JSON]");
            }
            let s = store(args)?;
            let name = args.opt("name").ok_or_else(|| anyhow::anyhow!("--name is required"))?;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)) {
                anyhow::bail!("--name must be letters, digits and +=,.@_-");
            }
            let account = match args.opt("account") {
                Some("new") => {
                    let id = oxbow_control::util::random_string(12, b"0123456789");
                    s.add_account(&id, name)?;
                    id
                }
                Some(id) => {
                    if !s.accounts()?.iter().any(|a| a.0 == id) {
                        anyhow::bail!("no account {id}");
                    }
                    id.to_string()
                }
                None => s.accounts()?.first().map(|a| a.0.clone()).ok_or_else(|| anyhow::anyhow!("no account"))?,
            };
            let policy = match args.opt("policy") {
                Some(p) => serde_json::from_str(p).map_err(|e| anyhow::anyhow!("--policy is not JSON: {e}"))?,
                None => oxbow_control::admin_policy(),
            };
            let p = oxbow_control::new_principal(&account, name, policy);
            s.add_principal(&p)?;
            println!(
                "{}",
                json!({"accountId": p.account_id, "arn": p.arn, "accessKeyId": p.access_key_id, "secretAccessKey": p.secret_access_key})
            );
        }
        "audit" => {
            let s = store(args)?;
            let limit: usize =
                args.opt("limit").unwrap_or("100").parse().map_err(|_| anyhow::anyhow!("--limit must be a number"))?;
            for r in s.audit_rows(limit)? {
                println!(
                    "{} {} {} {} {} {}",
                    oxbow_control::util::iso8601(r.at_ms),
                    r.principal,
                    r.action,
                    r.resource,
                    r.result,
                    r.status
                );
            }
        }
        "clusters" => {
            let c = client(args)?;
            for k in clusters(&c)? {
                let arn = k.get("clusterArn").and_then(Value::as_str).unwrap_or("");
                println!(
                    "{} {} brokers={} bootstrap={} {arn}",
                    k.get("clusterName").and_then(Value::as_str).unwrap_or(""),
                    k.get("state").and_then(Value::as_str).unwrap_or(""),
                    k.pointer("/provisioned/numberOfBrokerNodes").cloned().unwrap_or(Value::Null),
                    bootstrap(&c, arn)
                );
            }
        }
        "bootstrap-brokers" => {
            let c = client(args)?;
            let arn = cluster_arn(&c, arg(args, 0, "CLUSTER")?)?;
            let v =
                ok(c.call("kafka", "GET", &format!("/v1/clusters/{}/bootstrap-brokers", enc(&arn)), "", None, None)?)?;
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        "secret" => {
            let c = client(args)?;
            match arg(args, 0, "create|associate")? {
                "create" => {
                    let name = arg(args, 1, "NAME")?;
                    let (Some(u), Some(p)) = (args.opt("username"), args.opt("password")) else {
                        anyhow::bail!("--username and --password are required");
                    };
                    let body = json!({"Name": name, "SecretString": json!({"username": u, "password": p}).to_string()});
                    let v = ok(c.call(
                        "secretsmanager",
                        "POST",
                        "/",
                        "",
                        Some("secretsmanager.CreateSecret"),
                        Some(&body),
                    )?)?;
                    println!("{}", v.get("ARN").and_then(Value::as_str).unwrap_or(""));
                }
                "associate" => {
                    let arn = cluster_arn(&c, arg(args, 1, "CLUSTER")?)?;
                    let secrets: Vec<&String> = args.positional.iter().skip(2).collect();
                    if secrets.is_empty() {
                        anyhow::bail!("give at least one SECRET_ARN");
                    }
                    let body = json!({"secretArnList": secrets});
                    let v = ok(c.call(
                        "kafka",
                        "POST",
                        &format!("/v1/clusters/{}/scram-secrets", enc(&arn)),
                        "",
                        None,
                        Some(&body),
                    )?)?;
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                other => anyhow::bail!("unknown secret command {other}; see `oxbow help`"),
            }
        }
        "policy" => {
            let c = client(args)?;
            let verb = arg(args, 0, "get|put|delete")?;
            let arn = cluster_arn(&c, arg(args, 1, "CLUSTER")?)?;
            let path = format!("/v1/clusters/{}/policy", enc(&arn));
            let v = match verb {
                "get" => ok(c.call("kafka", "GET", &path, "", None, None)?)?,
                "delete" => ok(c.call("kafka", "DELETE", &path, "", None, None)?)?,
                "put" => {
                    let policy = arg(args, 2, "JSON")?;
                    ok(c.call("kafka", "PUT", &path, "", None, Some(&json!({"policy": policy})))?)?
                }
                other => anyhow::bail!("unknown policy command {other}; see `oxbow help`"),
            };
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        other => anyhow::bail!("unknown command {other}"),
    }
    Ok(())
}
