//! Generic packages with their real clients, curl and wget: uploads with
//! `curl --upload-file` (one declaring its digest), downloads with
//! `curl -O` and with wget (which sends its credentials only after the
//! Basic challenge), a range with `curl -r`, the conflict `--fail-with-body`
//! prints, a private package refused without credentials, and a deleted
//! version gone from a fresh download until the REST API restores it.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use reqwest::blocking::Client;
use serde_json::Value;
use sha2::Digest;

use crate::common::process::{run, text};
use crate::common::{Server, make_public, token};

/// curl without the user's `.curlrc`, proxies or progress meter.
fn curl(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("curl");
    cmd.arg("-q")
        .args(["--silent", "--show-error"])
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .stdin(Stdio::null());
    run(&mut cmd)
}

/// wget without `.wgetrc`, `.netrc` or proxies.
fn wget(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("wget");
    cmd.args(["--no-config", "--no-verbose", "--no-proxy"])
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .stdin(Stdio::null());
    run(&mut cmd)
}

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what}:\n{}", text(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A file of `len` bytes that no two positions repeat in step.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// alice's server with `tool` 1.0.0 (`tool.tar.gz` and `SHA256SUMS`, the
/// latter declaring its digest) and 2.0.0 uploaded by curl.
struct Uploaded {
    dir: tempfile::TempDir,
    server: Server,
    /// alice's token, and `alice:TOKEN` for curl's `-u`.
    token: String,
    alice: String,
    bob: String,
    tarball: Vec<u8>,
    /// `BASE/generic/alice/tool`, and 1.0.0's `tool.tar.gz` under it.
    base: String,
    url: String,
}

fn uploaded() -> Uploaded {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    for user in ["alice", "bob"] {
        server.admin(&["user", "create", user]);
    }
    let token = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let bob = crate::common::token(&server, "bob", "read:packages");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let tarball = payload(300_000);
    std::fs::write(work.join("tool.tar.gz"), &tarball).unwrap();
    let sums = format!(
        "{}  tool.tar.gz\n",
        hex::encode(sha2::Sha256::digest(&tarball))
    );
    std::fs::write(work.join("SHA256SUMS"), &sums).unwrap();
    let alice = format!("alice:{token}");
    let base = server.url("/generic/alice/tool");
    let url = format!("{base}/1.0.0/tool.tar.gz");
    let upload = |file: &str, to: &str, more: &[&str]| {
        let mut args = vec!["--fail-with-body", "-u", &alice];
        args.extend_from_slice(more);
        args.extend_from_slice(&["--upload-file", file, to]);
        ok(&curl(&work, &args), &format!("upload {to}"))
    };
    let said = upload("tool.tar.gz", &url, &[]);
    assert!(said.contains("stored"), "{said}");
    let digest = format!(
        "X-Checksum-Sha256: {}",
        hex::encode(sha2::Sha256::digest(sums.as_bytes()))
    );
    upload(
        "SHA256SUMS",
        &format!("{base}/1.0.0/SHA256SUMS"),
        &["-H", &digest],
    );
    upload("SHA256SUMS", &format!("{base}/2.0.0/SHA256SUMS"), &[]);
    Uploaded {
        dir,
        server,
        token,
        alice,
        bob,
        tarball,
        base,
        url,
    }
}

impl Uploaded {
    /// A fresh folder for a client to download into.
    fn folder(&self, name: &str) -> std::path::PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }
}

#[test]
fn curl_and_wget_download_what_curl_uploaded_once() {
    let u = uploaded();
    let work = u.dir.path().join("work");
    // Written once: curl prints the reason.
    let again = curl(
        &work,
        &[
            "--fail-with-body",
            "-u",
            &u.alice,
            "--upload-file",
            "tool.tar.gz",
            &u.url,
        ],
    );
    assert!(!again.status.success());
    assert!(
        text(&again).contains("cannot be replaced"),
        "{}",
        text(&again)
    );

    // curl -O, with the headers; a range; wget after its challenge.
    let fetched = u.folder("fetched");
    let headers = ok(
        &curl(
            &fetched,
            &["--fail", "-u", &u.alice, "-O", "-D", "-", &u.url],
        ),
        "curl -O",
    );
    assert_eq!(
        std::fs::read(fetched.join("tool.tar.gz")).unwrap(),
        u.tarball
    );
    let sha256 = hex::encode(sha2::Sha256::digest(&u.tarball));
    assert!(
        headers
            .to_ascii_lowercase()
            .contains(&format!("x-checksum-sha256: {sha256}")),
        "{headers}"
    );
    ok(
        &curl(
            &fetched,
            &[
                "--fail",
                "-u",
                &u.alice,
                "-r",
                "1000-1999",
                "-o",
                "part",
                &u.url,
            ],
        ),
        "range",
    );
    assert_eq!(
        std::fs::read(fetched.join("part")).unwrap(),
        &u.tarball[1000..2000]
    );
    ok(
        &wget(
            &fetched,
            &[
                "--user",
                "alice",
                "--password",
                &u.token,
                "-O",
                "w.tar.gz",
                &u.url,
            ],
        ),
        "wget",
    );
    assert_eq!(std::fs::read(fetched.join("w.tar.gz")).unwrap(), u.tarball);
}

#[test]
fn a_private_package_wants_alices_credentials_until_it_is_public() {
    let u = uploaded();
    let fetched = u.folder("fetched");
    let anonymous = curl(&fetched, &["--fail", "-o", "anon", &u.url]);
    assert!(!anonymous.status.success());
    assert!(text(&anonymous).contains("401"), "{}", text(&anonymous));
    let anonymous = wget(&fetched, &["-O", "anon", &u.url]);
    assert_eq!(
        anonymous.status.code(),
        Some(6),
        "wget's authentication failure: {}",
        text(&anonymous)
    );
    let bob = format!("bob:{}", u.bob);
    let stranger = curl(&fetched, &["--fail", "-u", &bob, "-o", "bobs", &u.url]);
    assert!(text(&stranger).contains("404"), "{}", text(&stranger));

    // Public: wget needs no credentials at all.
    make_public(&u.server, &u.token, "generic", "tool");
    ok(
        &wget(&fetched, &["-O", "public.tar.gz", &u.url]),
        "anonymous wget",
    );
    assert_eq!(
        std::fs::read(fetched.join("public.tar.gz")).unwrap(),
        u.tarball
    );
}

#[test]
fn a_deleted_version_is_gone_from_a_fresh_download_until_restored() {
    let u = uploaded();
    let work = u.dir.path().join("work");
    ok(
        &curl(
            &work,
            &[
                "--fail-with-body",
                "-u",
                &u.alice,
                "-X",
                "DELETE",
                &format!("{}/1.0.0", u.base),
            ],
        ),
        "delete",
    );
    let fresh = u.folder("fresh");
    let gone = wget(&fresh, &["--user", "alice", "--password", &u.token, &u.url]);
    assert_eq!(
        gone.status.code(),
        Some(8),
        "wget's server error: {}",
        text(&gone)
    );
    let client = Client::new();
    let versions: Value = client
        .get(
            u.server
                .url("/api/v3/user/packages/generic/tool/versions?state=deleted"),
        )
        .bearer_auth(&u.token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = versions[0]["id"].as_i64().unwrap();
    let restored = client
        .post(u.server.url(&format!(
            "/api/v3/user/packages/generic/tool/versions/{id}/restore"
        )))
        .bearer_auth(&u.token)
        .send()
        .unwrap();
    assert_eq!(restored.status(), 204);
    ok(
        &wget(&fresh, &["--user", "alice", "--password", &u.token, &u.url]),
        "wget after the restore",
    );
    assert_eq!(std::fs::read(fresh.join("tool.tar.gz")).unwrap(), u.tarball);
}
