//! Registry signatures: every npm version's `dist.signatures` is signed
//! with the registry's ECDSA key, listed at `/npm/-/npm/v1/keys`, and npm's
//! own verification (pacote with `verifySignatures`, as `npm audit
//! signatures` runs it against a registry's keys) accepts it and refuses
//! it when the key does not match. A rotated key stays listed with its
//! expiry. (`npm audit signatures` itself first asks Sigstore's TUF
//! repository on the internet, which tests do not reach.)

use std::process::Command;

use reqwest::blocking::Client;
use serde_json::Value;

use crate::common::npm::{NpmUser, package};
use crate::common::process::text;
use crate::common::{Server, server_with_alice};

fn verify(server: &Server, spec: &str, token: &str, tamper: bool) -> Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/npm-signatures/verify.mjs"
    );
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .arg(server.url("/npm/"))
        .arg(spec)
        .arg(token)
        .env("HOME", home.path());
    if tamper {
        cmd.arg("tamper");
    }
    let out = cmd.output().expect("node runs");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("the verifier's answer: {}", text(&out)))
}

fn keys(server: &Server) -> Vec<Value> {
    let answer: Value = Client::new()
        .get(server.url("/npm/-/npm/v1/keys"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    answer["keys"].as_array().unwrap().clone()
}

#[test]
fn npm_verifies_each_versions_registry_signature_and_refuses_a_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, token) = server_with_alice(dir.path());
    let user = NpmUser::new(&server, &["alice"], Some(&token));
    user.npm_ok(&package(dir.path(), "@alice/signed", "1.0.0"), &["publish"]);

    let listed = keys(&server);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["keytype"], "ecdsa-sha2-nistp256");
    assert_eq!(listed[0]["expires"], Value::Null);
    let keyid = listed[0]["keyid"].as_str().unwrap().to_owned();

    let verified = verify(&server, "@alice/signed@1.0.0", &token, false);
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["signatures"][0]["keyid"], keyid.as_str());
    let tampered = verify(&server, "@alice/signed@1.0.0", &token, true);
    assert_eq!(tampered["ok"], false, "{tampered}");
    assert_eq!(tampered["code"], "EINTEGRITYSIGNATURE", "{tampered}");

    // A rotation retires the key with an expiry and signs with a new one.
    let out = server.admin(&["signing-key", "rotate"]);
    let new_id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_ne!(new_id, keyid);
    server.sigterm();
    let args: Vec<&str> = server.args.iter().map(String::as_str).collect();
    let server = Server::start_in(dir.path(), &args, &server.base);
    let listed = keys(&server);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["keyid"], keyid.as_str());
    assert!(listed[0]["expires"].is_string(), "{listed:?}");
    assert_eq!(listed[1]["keyid"], new_id.as_str());
    user.npm_ok(&package(dir.path(), "@alice/signed", "1.0.1"), &["publish"]);
    for version in ["1.0.0", "1.0.1"] {
        let verified = verify(&server, &format!("@alice/signed@{version}"), &token, false);
        assert_eq!(verified["ok"], true, "{version}: {verified}");
        assert_eq!(verified["signatures"][0]["keyid"], new_id.as_str());
    }
}
