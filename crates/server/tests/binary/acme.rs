//! HTTPS with a certificate obtained over ACME from pebble, Let's
//! Encrypt's test CA (Debian's package), validated by TLS-ALPN-01 on
//! Entrepot's own port: then npm, GitHub's CLI and skopeo work trusting
//! only pebble's root, and a restart serves the stored certificate without
//! asking the CA again.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::process::text;
use crate::common::{BIN, free_port};
use crate::tls::{alice_with_token, curl, github_cli, issue, npm_over_https, skopeo_over_https};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// pebble on loopback, its API on a certificate from the test CA in
/// `certs`, validating TLS-ALPN-01 on `tls_port`. Returns it with its
/// directory URL and its management port.
fn pebble(dir: &Path, certs: &Path, tls_port: u16) -> (Killed, String, u16) {
    let (api, management) = (free_port(), free_port());
    let config = serde_json::json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{api}"),
        "managementListenAddress": format!("127.0.0.1:{management}"),
        "certificate": certs.join("server.crt"),
        "privateKey": certs.join("server.key"),
        "httpPort": free_port(),
        "tlsPort": tls_port,
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false,
    }});
    let path = dir.join("pebble.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let log = std::fs::File::create(dir.join("pebble.log")).unwrap();
    let child = Command::new("pebble")
        .arg("-config")
        .arg(&path)
        // Validate at once, and never refuse a nonce on purpose.
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("pebble runs (scripts/test installs Debian's pebble)");
    let child = Killed(child);
    let directory = format!("https://localhost:{api}/dir");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !curl(certs, &["-f", "-o", "/dev/null", &directory])
        .status
        .success()
    {
        assert!(Instant::now() < deadline, "pebble never answered");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, directory, management)
}

/// `entrepot serve` for `localhost` over ACME, trusting the test CA (for
/// pebble's API) through `SSL_CERT_FILE`.
fn serve(dir: &Path, certs: &Path, port: u16, directory: &str) -> Killed {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("entrepot.log"))
        .unwrap();
    let child = Command::new(&*BIN)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--acme-domain",
            "localhost",
            "--acme-directory",
            directory,
            "serve",
        ])
        .env("SSL_CERT_FILE", certs.join("ca.crt"))
        .env("RUST_LOG", "warn,entrepot=info")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    Killed(child)
}

/// Waits until `https://localhost:PORT/healthz` answers with a
/// certificate `trust` verifies.
fn wait_trusted(dir: &Path, trust: &Path, port: u16) {
    let health = format!("https://localhost:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let seen = curl(trust, &["-f", &health]);
        if seen.status.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no trusted certificate: {}\n{}\n{}",
            text(&seen),
            std::fs::read_to_string(dir.join("entrepot.log")).unwrap_or_default(),
            std::fs::read_to_string(dir.join("pebble.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn acme_certificate_from_pebble_serves_npm_gh_and_skopeo_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    issue(&certs, "pebble");
    let port = free_port();
    let (pebble, directory, management) = pebble(dir.path(), &certs, port);
    let server = serve(dir.path(), &certs, port, &directory);

    // pebble's root, which each client is told to trust, and nothing else.
    let trust = dir.path().join("trust");
    std::fs::create_dir(&trust).unwrap();
    let root = curl(
        &certs,
        &["-f", &format!("https://localhost:{management}/roots/0")],
    );
    assert!(root.status.success(), "pebble's root: {}", text(&root));
    std::fs::write(trust.join("ca.crt"), &root.stdout).unwrap();
    wait_trusted(dir.path(), &trust, port);

    let base = format!("https://localhost:{port}");
    let issuer = curl(
        &trust,
        &["-v", "-o", "/dev/null", &format!("{base}/healthz")],
    );
    assert!(text(&issuer).contains("Pebble"), "{}", text(&issuer));
    let t = alice_with_token(dir.path());
    npm_over_https(dir.path(), &trust, &base, &t);
    github_cli(dir.path(), &trust, &base, &t);
    skopeo_over_https(dir.path(), &trust, &base, &t);

    // Restarted with the CA gone, it serves the certificate it stored.
    drop(server);
    drop(pebble);
    let stored = dir.path().join("entrepot-data/acme");
    assert!(stored.join("certificate.pem").exists());
    assert!(stored.join("account.json").exists());
    let _again = serve(dir.path(), &certs, port, &directory);
    wait_trusted(dir.path(), &trust, port);
    let log = std::fs::read_to_string(dir.path().join("entrepot.log")).unwrap();
    assert_eq!(
        log.matches("ACME certificate obtained").count(),
        1,
        "one order in all: {log}"
    );
}
