//! Runs the binary as a child process and measures it: wall time and peak resident memory,
//! with a time limit. The peak is `VmHWM` of `/proc/<pid>/status`, read every few
//! milliseconds while the child runs: wait4's `ru_maxrss` would also count the test process
//! itself, whose memory the child shares between its fork and its exec.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Measured {
    /// Exit code, `None` when killed (time limit) or ended by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
    /// Peak resident set size of the child, in kB.
    pub peak_kb: u64,
    pub timed_out: bool,
}

/// `vaucluse-atlas <args> --root <root>`, killed after `limit`.
pub fn run_measured(args: &[&str], root: &Path, limit: Duration) -> Measured {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vaucluse-atlas"));
    command
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1");
    measure(&mut command, limit)
}

pub fn measure(command: &mut Command, limit: Duration) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stdout");
    let err = dir.path().join("stderr");
    let started = Instant::now();
    let child = command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut timed_out = false;
    let mut peak_kb = 0;
    let status_file = format!("/proc/{pid}/status");
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(hwm) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(hwm);
        }
        // SAFETY: waits for our own child only; both pointers are valid for the call.
        let done = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if done == pid {
            break;
        }
        assert!(done == 0, "wait4: {}", std::io::Error::last_os_error());
        if started.elapsed() > limit && !timed_out {
            timed_out = true;
            // SAFETY: our own child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let wall = started.elapsed();
    // The child is reaped: std's handle must not wait for it again.
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    Measured {
        code,
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
        wall,
        // ru_maxrss (kB) bounds the peak from above: it would also count the test process.
        peak_kb: if peak_kb > 0 {
            peak_kb
        } else {
            usage.ru_maxrss as u64
        },
        timed_out,
    }
}
