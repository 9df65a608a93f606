//! Contention: 20 simultaneous publishes of one version in every format
//! give exactly one success and 19 conflicts (OCI tags are mutable: 20
//! pushes of one manifest all succeed and leave one version, and 20
//! different manifests pushed to one tag all succeed and leave the tag on
//! one of them); npm dist-tag
//! moves, version deletes and restores from many threads at once leave the
//! packument, the dist-tags, the REST API and the tarballs agreeing, and
//! `admin fsck` clean. Each test runs on SQLite and on PostgreSQL.

use std::collections::BTreeSet;
use std::sync::Barrier;

use crate::common::formats::{self, ALL, Answer, Format, Step};
use crate::common::{Server, free_port, token};
use reqwest::blocking::Client;
use serde_json::Value;

const THREADS: usize = 20;

/// A server on SQLite (`None`) or on a fresh PostgreSQL database, with
/// alice, her Maven repository and her token.
struct Setup {
    server: Server,
    at: At,
    _dir: tempfile::TempDir,
    /// Dropped after the server, which `Drop` stops first.
    _database: Option<crate::common::Postgres>,
}

impl Setup {
    fn new(postgres: bool) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        let database = postgres.then(crate::common::Postgres::create);
        let mut args = vec!["--listen", listen.as_str()];
        if let Some(db) = &database {
            args.extend(["--database", db.url()]);
        }
        let server = Server::start_in(dir.path(), &args, &format!("http://{listen}"));
        server.admin(&["user", "create", "alice"]);
        server.admin(&["repo", "create", formats::MAVEN_REPO]);
        let token = token(
            &server,
            "alice",
            "read:packages,write:packages,delete:packages",
        );
        Setup {
            at: At {
                base: server.base.clone(),
                token,
            },
            server,
            _dir: dir,
            _database: database,
        }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
    }
}

/// Where requests go, as alice: shared by the racing threads.
struct At {
    base: String,
    token: String,
}

/// Runs `f(i)` on `n` threads released together by a barrier.
fn race<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, f) = (&barrier, &f);
                s.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Sends `step` and returns its status and body; the server never drops a
/// connection here.
fn status_of(at: &At, client: &Client, format: Format, step: &Step) -> (u16, String) {
    match formats::send(client, &at.base, &at.token, format, step, None) {
        Some((Answer::Success, _)) => (step.ok, String::new()),
        Some((Answer::Error(status, body), _)) => (status, body),
        other => panic!("{format:?}: no answer: {other:?}"),
    }
}

/// 20 threads send `step` at once: exactly one gets the format's success,
/// every other one 409.
fn one_wins(at: &At, format: Format, step: &Step) {
    let answers = race(THREADS, |_| status_of(at, &Client::new(), format, step));
    let won = answers.iter().filter(|(st, _)| *st == step.ok).count();
    let conflicts = answers.iter().filter(|(st, _)| *st == 409).count();
    assert!(
        won == 1 && conflicts == THREADS - 1,
        "{format:?} {}: {won} successes, {conflicts} conflicts: {answers:#?}",
        step.path
    );
}

/// The files `step` stored download with their bytes.
fn assert_intact(at: &At, format: Format, step: &Step) {
    let client = Client::new();
    for file in &step.stores {
        let got = formats::download(&client, &at.base, &at.token, format, file)
            .unwrap_or_else(|| panic!("{format:?}: {} is missing", file.path));
        assert_eq!(formats::sha256_hex(&got), file.sha256, "{}", file.path);
    }
}

fn simultaneous_publishes_of_one_version(postgres: bool) {
    let s = Setup::new(postgres);
    let client = Client::new();
    for format in ALL.into_iter().filter(|f| *f != Format::Oci) {
        // The first version creates the package in the race; the second
        // races into an existing one.
        for (salt, version) in [(0, "1.0.0"), (2, "1.0.1")] {
            let publish = formats::publish(format, version, salt);
            // Maven deploys file by file: each file is raced on its own,
            // the POM creating the version.
            for step in &publish.steps {
                one_wins(&s.at, format, step);
                assert_intact(&s.at, format, step);
            }
            let listed = formats::listed(&client, &s.at.base, &s.at.token, format);
            assert!(listed.contains(version), "{format:?}: {listed:?}");
        }
        let listed = formats::listed(&client, &s.at.base, &s.at.token, format);
        assert_eq!(listed.len(), 2, "{format:?}: {listed:?}");
    }
    s.server.assert_fsck_clean();
}

#[test]
fn twenty_simultaneous_publishes_of_one_version_give_one_success_and_nineteen_conflicts() {
    simultaneous_publishes_of_one_version(false);
}

#[test]
fn twenty_simultaneous_publishes_of_one_version_on_postgres() {
    simultaneous_publishes_of_one_version(true);
}

fn api(s: &Setup, method: reqwest::Method, path: &str) -> reqwest::blocking::Response {
    Client::new()
        .request(method, s.server.url(&format!("/api/v3{path}")))
        .bearer_auth(&s.at.token)
        .send()
        .unwrap()
}

/// The names of the package's versions the REST API lists in `state`.
fn rest_versions(s: &Setup, package_type: &str, name: &str, state: &str) -> Vec<(String, i64)> {
    let r = api(
        s,
        reqwest::Method::GET,
        &format!("/user/packages/{package_type}/{name}/versions?state={state}&per_page=100"),
    );
    assert_eq!(r.status(), 200);
    let versions: Value = r.json().unwrap();
    versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                v["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn concurrent_pushes_of_one_manifest(postgres: bool) {
    let s = Setup::new(postgres);
    let client = Client::new();
    let publish = formats::publish(Format::Oci, "1.0.0", 0);
    let (blobs, manifest) = publish.steps.split_at(publish.steps.len() - 1);
    for step in blobs {
        assert_eq!(status_of(&s.at, &client, Format::Oci, step).0, step.ok);
    }
    let manifest = &manifest[0];
    // One tag, pushed 20 times at once: a tag may move, so all succeed.
    let answers = race(THREADS, |_| {
        status_of(&s.at, &Client::new(), Format::Oci, manifest)
    });
    assert!(answers.iter().all(|(st, _)| *st == 201), "{answers:#?}");
    assert_intact(&s.at, Format::Oci, manifest);
    // The same manifest under 20 new tags at once.
    let answers = race(THREADS, |i| {
        let mut step = manifest.clone();
        step.path = step
            .path
            .replace("/manifests/1.0.0", &format!("/manifests/t{i}"));
        status_of(&s.at, &Client::new(), Format::Oci, &step)
    });
    assert!(answers.iter().all(|(st, _)| *st == 201), "{answers:#?}");
    let versions = rest_versions(&s, "container", "crash", "active");
    assert_eq!(versions.len(), 1, "one manifest, one version: {versions:?}");
    let tags = formats::listed(&client, &s.at.base, &s.at.token, Format::Oci);
    let mut expected: BTreeSet<String> = (0..THREADS).map(|i| format!("t{i}")).collect();
    expected.insert("1.0.0".into());
    assert_eq!(tags, expected);

    // 20 different manifests pushed to one tag at once: every push
    // succeeds, the tag ends on one of them, and each stays an image of
    // its own, by digest.
    let bodies: Vec<Vec<u8>> = (0..THREADS)
        .map(|i| {
            let mut doc: Value = serde_json::from_slice(&manifest.body).unwrap();
            doc["annotations"] = serde_json::json!({"n": i.to_string()});
            serde_json::to_vec(&doc).unwrap()
        })
        .collect();
    let digests: Vec<String> = bodies
        .iter()
        .map(|b| format!("sha256:{}", formats::sha256_hex(b)))
        .collect();
    let answers = race(THREADS, |i| {
        let mut step = manifest.clone();
        step.path = step.path.replace("/manifests/1.0.0", "/manifests/moving");
        step.body.clone_from(&bodies[i]);
        status_of(&s.at, &Client::new(), Format::Oci, &step)
    });
    assert!(answers.iter().all(|(st, _)| *st == 201), "{answers:#?}");
    let head = |reference: &str| {
        let path = manifest
            .path
            .replace("/manifests/1.0.0", &format!("/manifests/{reference}"));
        let r = client
            .get(format!("{}{path}", s.at.base))
            .bearer_auth(&s.at.token)
            .header("accept", "application/vnd.oci.image.manifest.v1+json")
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{reference}");
        let digest = r.headers()["docker-content-digest"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = r.bytes().unwrap().to_vec();
        assert_eq!(format!("sha256:{}", formats::sha256_hex(&body)), digest);
        digest
    };
    let moving = head("moving");
    assert!(digests.contains(&moving), "the tag is on a pushed manifest");
    for digest in &digests {
        assert_eq!(&head(digest), digest);
    }
    let versions = rest_versions(&s, "container", "crash", "active");
    assert_eq!(versions.len(), 1 + THREADS, "{versions:?}");
    let tags = formats::listed(&client, &s.at.base, &s.at.token, Format::Oci);
    expected.insert("moving".into());
    assert_eq!(tags, expected, "one tag, not one per push");
    s.server.assert_fsck_clean();
}

#[test]
fn twenty_simultaneous_pushes_of_one_manifest_all_succeed_and_leave_one_version() {
    concurrent_pushes_of_one_manifest(false);
}

#[test]
fn twenty_simultaneous_pushes_of_one_manifest_on_postgres() {
    concurrent_pushes_of_one_manifest(true);
}

/// splitmix64, seeded per thread so that a run can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        usize::try_from((z ^ (z >> 31)) % n as u64).unwrap()
    }
}

const CHURN_VERSIONS: usize = 8;
const CHURN_OPERATIONS: usize = 40;

fn npm_get(at: &At, path: &str) -> (u16, Value) {
    let r = Client::new()
        .get(format!("{}{path}", at.base))
        .bearer_auth(&at.token)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// The packument's versions and dist-tags; every tag points at a listed
/// version and `latest` exists.
fn packument(at: &At, name: &str) -> (BTreeSet<String>, serde_json::Map<String, Value>) {
    let (status, doc) = npm_get(at, &format!("/npm/@alice%2f{name}"));
    assert_eq!(status, 200, "{doc}");
    let versions: BTreeSet<String> = doc["versions"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let tags = doc["dist-tags"].as_object().unwrap().clone();
    assert!(tags.contains_key("latest"), "{doc}");
    for (tag, version) in &tags {
        assert!(
            versions.contains(version.as_str().unwrap()),
            "dist-tag {tag} points at {version}, which the packument does not list: {doc}"
        );
    }
    (versions, tags)
}

/// One thread's share of the churn: `role` 0–1 move dist-tags, 2–3 delete
/// versions, 4–5 restore them, 6 reads the packument. Returns the answers
/// no operation may give.
fn churn(at: &At, role: usize, seed: u64, ids: &[(String, i64)]) -> Vec<String> {
    let client = Client::new();
    let mut rng = Rng(seed ^ (role as u64) << 40);
    let mut wrong = Vec::new();
    for _ in 0..CHURN_OPERATIONS {
        let (name, id) = &ids[rng.below(ids.len())];
        let versions = format!("{}/api/v3/user/packages/npm/churn/versions/{id}", at.base);
        let (what, allowed, r): (String, &[u16], _) = match role {
            0 | 1 => {
                let tag = ["latest", "beta", "next"][rng.below(3)];
                let url = format!("{}/npm/-/package/@alice%2fchurn/dist-tags/{tag}", at.base);
                // 404: the version was deleted a moment ago.
                let r = client.put(url).bearer_auth(&at.token).json(&name).send();
                (format!("tag {tag} → {name}"), &[201, 404], r)
            }
            2 | 3 => {
                // 404: deleted already; 400: the last live version.
                let r = client.delete(versions).bearer_auth(&at.token).send();
                (format!("delete {name}"), &[204, 404, 400], r)
            }
            4 | 5 => {
                // 404: not deleted.
                let r = client
                    .post(format!("{versions}/restore"))
                    .bearer_auth(&at.token)
                    .send();
                (format!("restore {name}"), &[204, 404], r)
            }
            _ => {
                packument(at, "churn");
                continue;
            }
        };
        let r = r.unwrap();
        let status = r.status().as_u16();
        if !allowed.contains(&status) {
            wrong.push(format!("{what}: {status} {}", r.text().unwrap_or_default()));
        }
    }
    wrong
}

fn tag_moves_deletes_and_restores(postgres: bool) {
    let s = Setup::new(postgres);
    let client = Client::new();
    let mut tarballs = Vec::new();
    for i in 0..CHURN_VERSIONS {
        let version = format!("1.0.{i}");
        let doc = crate::common::publish_doc("@alice/churn", &version, "");
        let r = client
            .put(s.server.url("/npm/@alice%2fchurn"))
            .bearer_auth(&s.at.token)
            .json(&doc)
            .send()
            .unwrap();
        assert_eq!(r.status(), 201);
        tarballs.push(version);
    }
    let ids = rest_versions(&s, "npm", "churn", "active");
    assert_eq!(ids.len(), CHURN_VERSIONS);
    let seed = u64::from(std::process::id());
    println!("churn seed {seed}");
    let wrong: Vec<String> = race(7, |role| churn(&s.at, role, seed, &ids))
        .into_iter()
        .flatten()
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");

    // Every index agrees with the REST API's live and deleted versions.
    let live: BTreeSet<String> = rest_versions(&s, "npm", "churn", "active")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let deleted: BTreeSet<String> = rest_versions(&s, "npm", "churn", "deleted")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(!live.is_empty(), "the last version is never deleted");
    assert!(live.is_disjoint(&deleted));
    assert_eq!(live.len() + deleted.len(), CHURN_VERSIONS);
    let (versions, tags) = packument(&s.at, "churn");
    assert_eq!(
        versions, live,
        "the packument lists exactly the live versions"
    );
    let (status, endpoint_tags) = npm_get(&s.at, "/npm/-/package/@alice%2fchurn/dist-tags");
    assert_eq!(status, 200);
    assert_eq!(endpoint_tags, Value::Object(tags));
    for version in &tarballs {
        let (status, _) = npm_get(&s.at, &format!("/npm/@alice/churn/-/churn-{version}.tgz"));
        let expected = if live.contains(version) { 200 } else { 404 };
        assert_eq!(status, expected, "tarball of {version}");
    }
    s.server.assert_fsck_clean();
}

#[test]
fn concurrent_tag_moves_deletes_and_restores_keep_every_index_consistent() {
    tag_moves_deletes_and_restores(false);
}

#[test]
fn concurrent_tag_moves_deletes_and_restores_on_postgres() {
    tag_moves_deletes_and_restores(true);
}

/// Both versions of a two-version package deleted by 20 threads at once:
/// the rule that the last version cannot be deleted holds under contention.
fn racing_deletes_of_the_last_two_versions(postgres: bool) {
    let s = Setup::new(postgres);
    let client = Client::new();
    for version in ["1.0.0", "1.0.1"] {
        let r = client
            .put(s.server.url("/npm/@alice%2fpair"))
            .bearer_auth(&s.at.token)
            .json(&crate::common::publish_doc("@alice/pair", version, ""))
            .send()
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let ids = rest_versions(&s, "npm", "pair", "active");
    let statuses = race(THREADS, |i| {
        let id = ids[i % 2].1;
        Client::new()
            .delete(format!(
                "{}/api/v3/user/packages/npm/pair/versions/{id}",
                s.at.base
            ))
            .bearer_auth(&s.at.token)
            .send()
            .unwrap()
            .status()
            .as_u16()
    });
    let live = rest_versions(&s, "npm", "pair", "active");
    assert_eq!(live.len(), 1, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|st| **st == 204).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|st| [204, 400, 404].contains(st)),
        "{statuses:?}"
    );
    let (versions, _) = packument(&s.at, "pair");
    assert_eq!(versions.len(), 1);
    s.server.assert_fsck_clean();
}

#[test]
fn racing_deletes_never_remove_the_last_version() {
    racing_deletes_of_the_last_two_versions(false);
}

#[test]
fn racing_deletes_never_remove_the_last_version_on_postgres() {
    racing_deletes_of_the_last_two_versions(true);
}

/// alice publishes while bob, who may not, sends the very same bytes at the
/// same moment: bob's refused upload must not take away the blob alice's
/// accepted one stored (blobs are shared by content).
fn a_refused_twin_upload_leaves_the_accepted_one_intact(postgres: bool) {
    let s = Setup::new(postgres);
    s.server.admin(&["user", "create", "bob"]);
    let bob = token(&s.server, "bob", "read:packages,write:packages");
    for round in 0..10 {
        let version = format!("1.0.{round}");
        let publish = formats::publish(Format::Npm, &version, 0);
        let step = &publish.steps[0];
        let answers = race(THREADS, |i| {
            let who = if i == 0 { &s.at.token } else { &bob };
            let at = At {
                base: s.at.base.clone(),
                token: who.clone(),
            };
            (i, status_of(&at, &Client::new(), Format::Npm, step))
        });
        for (i, (status, body)) in &answers {
            if *i == 0 {
                assert_eq!(*status, 201, "alice: {body}");
            } else {
                assert!([403, 404].contains(status), "bob: {status} {body}");
            }
        }
        assert_intact(&s.at, Format::Npm, step);
    }
    s.server.assert_fsck_clean();
}

#[test]
fn a_refused_twin_upload_leaves_the_accepted_one_intact_on_sqlite() {
    a_refused_twin_upload_leaves_the_accepted_one_intact(false);
}

#[test]
fn a_refused_twin_upload_leaves_the_accepted_one_intact_on_postgres() {
    a_refused_twin_upload_leaves_the_accepted_one_intact(true);
}
