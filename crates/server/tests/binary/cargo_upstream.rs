//! Real cargo through Entrepot alone, with a second Entrepot on loopback
//! as the Cargo upstream (its crates published there by cargo): the
//! upstream's name is a mirror for cargo's source replacement of
//! crates.io; alice's registry falls through to it, so one registry
//! builds a project mixing her crates with upstream ones, and her own
//! `localcore` always wins over the upstream's higher one. Index files go
//! out byte for byte as the upstream sent them. With the upstream
//! stopped, fresh clients build the same projects again and an uncached
//! crate fails; a name served from the upstream is kept from alice's own
//! publishes until a site administrator releases it.

use std::fmt::Write as _;
use std::path::Path;

use reqwest::blocking::Client;
use sha2::Digest;

use crate::cargo::{Cargo, binary, library};
use crate::common::{Server, make_public, server_with_alice, token};

/// The upstream: alice's public crates on a second Entrepot, published
/// with cargo. `middle` depends on `leaf` and declares a `rust-version`.
fn upstream_with_crates(dir: &Path) -> (Server, String) {
    std::fs::create_dir_all(dir.join("upstream")).unwrap();
    let (server, t) = server_with_alice(&dir.join("upstream"));
    let index = format!("sparse+{}", server.url("/cargo/alice/index/"));
    let publisher = Cargo::new(dir, "upstream-publisher", &index);
    let leaf = library(dir, "leaf", "1.0.0", "", None);
    publisher.publish(&leaf, &t);
    let middle = library(
        dir,
        "middle",
        "1.0.0",
        "leaf = { version = \"1\", registry = \"entrepot\" }\n",
        Some("leaf"),
    );
    let manifest = middle.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen(
            "edition = \"2021\"\n",
            "edition = \"2021\"\nrust-version = \"1.60\"\n",
            1,
        ),
    )
    .unwrap();
    publisher.publish(&middle, &t);
    // Someone else's `localcore`, higher than alice's own on the proxy,
    // and a name alice's proxy keeps by a pattern.
    let theirs = dir.join("theirs");
    publisher.publish(&library(&theirs, "localcore", "9.0.0", "", None), &t);
    publisher.publish(&library(&theirs, "secretsauce", "1.0.0", "", None), &t);
    for name in ["leaf", "middle", "localcore", "secretsauce"] {
        make_public(&server, &t, "cargo", name);
    }
    (server, t)
}

/// A cargo user whose crates.io is replaced by `index`.
fn replacing_crates_io(dir: &Path, name: &str, index: &str) -> Cargo {
    let cargo = Cargo::new(dir, name, index);
    let mut config = std::fs::read_to_string(cargo.config()).unwrap();
    write!(
        config,
        "\n[source.crates-io]\nreplace-with = \"mirror\"\n\n[source.mirror]\nregistry = \"{index}\"\n"
    )
    .unwrap();
    std::fs::write(cargo.config(), config).unwrap();
    cargo
}

fn get(url: &str, token: Option<&str>) -> reqwest::blocking::Response {
    let mut request = Client::new().get(url);
    if let Some(t) = token {
        request = request.header("authorization", t);
    }
    request.send().unwrap()
}

/// A binary depending on alice's `localcore` and on `middle`, both from
/// her registry, printing what each says.
fn mixed_app(parent: &Path, name: &str) -> std::path::PathBuf {
    let deps = "localcore = { version = \"1\", registry = \"entrepot\" }\n\
                middle = { version = \"1\", registry = \"entrepot\" }\n";
    let app = binary(parent, name, deps, "middle");
    std::fs::write(
        app.join("src/main.rs"),
        "fn main() {\n    println!(\"{} and {}\", localcore::hi(), middle::hi());\n}\n",
    )
    .unwrap();
    app
}

#[test]
fn cargo_builds_through_a_mirror_and_a_fallthrough_and_again_with_the_upstream_down() {
    let dir = tempfile::tempdir().unwrap();
    let (mut upstream, _) = upstream_with_crates(dir.path());

    std::fs::create_dir_all(dir.path().join("proxy")).unwrap();
    let (server, t) = server_with_alice(&dir.path().join("proxy"));
    server.admin(&[
        "upstream",
        "add",
        "crates-up",
        "--format",
        "cargo",
        "--url",
        &upstream.url("/cargo/alice/index/"),
        "--metadata-ttl",
        "0",
    ]);
    server.admin(&[
        "owner",
        "fallthrough",
        "alice",
        "--format",
        "cargo",
        "--upstream",
        "crates-up",
        "--reserve",
        "Secret*",
    ]);
    let alice_index = format!("sparse+{}", server.url("/cargo/alice/index/"));
    let alice = Cargo::new(dir.path(), "alice", &alice_index);
    alice.publish(&library(dir.path(), "localcore", "1.0.0", "", None), &t);
    let reader = token(&server, "alice", "read:packages");

    // The mirror, anonymously, in place of crates.io.
    let mirror_index = format!("sparse+{}", server.url("/cargo/crates-up/index/"));
    let work = dir.path().join("work");
    let consumer = replacing_crates_io(&work, "mirror-user", &mirror_index);
    let app = binary(&work, "mirrored", "middle = \"1\"\n", "middle");
    let out = consumer.ok(&app, None, &["run"]);
    assert!(out.contains("middle 1.0.0+leaf 1.0.0"), "{out}");

    // Index files go out exactly as the upstream wrote them.
    let theirs = get(&upstream.url("/cargo/alice/index/mi/dd/middle"), None);
    let theirs = theirs.text().unwrap();
    let ours = get(&server.url("/cargo/crates-up/index/mi/dd/middle"), None);
    assert_eq!(ours.status(), 200);
    assert_eq!(ours.headers()["x-entrepot-upstream"], "crates-up");
    let etag = ours.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(ours.text().unwrap(), theirs);
    assert!(theirs.contains("\"rust_version\":\"1.60\""), "{theirs}");
    let again = Client::new()
        .get(server.url("/cargo/crates-up/index/mi/dd/middle"))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    // The lockfile's checksums are the upstream's.
    let lock = std::fs::read_to_string(app.join("Cargo.lock")).unwrap();
    let line: serde_json::Value = serde_json::from_str(theirs.lines().next().unwrap()).unwrap();
    assert!(
        lock.contains(line["cksum"].as_str().unwrap()),
        "{lock}\n{theirs}"
    );

    // alice's registry: her crates, the upstream's for names she lacks.
    let mixed_user = Cargo::new(&work, "mixed-user", &alice_index);
    let mixed = mixed_app(&work, "mixed");
    let out = mixed_user.ok(&mixed, Some(&reader), &["run"]);
    assert!(
        out.contains("localcore 1.0.0 and middle 1.0.0+leaf 1.0.0"),
        "alice's localcore, never the upstream's: {out}"
    );
    for (name, dep) in [
        (
            "nine",
            "localcore = { version = \"9\", registry = \"entrepot\" }\n",
        ),
        (
            "secret",
            "secretsauce = { version = \"1\", registry = \"entrepot\" }\n",
        ),
    ] {
        let project = binary(&work, name, dep, "localcore");
        let out = mixed_user.fails(&project, Some(&reader), &["generate-lockfile"]);
        assert!(
            out.contains("failed to select a version") || out.contains("no matching package"),
            "{name}: {out}"
        );
    }

    // What came through is cached under the upstream's name.
    let cached: serde_json::Value = get(
        &server.url("/api/v3/orgs/crates-up/packages?package_type=cargo"),
        Some(&t),
    )
    .json()
    .unwrap();
    let mut names: Vec<&str> = cached
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["leaf", "middle"], "{cached}");

    upstream.sigterm();
    let indexes = (mirror_index.as_str(), alice_index.as_str());
    builds_with_the_upstream_down(&server, &work, indexes, &reader);
    kept_until_released(&server, &alice, &work, &t, line["cksum"].as_str().unwrap());
}

/// With the upstream stopped, fresh clients build the same again through
/// the mirror and alice's registry; an uncached crate fails.
fn builds_with_the_upstream_down(
    server: &Server,
    work: &Path,
    (mirror_index, alice_index): (&str, &str),
    reader: &str,
) {
    let consumer = replacing_crates_io(work, "mirror-user-2", mirror_index);
    let app = binary(work, "mirrored-2", "middle = \"1\"\n", "middle");
    let out = consumer.ok(&app, None, &["run"]);
    assert!(out.contains("middle 1.0.0+leaf 1.0.0"), "{out}");
    let stale = get(&server.url("/cargo/crates-up/index/mi/dd/middle"), None);
    assert!(stale.headers().contains_key("warning"), "{stale:?}");
    let mixed_user = Cargo::new(work, "mixed-user-2", alice_index);
    let out = mixed_user.ok(&mixed_app(work, "mixed-2"), Some(reader), &["run"]);
    assert!(
        out.contains("localcore 1.0.0 and middle 1.0.0+leaf 1.0.0"),
        "{out}"
    );
    let ghost = binary(work, "ghost", "ghost = \"1\"\n", "ghost");
    consumer.fails(&ghost, None, &["generate-lockfile"]);
}

/// `middle` came through alice's registry: hers to publish only once a
/// site administrator releases it.
fn kept_until_released(server: &Server, alice: &Cargo, work: &Path, t: &str, upstream_sum: &str) {
    let hers = library(work, "middle", "2.0.0", "", None);
    let refused = alice.fails(
        &hers,
        Some(t),
        &["publish", "--registry", "entrepot", "--allow-dirty"],
    );
    assert!(refused.contains("upstream"), "{refused}");
    server.admin(&["owner", "release", "alice", "Middle", "--format", "cargo"]);
    let out = alice.publish(&hers, t);
    assert!(out.contains("Published middle v2.0.0"), "{out}");
    let file = get(
        &server.url("/cargo/alice/api/v1/crates/middle/2.0.0/download"),
        Some(t),
    );
    assert_eq!(file.status(), 200);
    assert_ne!(
        hex::encode(sha2::Sha256::digest(file.bytes().unwrap())),
        upstream_sum
    );
}
