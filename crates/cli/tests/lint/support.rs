//! Runs the real `meshroute` binary with a deadline, in scratch directories that clean up after themselves.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Generous: the slowest case (50 MB of nested YAML) takes about 8 s in a debug build. A hang or
/// runaway input would exceed it by far; the point is that every run ends by itself.
const DEADLINE: Duration = Duration::from_secs(60);

/// A fresh directory under the system temp dir, removed when dropped.
pub(crate) struct Scratch {
    pub(crate) dir: PathBuf,
}

impl Scratch {
    pub(crate) fn new(label: &str) -> Scratch {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir()
            .join(format!("meshroute-cli-test-{}-{unique}-{label}", std::process::id()));
        // A leftover from a crashed earlier run with the same pid must not leak into this one.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch { dir }
    }

    /// Writes `bytes` to `name` (which may contain `/`) inside the scratch dir.
    pub(crate) fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, bytes).expect("write input");
        path
    }

    /// Runs `meshroute` in the scratch dir, so that relative paths name its files.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        run_in(&self.dir, args, None)
    }

    pub(crate) fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        run_in(&self.dir, args, Some(stdin))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What one run of the binary produced.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The parsed stdout of a `--format json` run.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.stdout))
    }

    /// The diagnostics of a `--format json` run.
    pub(crate) fn diagnostics(&self) -> Vec<Value> {
        self.json()["diagnostics"].as_array().expect("diagnostics is an array").clone()
    }

    /// The only diagnostic with `code`; fails if there is none or more than one.
    pub(crate) fn only(&self, code: &str) -> Value {
        let found: Vec<Value> =
            self.diagnostics().into_iter().filter(|diag| diag["code"] == code).collect();
        assert_eq!(found.len(), 1, "expected exactly one {code}, got:\n{}", self.stdout);
        found.into_iter().next().expect("one")
    }

    pub(crate) fn codes(&self) -> Vec<String> {
        self.diagnostics()
            .iter()
            .map(|diag| diag["code"].as_str().expect("code is a string").to_string())
            .collect()
    }
}

/// Asserts a JSON diagnostic's code, severity and position.
pub(crate) fn assert_at(diag: &Value, code: &str, severity: &str, line: u64, column: u64) {
    assert_eq!(diag["code"], code, "{diag}");
    assert_eq!(diag["severity"], severity, "{diag}");
    assert_eq!(
        (diag["line"].as_u64(), diag["column"].as_u64()),
        (Some(line), Some(column)),
        "{diag}"
    );
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshroute"))
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn meshroute");
    // Feed and drain the pipes on threads: a child blocked on a full pipe would look like a hang.
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("stdin piped");
        let bytes = bytes.to_vec();
        thread::spawn(move || {
            // The child may legitimately stop reading early; a broken pipe is not our failure.
            let _ = pipe.write_all(&bytes);
        })
    });
    let stdout = drain(child.stdout.take().expect("stdout piped"));
    let stderr = drain(child.stderr.take().expect("stderr piped"));
    let status = wait_with_deadline(&mut child, args);
    if let Some(writer) = writer {
        writer.join().expect("stdin writer");
    }
    let run = Run {
        code: status,
        stdout: String::from_utf8_lossy(&stdout.join().expect("stdout reader")).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.join().expect("stderr reader")).into_owned(),
    };
    // Checked on every run: no panic ever, and no colour codes when stdout is a pipe.
    assert!(!run.stderr.contains("panicked"), "meshroute panicked:\n{}", run.stderr);
    assert!(!run.stdout.contains('\x1b'), "escape sequence in piped output:\n{}", run.stdout);
    run
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

fn wait_with_deadline(child: &mut Child, args: &[&str]) -> i32 {
    let start = Instant::now();
    loop {
        match child.try_wait().expect("wait for meshroute") {
            Some(status) => return status.code().expect("meshroute exited by a signal"),
            None if start.elapsed() > DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("meshroute {args:?} did not finish within {DEADLINE:?}");
            }
            None => thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// A complete, valid ServiceEntry; tests add one mistake to it.
pub(crate) fn service_entry(name: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: {name}
  namespace: payments
spec:
  hosts:
  - {name}.example.com
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - number: 443
    name: https
    protocol: TLS
{extra_spec}"
    )
}
