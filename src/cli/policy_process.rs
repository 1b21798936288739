//! Policy processes for ExternalPolicy: the one place where kubesim starts a process and waits
//! on a wall clock. The library sees it only as a `dyn PolicyLauncher` (see
//! `scheduler/plugins/external.rs`), which the CLI puts in the plugin registry.
//!
//! A process is started with its working directory set to the scenario file's directory (a
//! relative program path such as `./policy.py` is resolved there too). Three threads per
//! process do the blocking I/O: one writes requests to its stdin, one reads answer lines from
//! its stdout, one copies its stderr to ours (prefixed `policy: `) and keeps the last lines for
//! error messages. The simulation thread waits for each answer with a timeout. Threads and
//! timing never reach the simulation: it only sees the answer, or an error that stops the run.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::kernel::SimDuration;
use crate::scheduler::plugins::external::{PolicyChannel, PolicyLauncher};

/// Longest accepted answer line.
const MAX_ANSWER_BYTES: usize = 16 << 20;
/// Lines of the process's stderr kept for error messages.
const STDERR_TAIL_LINES: usize = 20;
/// How long to wait for a process that closed its stdout (or its stdin was closed) to exit.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// Starts policy processes in one directory.
pub struct ProcessLauncher {
    dir: PathBuf,
}

impl ProcessLauncher {
    pub fn new(dir: impl Into<PathBuf>) -> ProcessLauncher {
        ProcessLauncher { dir: dir.into() }
    }

    /// Starts processes in the directory of the scenario file `scenario`.
    pub fn for_scenario(scenario: &Path) -> ProcessLauncher {
        let dir = scenario.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        ProcessLauncher::new(dir)
    }
}

/// Starts a helper thread. Threads are banned in the library for determinism; these ones only
/// move bytes between a policy process and a channel, so they cannot change a run's results.
#[allow(clippy::disallowed_methods)]
fn spawn_helper(f: impl FnOnce() + Send + 'static) {
    // The handle is dropped: the thread ends when its pipe closes.
    let _ = std::thread::spawn(f);
}

/// What the I/O threads report to the simulation thread.
enum Event {
    Line(String),
    /// The process closed its stdout.
    Eof,
    /// Writing the request failed (the process closed its stdin, usually by exiting).
    WriteFailed,
    ReadFailed(String),
}

impl PolicyLauncher for ProcessLauncher {
    fn launch(&self, command: &[String], timeout: Duration) -> Result<Box<dyn PolicyChannel>, String> {
        let Some((program, args)) = command.split_first() else {
            return Err("the command is empty".into());
        };
        let program_path = if program.contains('/') && Path::new(program).is_relative() {
            self.dir.join(program)
        } else {
            PathBuf::from(program)
        };
        let mut child = Command::new(&program_path)
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                let hint = if e.kind() == std::io::ErrorKind::NotFound {
                    format!(
                        " (is {program:?} installed and on PATH? a relative path is read from {})",
                        self.dir.display()
                    )
                } else {
                    String::new()
                };
                format!("cannot start the policy process {:?}: {e}{hint}", command.join(" "))
            })?;
        let (events_tx, events) = mpsc::channel();
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");

        let (requests, requests_rx) = mpsc::channel::<String>();
        let writer_events = events_tx.clone();
        spawn_helper(move || write_requests(stdin, requests_rx, writer_events));
        spawn_helper(move || read_answers(stdout, events_tx));
        let tail = Arc::new(Mutex::new(StderrTail::default()));
        let tail_writer = tail.clone();
        spawn_helper(move || copy_stderr(stderr, tail_writer));

        Ok(Box::new(ProcessChannel { child, requests: Some(requests), events, tail, timeout }))
    }
}

fn write_requests(mut stdin: std::process::ChildStdin, requests: Receiver<String>, events: Sender<Event>) {
    for line in requests {
        let written =
            stdin.write_all(line.as_bytes()).and_then(|()| stdin.write_all(b"\n")).and_then(|()| stdin.flush());
        if written.is_err() {
            let _ = events.send(Event::WriteFailed);
            return;
        }
    }
    // The channel closed: dropping stdin tells the process the run is over.
}

fn read_answers(stdout: std::process::ChildStdout, events: Sender<Event>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let event = match read_line_bounded(&mut reader, MAX_ANSWER_BYTES) {
            Ok(Some(line)) => Event::Line(line),
            Ok(None) => Event::Eof,
            Err(e) => Event::ReadFailed(e),
        };
        let last = !matches!(event, Event::Line(_));
        if events.send(event).is_err() || last {
            return;
        }
    }
}

/// One line without its `\n` (and `\r`); `None` at the end of the stream.
fn read_line_bounded(reader: &mut impl BufRead, limit: usize) -> Result<Option<String>, String> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf().map_err(|e| e.to_string())?;
        if available.is_empty() {
            if line.is_empty() {
                return Ok(None);
            }
            break;
        }
        if let Some(i) = available.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&available[..i]);
            reader.consume(i + 1);
            break;
        }
        let n = available.len();
        line.extend_from_slice(available);
        reader.consume(n);
        if line.len() > limit {
            return Err(format!("an answer line is longer than {} MiB", limit >> 20));
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map(Some).map_err(|_| "an answer line is not UTF-8".to_string())
}

#[derive(Default)]
struct StderrTail {
    lines: VecDeque<String>,
    closed: bool,
}

fn copy_stderr(stderr: std::process::ChildStderr, tail: Arc<Mutex<StderrTail>>) {
    let mut reader = BufReader::new(stderr);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.by_ref().take(64 * 1024).read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                let text = text.trim_end_matches(['\n', '\r']);
                eprintln!("policy: {text}");
                let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                if t.lines.len() == STDERR_TAIL_LINES {
                    t.lines.pop_front();
                }
                t.lines.push_back(text.to_string());
            }
        }
    }
    tail.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
}

/// A running policy process.
struct ProcessChannel {
    child: Child,
    /// To the writer thread; `None` once closed.
    requests: Option<Sender<String>>,
    events: Receiver<Event>,
    tail: Arc<Mutex<StderrTail>>,
    timeout: Duration,
}

/// Polls `condition` every 10 ms for up to `limit`.
fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let step = Duration::from_millis(10);
    let mut waited = Duration::ZERO;
    loop {
        if condition() {
            return true;
        }
        if waited >= limit {
            return false;
        }
        std::thread::sleep(step);
        waited += step;
    }
}

impl ProcessChannel {
    /// `; its stderr ended with: ...`, or nothing when it wrote none. Waits briefly for the
    /// stderr thread to read what an exiting process wrote last.
    fn stderr_tail(&self) -> String {
        wait_until(Duration::from_millis(500), || match self.tail.lock() {
            Ok(t) => t.closed,
            Err(_) => true,
        });
        let t = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        if t.lines.is_empty() {
            return String::new();
        }
        let lines: Vec<String> = t.lines.iter().map(|l| format!("\n    {l}")).collect();
        format!("; its stderr ended with:{}", lines.concat())
    }

    /// The process stopped talking: report how it exited.
    fn exited(&mut self) -> String {
        let mut status = None;
        wait_until(EXIT_GRACE, || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        let what = match status {
            Some(s) => format!("exited ({s}) before answering"),
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                "closed its standard output without answering".to_string()
            }
        };
        format!("the policy process {what}{}", self.stderr_tail())
    }
}

impl PolicyChannel for ProcessChannel {
    fn exchange(&mut self, request: &str) -> Result<String, String> {
        let sent = self.requests.as_ref().is_some_and(|r| r.send(request.to_string()).is_ok());
        if !sent {
            return Err(self.exited());
        }
        match self.events.recv_timeout(self.timeout) {
            Ok(Event::Line(line)) => Ok(line),
            Ok(Event::Eof | Event::WriteFailed) | Err(RecvTimeoutError::Disconnected) => Err(self.exited()),
            Ok(Event::ReadFailed(e)) => Err(format!("cannot read the policy process's answer: {e}")),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let timeout = SimDuration::from_micros(self.timeout.as_micros() as u64);
                Err(format!(
                    "the policy process did not answer within {timeout} (args.timeout); it was stopped{}",
                    self.stderr_tail()
                ))
            }
        }
    }
}

impl Drop for ProcessChannel {
    fn drop(&mut self) {
        // Closing stdin ends a well-behaved policy; one that lingers is killed.
        self.requests = None;
        let child = &mut self.child;
        if !wait_until(EXIT_GRACE, || child.try_wait().ok().flatten().is_some()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded_and_trimmed() {
        let mut r = BufReader::new(&b"a\r\nbb\nlast"[..]);
        assert_eq!(read_line_bounded(&mut r, 100), Ok(Some("a".into())));
        assert_eq!(read_line_bounded(&mut r, 100), Ok(Some("bb".into())));
        assert_eq!(read_line_bounded(&mut r, 100), Ok(Some("last".into())));
        assert_eq!(read_line_bounded(&mut r, 100), Ok(None));
        let long = vec![b'x'; 10_000];
        let mut r = BufReader::with_capacity(16, &long[..]);
        assert!(read_line_bounded(&mut r, 1000).unwrap_err().contains("longer than"));
    }

    #[test]
    fn a_missing_program_is_a_clear_error() {
        let launcher = ProcessLauncher::new(".");
        let err = launcher
            .launch(&["kubesim-no-such-program-xyz".into()], Duration::from_secs(1))
            .err()
            .expect("cannot start");
        assert!(err.contains("cannot start the policy process \"kubesim-no-such-program-xyz\""), "{err}");
        assert!(err.contains("installed and on PATH"), "{err}");
    }
}
