//! A test server written for Node (an identity provider, a CI issuer):
//! started on a loopback port, it prints `listening URL` once ready.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Runs `node SCRIPT` in `dir` with `envs` and waits (up to 30 s) for the
/// URL it says it listens at.
pub fn start(dir: &str, script: &str, envs: &[(&str, String)]) -> (Child, String) {
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(dir)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("node runs {script}: {e}"));
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{script} says where it listens"));
    let url = line
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected first line of {script}: {line}"))
        .to_owned();
    (child, url)
}
