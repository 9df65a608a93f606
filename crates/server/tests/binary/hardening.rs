//! What an attacker and a harsh operator tried in the second hardening
//! round, each against the real server: form fields read whole, a header
//! built from a client's bytes, made-up methods growing `/metrics`, and a
//! full disk answered with a bare 500.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::formats::{self, ALL, Answer, Format};
use crate::common::{Server, token};
use reqwest::blocking::Client;

#[test]
fn a_pypi_form_field_is_refused_at_its_limit_not_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let file = crate::common::artifacts::wheel_of("tiny-lib", "1.0.0");
    let summary = "x".repeat(2 << 20);
    let (content_type, body) = crate::common::artifacts::twine_form(
        &[
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", "tiny-lib"),
            ("version", "1.0.0"),
            ("filetype", "bdist_wheel"),
            ("pyversion", "py3"),
            ("metadata_version", "2.1"),
            ("summary", &summary),
        ],
        "tiny_lib-1.0.0-py3-none-any.whl",
        &file,
    );
    let r = Client::new()
        .post(server.url("/pypi/alice/"))
        .basic_auth("__token__", Some(&t))
        .header("content-type", content_type)
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().unwrap();
    assert!(text.contains("\"summary\" is longer than"), "{text}");
}

#[test]
fn bytes_that_cannot_go_into_a_header_are_a_400_never_a_500() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "read:packages");
    for path in [
        "/pypi/alice/simple/A%0D%0ASet-Cookie:%20x=y/",
        "/pypi/alice/simple/a%0Ab/",
        "/pypi/alice/simple/A%00/",
        "/pypi/a%0D%0Ab/simple/Foo/",
    ] {
        for auth in [None, Some(t.as_str())] {
            let mut request = Client::new().get(server.url(path));
            if let Some(t) = auth {
                request = request.basic_auth("__token__", Some(t));
            }
            let r = request.send().unwrap();
            assert_eq!(r.status(), 400, "{path}");
            assert!(r.headers().get("set-cookie").is_none());
        }
    }
}

#[test]
fn made_up_methods_are_one_metrics_label() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let client = Client::new();
    for n in 0..200 {
        let method = reqwest::Method::from_bytes(format!("MADEUP{n}").as_bytes()).unwrap();
        client.request(method, server.url("/npm/x")).send().unwrap();
    }
    let metrics = server.metrics();
    assert!(!metrics.contains("MADEUP"), "made-up methods became labels");
    assert!(metrics.contains("method=\"other\""), "{metrics}");
}

/// A small tmpfs mounted for one test (this needs root, as CI and the
/// project's machines run the tests), unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "this test mounts a small tmpfs to fill it, which needs root"
        );
        SmallDisk {
            path: path.to_owned(),
        }
    }

    /// Writes a file until the disk has no room left.
    fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        loop {
            match file.write_all(&chunk) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        // Whatever half-chunk still fits.
        let _ = file.write_all(&[0u8; 512]);
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_is_a_507_in_every_format_and_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Declared before the server, so that it is unmounted after it stops.
    let disk = SmallDisk::mount(&data, "16m");
    let listen = format!("127.0.0.1:{}", crate::common::free_port());
    let server = Server::start_in(
        dir.path(),
        &["--listen", &listen, "--data-dir", data.to_str().unwrap()],
        &format!("http://{listen}"),
    );
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", formats::MAVEN_REPO]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages,repo",
    );
    let filler = disk.fill();
    let client = Client::new();
    for format in ALL {
        let publish = formats::publish(format, "1.0.0", 7);
        let mut location: Option<String> = None;
        let mut refused = None;
        for step in &publish.steps {
            let (answer, next) =
                formats::send(&client, &server.base, &t, format, step, location.as_deref())
                    .expect("the server answers");
            match answer {
                Answer::Success => location = next.or(location),
                Answer::Error(status, body) => {
                    refused = Some((status, body));
                    break;
                }
                Answer::Lost(e) => panic!("{format:?}: the connection broke: {e}"),
            }
        }
        let (status, body) =
            refused.unwrap_or_else(|| panic!("{format:?} published on a full disk"));
        assert_eq!(status, 507, "{format:?}: {body}");
        assert!(body.contains("storage is full"), "{format:?}: {body}");
    }
    let metrics = server.metrics();
    let counted: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("entrepot_storage_full_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(counted >= 7, "{metrics}");

    // Room again: the same publishes go through, and nothing was left
    // half-written.
    std::fs::remove_file(filler).unwrap();
    for format in [Format::Npm, Format::Pypi] {
        let publish = formats::publish(format, "1.0.0", 7);
        for step in &publish.steps {
            let (answer, _) = formats::send(&client, &server.base, &t, format, step, None).unwrap();
            assert_eq!(answer, Answer::Success, "{format:?}");
        }
    }
    server.assert_fsck_clean();
}

#[test]
fn api_and_page_bodies_are_bounded_before_they_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let client = Client::new();
    let big = format!(
        "{{\"config\": {{\"url\": \"{}\"}}}}",
        "x".repeat((4 << 20) + (64 << 10))
    );
    let r = client
        .post(server.url("/api/v3/user/hooks"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 413, "REST API");
    let r = client
        .post(server.url("/osv/v1/querybatch"))
        .body(big)
        .send()
        .unwrap();
    assert_eq!(r.status(), 413, "OSV API");
    let form = format!("login=alice&password={}", "x".repeat(300 << 10));
    let r = client
        .post(server.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 413, "sign-in form");
}
