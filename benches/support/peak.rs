//! A child process's largest resident set: the memory figure the benches report.
//!
//! `wait4`'s `ru_maxrss` is not it: Linux carries the parent's high-water mark into the child over fork and exec,
//! so a child of a bench that holds a large generated stream reports at least the bench's own size. The child's
//! `VmHWM` in `/proc/<pid>/status` belongs to its own address space after exec; it is read every 5 ms while the
//! child runs, and the largest reading is the figure (a peak in the last 5 ms of a run can be missed).

use std::process::Command;
use std::time::{Duration, Instant};

/// The high-water mark of `pid`'s resident set in KiB, once it runs `name` (before its exec, a spawned child still
/// shares the bench's address space and reports the bench's mark).
fn high_water_kib(pid: u32, name: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let comm = status.lines().find_map(|l| l.strip_prefix("Name:"))?.trim();
    if comm != name {
        return None;
    }
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `command` to its end and returns its wall time and the largest resident set it had, in MiB. Its output
/// goes where `command` sends it; a failure is an error.
pub fn run(command: &mut Command) -> anyhow::Result<(Duration, f64)> {
    // The kernel keeps the first 15 bytes of the program's file name as the process name.
    let program = std::path::Path::new(command.get_program()).file_name().unwrap_or_default().to_string_lossy();
    let name: String = program.chars().take(15).collect();
    let started = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id();
    let mut peak = 0u64;
    let status = loop {
        if let Some(kib) = high_water_kib(pid, &name) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    anyhow::ensure!(status.success(), "{command:?} failed");
    Ok((elapsed, peak as f64 / 1024.0))
}
