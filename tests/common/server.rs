//! A running `vaucluse-atlas serve` on a free loopback port, for the `serve` tests: raw HTTP
//! requests (the path is sent exactly as written), the server's memory, its build log and the
//! live-reload events a browser gets.

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
    /// The served site, file for file and byte for byte (live-reload script aside), is what a
    /// fresh `build` of `root` writes.
    #[allow(dead_code)]
    pub fn assert_equals_a_fresh_build(&self, root: &Path) {
        let output = tempfile::tempdir().unwrap();
        let build = super::run(
            &[
                "build",
                "--output",
                output.path().join("public").to_str().unwrap(),
            ],
            root,
        );
        assert!(build.status.success(), "{}", super::stderr(&build));
        let expected = super::snapshot(&output.path().join("public"));
        let served: serde_json::Value =
            serde_json::from_slice(&self.get("/__atlas/site.json").body).unwrap();
        let files: Vec<&str> = served["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(
            files,
            expected.keys().map(String::as_str).collect::<Vec<_>>()
        );
        for (path, bytes) in &expected {
            let reply = self.get(&format!("/{}", path.trim_end_matches("index.html")));
            assert_eq!(reply.status, 200, "{path}");
            let body = if path.ends_with(".html") {
                without_script(&reply.body)
            } else {
                reply.body.clone()
            };
            assert!(body == *bytes, "{path} differs from a fresh build");
        }
    }

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
        // The first build's report is printed before the address, on the other pipe: wait
        // for it, so that `stderr()` has it.
        let deadline = std::time::Instant::now() + WAIT;
        while server.rebuilds() == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        server
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr holds `text` (its pipe is read on another thread, which may lag
    /// behind an event received meanwhile); whether it came.
    pub fn wait_for_stderr(&self, text: &str) -> bool {
        let deadline = std::time::Instant::now() + WAIT;
        while !self.stderr().contains(text) {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
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

/// An event of the live-reload stream, with its JSON data.
#[derive(Debug)]
pub struct Event {
    pub name: String,
    pub data: serde_json::Value,
}

/// The browser side: reads `__atlas/events` on its own thread.
pub struct Events {
    receiver: mpsc::Receiver<Event>,
    stream: TcpStream,
    pub hello: serde_json::Value,
}

impl Events {
    pub fn connect(server: &Server) -> Events {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        write!(
            stream,
            "GET {}__atlas/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
            server.base
        )
        .unwrap();
        let reader = stream.try_clone().unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            let mut line = String::new();
            // Headers.
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line == "\r\n" {
                    break;
                }
            }
            // Chunked body, then the event-stream lines.
            let mut pending = String::new();
            let (mut name, mut data) = (String::new(), String::new());
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; size + 2];
                if reader.read_exact(&mut chunk).is_err() {
                    return;
                }
                pending.push_str(&String::from_utf8_lossy(&chunk[..size]));
                while let Some(end) = pending.find('\n') {
                    let field: String = pending.drain(..=end).collect();
                    let field = field.trim_end_matches(['\n', '\r']);
                    if field.is_empty() {
                        if !data.is_empty() {
                            let event = Event {
                                name: std::mem::take(&mut name),
                                data: serde_json::from_str(&data).unwrap(),
                            };
                            if sender.send(event).is_err() {
                                return;
                            }
                        }
                        name.clear();
                        data.clear();
                    } else if let Some(value) = field.strip_prefix("event: ") {
                        name = value.to_string();
                    } else if let Some(value) = field.strip_prefix("data: ") {
                        data.push_str(value);
                    }
                }
            }
        });
        let mut events = Events {
            receiver,
            stream,
            hello: serde_json::Value::Null,
        };
        let hello = events.next();
        assert_eq!(hello.name, "hello", "{hello:?}");
        events.hello = hello.data;
        events
    }

    pub fn next(&self) -> Event {
        self.receiver
            .recv_timeout(WAIT)
            .expect("an event within the time limit")
    }

    /// No event during `duration`.
    pub fn quiet(&self, duration: Duration) -> Option<Event> {
        self.receiver.recv_timeout(duration).ok()
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// The page as `build` writes it: without the live-reload script `serve` injects.
pub fn without_script(html: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(html).to_string();
    let Some(start) = text.find("<script src=\"/__atlas/livereload.js\"") else {
        return html.to_vec();
    };
    let end = start + text[start..].find("</script>").unwrap() + "</script>".len();
    format!("{}{}", &text[..start], &text[end..]).into_bytes()
}
