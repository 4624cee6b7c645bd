//! `oxbow up` start-up behaviour, driving the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const OXBOW: &str = env!("CARGO_BIN_EXE_oxbow");

fn run_to_exit(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(OXBOW).args(args).output().expect("run oxbow");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn single_reason(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected a one-line reason, got: {stderr:?}");
    lines[0]
}

#[test]
fn bad_flags_are_refused_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_str().expect("utf8");
    for args in [
        vec!["up", "--no-such-flag"],
        vec!["up", "--listen", "not-an-address"],
        vec!["up", "--set", "no.such.config=1", "--data-dir", data],
        vec!["up", "--set", "num.partitions=0", "--data-dir", data],
        vec!["up", "--set", "missing-equals"],
        vec!["bogus-command"],
    ] {
        let (code, _, stderr) = run_to_exit(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        let line = single_reason(&stderr);
        assert!(line.starts_with("oxbow"), "{args:?}: {line}");
    }
}

#[test]
fn unwritable_data_directory_is_refused_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A regular file where the data directory should be.
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    let (code, _, stderr) = run_to_exit(&["up", "--listen", "127.0.0.1:0", "--data-dir", file.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(single_reason(&stderr).contains("data directory"), "{stderr}");
}

#[test]
fn occupied_port_is_refused_with_one_line() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = holder.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, stderr) = run_to_exit(&["up", "--listen", &addr, "--data-dir", dir.path().to_str().expect("utf8")]);
    assert_eq!(code, 1, "{stderr}");
    let line = single_reason(&stderr);
    assert!(line.contains("already in use") && line.contains(&addr), "{line}");
}

#[test]
fn up_prints_where_it_listens_and_where_data_lives_then_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(OXBOW)
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().expect("utf8")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(10);
    let first = lines.next().expect("a line").expect("utf8");
    assert!(Instant::now() < deadline);
    assert!(first.contains("kafka listening on 127.0.0.1:"), "{first}");
    let second = lines.next().expect("a line").expect("utf8");
    assert!(second.starts_with("data: ") && second.contains("metadata.sqlite"), "{second}");
    let addr = first.split("listening on ").nth(1).and_then(|r| r.split_whitespace().next()).expect("address");
    std::net::TcpStream::connect(addr).expect("the broker accepts connections");
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}
