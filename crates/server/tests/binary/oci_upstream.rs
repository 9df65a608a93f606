//! A pull-through cache of a real CNCF Distribution (Debian's
//! `docker-registry`) on loopback, pulled through with the real skopeo: a
//! multi-platform, multi-layer image by tag, by digest, with `--all` and
//! for one platform; pushes refused; and everything again once the
//! upstream is stopped, into a fresh destination.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Server, free_port, token};
use crate::oci::{build_image, index_digest, run, two_platform_layout};

/// Distribution serving from its own directory on a loopback port.
struct Distribution {
    child: Child,
    host: String,
}

impl Distribution {
    fn start(dir: &Path) -> Distribution {
        let port = free_port();
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            dir.join("data").display()
        );
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let log = std::fs::File::create(dir.join("distribution.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("docker-registry (CNCF Distribution) runs: scripts/test installs it");
        let host = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_mins(1);
        let client = reqwest::blocking::Client::new();
        while !client
            .get(format!("http://{host}/v2/"))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "Distribution did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Distribution { child, host }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Distribution {
    fn drop(&mut self) {
        self.stop();
    }
}

fn skopeo(args: &[&str]) -> std::process::Output {
    Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo runs")
}

/// Copies `from` to a new OCI layout `name` in `dir` with skopeo (with
/// `extra` arguments), anonymously; the layout's path.
fn pull(dir: &Path, from: &str, name: &str, extra: &[&str]) -> PathBuf {
    let layout = dir.join(name);
    let to = format!("oci:{}:1", layout.display());
    let mut args = vec!["copy", "--src-tls-verify=false"];
    args.extend_from_slice(extra);
    args.extend([from, to.as_str()]);
    run(Command::new("skopeo").args(&args));
    layout
}

/// The manifests an index blob in `layout` lists, by architecture.
fn children(layout: &Path, index: &str) -> Vec<(String, String)> {
    let hex = index.trim_start_matches("sha256:");
    let bytes = std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap();
    let index: Value = serde_json::from_slice(&bytes).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["platform"]["architecture"].as_str().unwrap().to_owned(),
                m["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn skopeo_pulls_a_multi_platform_image_through_the_cache_and_again_with_the_upstream_down() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    std::fs::create_dir_all(work.join("distribution")).unwrap();
    let mut distribution = Distribution::start(&work.join("distribution"));
    let (multi, index) = two_platform_layout(work, 2);
    let index = format!("sha256:{index}");
    run(Command::new("skopeo").args([
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &format!("oci:{}:1", multi.display()),
        &format!("docker://{}/library/multi:1", distribution.host),
    ]));
    let platforms = children(&multi, &index);
    let arm = platforms
        .iter()
        .find(|(a, _)| a == "arm64")
        .unwrap()
        .1
        .clone();

    std::fs::create_dir_all(work.join("entrepot")).unwrap();
    let server = Server::start(&work.join("entrepot"));
    server.admin(&["user", "create", "alice"]);
    server.admin(&[
        "upstream",
        "add",
        "hub",
        "--format",
        "container",
        "--url",
        &format!("http://{}", distribution.host),
        "--metadata-ttl",
        "0",
    ]);
    let host = server.base.trim_start_matches("http://").to_owned();
    let cached = format!("docker://{host}/hub/library/multi");

    // Every platform, by tag: the index and both images, byte for byte.
    let all = pull(work, &format!("{cached}:1"), "all", &["--all"]);
    assert_eq!(index_digest(&all), index);
    assert_eq!(children(&all, &index), platforms);
    // One platform, by the index's digest.
    let one = pull(
        work,
        &format!("{cached}@{index}"),
        "one",
        &["--override-arch", "arm64", "--override-os", "linux"],
    );
    assert_eq!(index_digest(&one), arm);
    let inspected = run(Command::new("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--override-arch",
        "amd64",
        &format!("{cached}:1"),
    ]));
    let inspected: Value = serde_json::from_slice(&inspected.stdout).unwrap();
    assert_eq!(inspected["Layers"].as_array().unwrap().len(), 3);
    let tags = run(Command::new("skopeo").args(["list-tags", "--tls-verify=false", &cached]));
    let tags: Value = serde_json::from_slice(&tags.stdout).unwrap();
    assert_eq!(tags["Tags"], serde_json::json!(["1"]));

    // The cache is read-only, for its users too.
    let t = token(&server, "alice", "read:packages,write:packages");
    build_image(work, "mine", "mine");
    let pushed = skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &format!("alice:{t}"),
        &format!("oci:{}:1", work.join("mine").display()),
        &format!("docker://{host}/hub/library/mine:1"),
    ]);
    assert!(!pushed.status.success());
    let said = String::from_utf8_lossy(&pushed.stderr);
    assert!(
        said.contains("denied") && said.contains("read-only"),
        "{said}"
    );

    // Upstream gone: what was pulled is pulled again, by tag (as last
    // seen) and by digest, into fresh destinations.
    distribution.stop();
    let again = pull(work, &format!("{cached}:1"), "again", &["--all"]);
    assert_eq!(index_digest(&again), index);
    assert_eq!(children(&again, &index), platforms);
    let by_digest = pull(work, &format!("{cached}@{arm}"), "by-digest", &[]);
    assert_eq!(index_digest(&by_digest), arm);
    // What was never pulled is not invented.
    let missing = skopeo(&["inspect", "--tls-verify=false", &format!("{cached}:2")]);
    assert!(!missing.status.success());
}
