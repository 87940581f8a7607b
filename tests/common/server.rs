//! A running `vaucluse-atlas serve` on a free loopback port, for the hardening tests: raw
//! HTTP requests (the path is sent exactly as written) and the server's memory.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(60);

/// A running `serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub base: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(root: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vaucluse-atlas"))
            .arg("serve")
            .args(["--port", "0", "--root"])
            .arg(root)
            .args(args)
            .env("NO_COLOR", "1")
            .env("CI", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut pipe = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            let mut line = String::new();
            while pipe.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let (sender, receiver) = mpsc::channel();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            let mut line = String::new();
            while stdout.read_line(&mut line).unwrap_or(0) > 0 {
                let _ = sender.send(line.clone());
                line.clear();
            }
        });
        let mut server = Server {
            child,
            port: 0,
            base: String::new(),
            stderr,
        };
        let line = receiver
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("serve did not start:\n{}", server.stderr()));
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let rest = url.strip_prefix("http://127.0.0.1:").unwrap();
        let (port, base) = rest.split_at(rest.find('/').unwrap());
        server.port = port.parse().unwrap();
        server.base = base.to_string();
        server
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A raw HTTP/1.1 request: the request target is sent exactly as written.
    pub fn request(&self, method: &str, target: &str) -> Reply {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        read_reply(&mut stream)
    }

    pub fn get(&self, target: &str) -> Reply {
        self.request("GET", target)
    }

    /// `VmRSS` and `VmHWM` (peak) of the server process, in kB.
    pub fn memory_kb(&self) -> (u64, u64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Open file descriptors of the server process (sockets included).
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// Builds finished so far, good (« Site construit en … », « Reconstruit en … ») or failed.
    pub fn rebuilds(&self) -> usize {
        self.stderr()
            .lines()
            .filter(|l| {
                l.starts_with("Reconstruit en ")
                    || l.starts_with("Site construit en ")
                    || l.starts_with("Échec de la reconstruction")
            })
            .count()
    }

    /// Runs `change` and waits for the rebuild it causes.
    pub fn after_rebuild(&self, change: impl FnOnce()) {
        let before = self.rebuilds();
        change();
        let deadline = std::time::Instant::now() + WAIT;
        while self.rebuilds() <= before {
            assert!(
                std::time::Instant::now() < deadline,
                "no rebuild:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
}

/// Reads a whole `Connection: close` response.
pub fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("incomplete response: {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status: status.parse().unwrap(),
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Raises this process's limit of open files to its maximum (children inherit it): a load
/// test opens a thousand sockets on each side.
pub fn raise_open_files_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed by reference.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
