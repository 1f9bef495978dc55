//! What the benches that drive a server process with `wrk` share (`bench-gate`,
//! `bench-query`): a child process killed when dropped, its CPU time and RSS from `/proc`,
//! pinning with `taskset`, and one `wrk` run read back as figures.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub type Error = Box<dyn std::error::Error>;

/// A bench binary's exit: on error, `name: error` on stderr and a failure code.
pub fn exit(name: &str, result: Result<(), Error>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A child killed when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    /// CPU time used so far by all the process's threads (user + system), in clock ticks.
    pub fn cpu_ticks(&self) -> Result<u64, Error> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.0.id()))?;
        // Fields after the command name (which may hold spaces): state is field 3, utime 14.
        let rest = stat.rsplit_once(')').ok_or("bad stat")?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let (u, s) = (f.get(11).ok_or("no utime")?, f.get(12).ok_or("no stime")?);
        Ok(u.parse::<u64>()? + s.parse::<u64>()?)
    }

    pub fn rss_kib(&self) -> Result<u64, Error> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id()))?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .ok_or("no VmRSS")?;
        Ok(line.split_whitespace().nth(1).ok_or("bad VmRSS")?.parse()?)
    }
}

/// A loopback address nobody listens on (yet).
pub fn free_addr() -> Result<SocketAddr, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Starts a process and waits (at most 120 s) for its first stdout line.
pub fn start(cmd: &mut Command) -> Result<(Proc, String), Error> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env("RUST_LOG", "warn")
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let proc = Proc(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // Keep reading, so that a server printing more lines never blocks on a full pipe.
        let mut rest = String::new();
        while reader.read_line(&mut rest).is_ok_and(|n| n > 0) {
            rest.clear();
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(120))?;
    if line.is_empty() {
        return Err(format!("{cmd:?} exited before it was ready").into());
    }
    Ok((proc, line.trim().to_owned()))
}

/// Clock ticks a second (`getconf CLK_TCK`; 100 when it cannot be read).
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// With pinning: the servers run on this CPU, wrk on [`WRK_CPU`].
pub const SERVER_CPU: &str = "0";
pub const WRK_CPU: &str = "1";

/// Pins every thread of a running server to [`SERVER_CPU`] (threads it starts later inherit).
pub fn pin(p: &Proc) -> Result<(), Error> {
    let ok = Command::new("taskset")
        .args(["-a", "-p", "-c", SERVER_CPU])
        .arg(p.0.id().to_string())
        .stdout(Stdio::null())
        .status()?
        .success();
    if ok {
        Ok(())
    } else {
        Err("taskset could not pin the server".into())
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            let v: Vec<&str> = l.split_whitespace().take(3).collect();
            (v.len() == 3).then(|| v.join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// How `wrk` runs.
#[derive(Debug, Clone, Copy)]
pub struct WrkSetup {
    pub threads: u32,
    pub connections: u32,
    pub seconds: u64,
    /// wrk on [`WRK_CPU`] (taskset).
    pub pin: bool,
}

/// One `wrk` run's figures.
#[derive(Debug, Clone, Copy)]
pub struct Wrk {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The server's CPU time per request answered, in µs.
    pub cpu_us: f64,
    /// Answers that were not 2xx or 3xx.
    pub non_2xx: u64,
    /// Socket errors (connect, read, write, timeout).
    pub errors: u64,
}

fn ms_of(text: &str) -> Option<f64> {
    let (num, unit): (String, String) = (
        text.chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect(),
        text.chars()
            .skip_while(|c| c.is_ascii_digit() || *c == '.')
            .collect(),
    );
    let v: f64 = num.parse().ok()?;
    Some(match unit.as_str() {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        _ => return None,
    })
}

/// `wrk --latency -s SCRIPT` against `server` at `addr`; its figures, with the server's CPU
/// time per request from `/proc`.
pub fn wrk(setup: &WrkSetup, server: &Proc, addr: SocketAddr, script: &Path) -> Result<Wrk, Error> {
    let mut cmd = if setup.pin {
        let mut c = Command::new("taskset");
        c.args(["-c", WRK_CPU, "wrk"]);
        c
    } else {
        Command::new("wrk")
    };
    let cpu_before = server.cpu_ticks()?;
    let out = cmd
        .arg(format!("-t{}", setup.threads))
        .arg(format!("-c{}", setup.connections))
        .arg(format!("-d{}s", setup.seconds))
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(format!("http://{addr}"))
        .output()?;
    let cpu_s = server.cpu_ticks()?.saturating_sub(cpu_before) as f64 / clock_ticks();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |prefix: &str| -> Option<String> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
    };
    // "  123456 requests in 10.00s, 12.34MB read"
    let requests = || -> Option<f64> {
        text.lines()
            .find(|l| l.contains(" requests in "))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    // "  Non-2xx or 3xx responses: 12"
    let non_2xx = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    // "  Socket errors: connect 0, read 0, write 0, timeout 3"
    let errors = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("Socket errors:"))
        .map_or(0, |v| {
            v.split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum()
        });
    let parse = || -> Option<Wrk> {
        Some(Wrk {
            rps: field("Requests/sec:")?.parse().ok()?,
            p50_ms: ms_of(&field("50%")?)?,
            p99_ms: ms_of(&field("99%")?)?,
            cpu_us: cpu_s * 1e6 / requests()?.max(1.0),
            non_2xx,
            errors,
        })
    };
    parse().ok_or_else(|| format!("cannot read wrk's output:\n{text}").into())
}

/// The median of `v` (the mean of the middle two when even); NaN when empty.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
