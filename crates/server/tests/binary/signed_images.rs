//! Signed images with the real skopeo and gpg: `skopeo copy --sign-by`
//! pushes a simple-signing signature through the signature extension API,
//! the REST API lists it, and once the package requires a key, an image no
//! required key signed is not served, while the signed one still pulls
//! under a client policy that verifies the signature itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::common::{Server, token};
use crate::oci::{build_image, run};

/// A throwaway `GnuPG` home with one signing key: its fingerprint and its
/// armored public key.
struct Gpg {
    home: PathBuf,
    fingerprint: String,
    public: String,
}

impl Gpg {
    fn new(dir: &Path, name: &str) -> Gpg {
        let home = dir.join(format!("gnupg-{name}"));
        std::fs::create_dir_all(&home).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let gpg = |args: &[&str]| {
            run(Command::new("gpg")
                .env("GNUPGHOME", &home)
                .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
                .args(args))
        };
        let uid = format!("{name} <{name}@example.com>");
        gpg(&["--quick-gen-key", &uid, "default", "default", "never"]);
        let listed = gpg(&["--list-keys", "--with-colons"]);
        let fingerprint = String::from_utf8_lossy(&listed.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|l| l.split(':').find(|f| !f.is_empty()))
            .expect("a fingerprint")
            .to_owned();
        let public = String::from_utf8(gpg(&["--armor", "--export", &fingerprint]).stdout).unwrap();
        Gpg {
            home,
            fingerprint,
            public,
        }
    }

    /// `skopeo copy SOURCE TARGET`, signed with this key.
    fn push_signed(&self, creds: &str, source: &str, target: &str) -> Output {
        Command::new("skopeo")
            .env("GNUPGHOME", &self.home)
            .args(["copy", "--dest-tls-verify=false", "--dest-creds", creds])
            .args(["--sign-by", &self.fingerprint, source, target])
            .output()
            .expect("skopeo runs")
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn digest_of(server: &Server, creds: (&str, &str), image: &str, tag: &str) -> String {
    let response = Client::new()
        .head(server.url(&format!("/v2/{image}/manifests/{tag}")))
        .basic_auth(creds.0, Some(creds.1))
        .header("accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{image}:{tag}");
    response.headers()["docker-content-digest"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The version's signatures, as the REST API reports them.
fn reported(server: &Server, t: &str, digest: &str) -> Vec<Value> {
    let client = Client::new();
    let versions: Vec<Value> = client
        .get(server.url("/api/v3/user/packages/container/app/versions"))
        .bearer_auth(t)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = versions
        .iter()
        .find(|v| v["name"] == digest)
        .expect("the version")["id"]
        .as_i64()
        .unwrap();
    client
        .get(server.url(&format!(
            "/api/v3/user/packages/container/app/versions/{id}/signatures"
        )))
        .bearer_auth(t)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// What the signature extension API answers for `alice/app@DIGEST`.
fn extension_signatures(server: &Server, t: &str, digest: &str) -> Vec<Value> {
    let kept: Value = Client::new()
        .get(server.url(&format!("/extensions/v2/alice/app/signatures/{digest}")))
        .basic_auth("alice", Some(t))
        .send()
        .unwrap()
        .json()
        .unwrap();
    kept["signatures"].as_array().unwrap().clone()
}

/// A manifest of `alice/app` by tag: the status and the JSON answered.
fn manifest(server: &Server, t: &str, tag: &str) -> (u16, Value) {
    let response = Client::new()
        .get(server.url(&format!("/v2/alice/app/manifests/{tag}")))
        .basic_auth("alice", Some(t))
        .header("accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .unwrap();
    (response.status().as_u16(), response.json().unwrap())
}

/// A containers-policy.json accepting `HOST/alice/app` only when signed by
/// `public` (armored), and nothing else.
fn client_policy(dir: &Path, host: &str, public: &str) -> PathBuf {
    let key_file = dir.join("release.asc");
    std::fs::write(&key_file, public).unwrap();
    let requirement = json!([{"type": "signedBy", "keyType": "GPGKeys", "keyPath": key_file}]);
    let policy = json!({
        "default": [{"type": "reject"}],
        "transports": {"docker": {format!("{host}/alice/app"): requirement}},
    });
    let path = dir.join("policy.json");
    std::fs::write(&path, policy.to_string()).unwrap();
    path
}

#[test]
fn skopeo_signs_images_and_a_required_key_withholds_the_unsigned_ones() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let creds = format!("alice:{t}");
    let host = server.base.trim_start_matches("http://").to_owned();
    let release = Gpg::new(dir.path(), "release");
    let stranger = Gpg::new(dir.path(), "stranger");
    build_image(dir.path(), "one", "signed");
    build_image(dir.path(), "two", "unsigned");
    build_image(dir.path(), "three", "signed by a stranger");
    let layout = |name: &str| format!("oci:{}:1", dir.path().join(name).display());
    let target = |tag: &str| format!("docker://{host}/alice/app:{tag}");

    let out = release.push_signed(&creds, &layout("one"), &target("1"));
    assert!(out.status.success(), "signed push: {}", text(&out));
    assert!(text(&out).contains("Storing signatures"), "{}", text(&out));
    run(Command::new("skopeo")
        .args(["copy", "--dest-tls-verify=false", "--dest-creds", &creds])
        .args([&layout("two"), &target("2")]));
    let out = stranger.push_signed(&creds, &layout("three"), &target("3"));
    assert!(out.status.success(), "stranger's push: {}", text(&out));

    // The extension API gives back what skopeo pushed.
    let signed = digest_of(&server, ("alice", &t), "alice/app", "1");
    let signatures = extension_signatures(&server, &t, &signed);
    assert_eq!(signatures.len(), 1, "{signatures:?}");
    assert_eq!(signatures[0]["type"], "atomic");
    assert_eq!(signatures[0]["schemaVersion"], 2);
    assert!(
        signatures[0]["name"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{signed}@"))
    );

    // Listed, read but not yet checked against any key.
    let reports = reported(&server, &t, &signed);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["format"], "simple_signing");
    assert_eq!(reports[0]["signed_digest"], signed.as_str());
    assert!(
        release
            .fingerprint
            .ends_with(reports[0]["issuer"].as_str().unwrap()),
        "{reports:?} by {}",
        release.fingerprint
    );
    assert_eq!(reports[0]["verified_by"], Value::Null);

    // The package now requires the release key.
    let added = Client::new()
        .post(server.url("/api/v3/user/packages/container/app/signing-keys"))
        .bearer_auth(&t)
        .json(&json!({"public_key": release.public, "note": "release"}))
        .send()
        .unwrap();
    assert_eq!(added.status(), 201);
    let added: Value = added.json().unwrap();
    assert_eq!(added["fingerprint"], release.fingerprint.as_str());
    assert_eq!(added["kind"], "openpgp");
    let listed = server.admin(&["image-key", "list", "alice/app"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&release.fingerprint));
    let reports = reported(&server, &t, &signed);
    assert_eq!(
        reports[0]["verified_by"],
        release.fingerprint.as_str(),
        "{reports:?}"
    );
    assert_eq!(reports[0]["problem"], Value::Null);

    // The client verifies too: a policy that accepts only this key.
    let policy = client_policy(dir.path(), &host, &release.public);
    let pull = |tag: &str, into: &str| {
        Command::new("skopeo")
            .arg("--policy")
            .arg(&policy)
            .args(["copy", "--src-tls-verify=false", "--src-creds", &creds])
            .arg(target(tag))
            .arg(format!("dir:{}", dir.path().join(into).display()))
            .output()
            .expect("skopeo runs")
    };
    let out = pull("1", "back-1");
    assert!(out.status.success(), "the signed image: {}", text(&out));

    // The unsigned image and the stranger's are not served, saying why.
    for tag in ["2", "3"] {
        let out = pull(tag, &format!("back-{tag}"));
        assert!(!out.status.success(), "tag {tag} was served");
        assert!(
            text(&out).contains("not signed by a key this package requires"),
            "tag {tag}: {}",
            text(&out)
        );
    }
    let (status, body) = manifest(&server, &t, "2");
    assert_eq!(status, 403);
    assert_eq!(body["errors"][0]["code"], "DENIED", "{body}");

    // Without the requirement, the unsigned image is served again.
    let removed = Client::new()
        .delete(server.url(&format!(
            "/api/v3/user/packages/container/app/signing-keys/{}",
            added["id"]
        )))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(manifest(&server, &t, "2").0, 200);
}
