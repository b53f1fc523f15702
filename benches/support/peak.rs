//! A child process's largest resident set, from `wait4`: the memory figure the benches report.

use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `command` to its end and returns its wall time and the largest resident set it had, in MiB. Its output
/// goes where `command` sends it; a failure is an error.
#[allow(clippy::zombie_processes)] // wait4 below reaps it.
pub fn run(command: &mut Command) -> anyhow::Result<(Duration, f64)> {
    let started = Instant::now();
    let child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 writes the status and a complete rusage of the child into the pointers it is given.
    let (waited, usage) = unsafe {
        let waited = libc::wait4(pid, &mut status, 0, usage.as_mut_ptr());
        (waited, usage.assume_init())
    };
    let elapsed = started.elapsed();
    anyhow::ensure!(waited == pid, "wait4 failed: {}", std::io::Error::last_os_error());
    anyhow::ensure!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{command:?} failed");
    Ok((elapsed, usage.ru_maxrss as f64 / 1024.0))
}
