//! Running client programs (gem, nuget, cargo, pip, twine) from tests.

#![allow(dead_code)]

use std::io::{Read, Seek, SeekFrom};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long one client command may take before the test gives up on it.
pub const COMMAND_TIMEOUT: Duration = Duration::from_mins(5);

/// Runs `cmd` to its end, polling it until `COMMAND_TIMEOUT`; its output goes
/// to files, so that a chatty client cannot block on a full pipe.
pub fn run(cmd: &mut Command) -> Output {
    run_within(cmd, COMMAND_TIMEOUT)
}

/// Runs `cmd` to its end, polling it until `timeout`; its output goes to
/// files, so that a chatty client cannot block on a full pipe.
pub fn run_within(cmd: &mut Command, timeout: Duration) -> Output {
    let mut stdout = tempfile::tempfile().unwrap();
    let mut stderr = tempfile::tempfile().unwrap();
    let mut child = cmd
        .stdout(stdout.try_clone().unwrap())
        .stderr(stderr.try_clone().unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?} does not start: {e}"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} still ran after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |file: &mut std::fs::File| {
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_to_end(&mut bytes).unwrap();
        bytes
    };
    Output {
        status,
        stdout: read(&mut stdout),
        stderr: read(&mut stderr),
    }
}

/// A command's stdout and stderr together.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
