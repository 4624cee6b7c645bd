//! The brokers under test, each a child process on a free loopback port with
//! its own data directory. Children die with the bench: killed on drop, and
//! PR_SET_PDEATHSIG covers the bench itself being killed or interrupted.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Oxbow,
    Sink,
    Tansu,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Oxbow => "oxbow",
            Kind::Sink => "sink",
            Kind::Tansu => "tansu",
        }
    }
}

pub struct Target {
    pub bootstrap: String,
    child: Child,
}

const START_TIMEOUT: Duration = Duration::from_secs(30);

impl Target {
    pub fn start(kind: Kind, dir: &Path, oxbow: &str, tansu: Option<&str>, sets: &[String]) -> Result<Target, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let out = dir.join("stdout");
        let err = dir.join("stderr");
        let mut cmd;
        let mut port_addr = None;
        match kind {
            Kind::Oxbow => {
                cmd = Command::new(oxbow);
                cmd.args(["up", "--listen", "127.0.0.1:0", "--log-level", "warn", "--data-dir"]).arg(dir.join("data"));
                for s in sets {
                    cmd.args(["--set", s]);
                }
            }
            Kind::Sink => {
                cmd = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
                cmd.args(["sink", "--listen", "127.0.0.1:0", "--file"]).arg(dir.join("sink.log"));
            }
            Kind::Tansu => {
                // Tansu takes a URL, not port 0: take a free port and hand it over.
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map_err(|e| e.to_string())?
                    .port();
                let url = format!("tcp://127.0.0.1:{port}");
                cmd = Command::new(tansu.ok_or("no tansu binary")?);
                cmd.arg("broker")
                    .args(["--listener-url", &url, "--advertised-listener-url", &url])
                    // Tansu reads the URL's path relative to its working directory.
                    .args(["--storage-engine", "sqlite://tansu.db"])
                    .current_dir(dir);
                port_addr = Some(format!("127.0.0.1:{port}"));
            }
        }
        cmd.stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).map_err(|e| e.to_string())?)
            .stderr(std::fs::File::create(&err).map_err(|e| e.to_string())?);
        // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| format!("spawn {:?}: {e}", cmd.get_program()))?;
        let mut t = Target { bootstrap: String::new(), child };
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = t.child.try_wait() {
                let log = std::fs::read_to_string(&err).unwrap_or_default();
                return Err(format!("exited with {status}: {}", log.lines().last().unwrap_or("")));
            }
            if let Some(addr) = &port_addr {
                if std::net::TcpStream::connect(addr).is_ok() {
                    t.bootstrap = addr.clone();
                    return Ok(t);
                }
            } else if let Some(addr) = std::fs::read_to_string(&out).ok().and_then(|s| {
                s.split("listening on ").nth(1).and_then(|r| r.split_whitespace().next().map(String::from))
            }) {
                t.bootstrap = addr;
                return Ok(t);
            }
            if start.elapsed() > START_TIMEOUT {
                return Err("did not start listening in 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn status_kib(&self, field: &str) -> Option<u64> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = s.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
    /// User+system CPU seconds the target has used so far.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = s.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        Some(ticks as f64 / hz)
    }
    pub fn rss_kib(&self) -> Option<u64> {
        self.status_kib("VmRSS:")
    }
    pub fn peak_rss_kib(&self) -> Option<u64> {
        self.status_kib("VmHWM:")
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
