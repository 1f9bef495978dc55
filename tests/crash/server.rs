//! The real `beian serve` as a child process on a data dir that outlives it: started, killed
//! with SIGKILL (`kill -9`: no shutdown hook runs), started again on the same data dir. Its
//! address changes at each start (port 0); callers read it from [`Server::base`].

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, RwLock};

/// The simulator-operator token every start is given (so it survives restarts).
pub const SIM_TOKEN: &str = "crash-suite-simulator-token-0123456789abcdef";

/// The `beian` binary under test.
pub fn beian() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_beian"));
    cmd.env_remove("BEIAN_DATABASE_URL")
        .env_remove("BEIAN_DATA_KEY")
        .env_remove("BEIAN_CONFIG");
    cmd
}

/// A `beian` child process serving the data dir.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT` of the running process (the last one started).
    pub base: Arc<RwLock<String>>,
    pub data_dir: PathBuf,
    /// The arguments after `beian` (the listen address and the data dir are added).
    args: Vec<String>,
    /// The address to listen on (`127.0.0.1:0`, or a fixed port that outlives restarts).
    listen: String,
    /// Extra environment (`BEIAN_DATABASE_URL`, …).
    env: Vec<(String, String)>,
    /// How many times it was started.
    pub starts: u32,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Server {
    /// `beian serve ARGS --data-dir DIR --listen 127.0.0.1:0`, started; waits for its address.
    pub fn start(data_dir: &Path, args: &[String], env: &[(String, String)]) -> Server {
        let mut all = vec!["serve".to_owned(), "--no-metrics".to_owned()];
        all.extend_from_slice(args);
        Server::start_command(data_dir, &all, "127.0.0.1:0", env)
    }

    /// `beian regulator serve ARGS --data-dir DIR --listen LISTEN`: the simulator alone.
    pub fn start_regulator(data_dir: &Path, args: &[String], listen: &str) -> Server {
        let mut all = vec!["regulator".to_owned(), "serve".to_owned()];
        all.extend_from_slice(args);
        Server::start_command(data_dir, &all, listen, &[])
    }

    fn start_command(
        data_dir: &Path,
        args: &[String],
        listen: &str,
        env: &[(String, String)],
    ) -> Server {
        let mut server = Server {
            child: None,
            base: Arc::new(RwLock::new(String::new())),
            data_dir: data_dir.to_path_buf(),
            args: args.to_vec(),
            listen: listen.to_owned(),
            env: env.to_vec(),
            starts: 0,
        };
        server.restart();
        server
    }

    /// The current address.
    pub fn url(&self) -> String {
        self.base.read().unwrap().clone()
    }

    /// Whether a process is running (not stopped by [`Server::kill`]).
    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// `kill -9`, and waits for the process to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // std's Child::kill is SIGKILL on Unix.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again on the same data dir (killing a running one first).
    pub fn restart(&mut self) {
        self.kill();
        let mut cmd = beian();
        cmd.args(&self.args)
            .args(["--listen", &self.listen, "--data-dir"])
            .arg(&self.data_dir)
            .env(
                "RUST_LOG",
                std::env::var("BEIAN_CRASH_LOG").unwrap_or_else(|_| "error".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut base = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            let address = line
                .strip_prefix("beian is listening on ")
                .or_else(|| line.strip_prefix("regulator simulator listening on "));
            if let Some(rest) = address {
                base = Some(rest.trim_end_matches('/').to_owned());
            }
            if line.starts_with("create an account:") || line.starts_with("public query:") {
                break;
            }
        }
        // Whatever it prints later is drained, so a full pipe never stalls it.
        std::thread::spawn(move || for _ in lines {});
        let base = base.unwrap_or_else(|| {
            let status = child.wait();
            panic!("beian serve printed no address (exit: {status:?})")
        });
        *self.base.write().unwrap() = base;
        self.child = Some(child);
        self.starts += 1;
    }
}
