//! One package in every format, published over plain HTTP the way each
//! client sends it: `@alice/lib` (npm), `com.example:lib` (Maven, in
//! repository `alice/java`, which the caller creates), `tinygem`,
//! `Alice.Lib` (NuGet), `tiny-lib` (PyPI) and `tiny_lib` (Cargo).

#![allow(dead_code)]

use reqwest::blocking::Client;

use super::Server;
use super::artifacts::{
    crate_body, crate_metadata, crate_of, gem_of, gemspec, nupkg_of, pom, twine_wheel_upload,
};

/// Publishes `version` of each of the six packages as alice, with `token`.
pub fn one_of_each(server: &Server, token: &str, version: &str) {
    let client = Client::new();
    let status = client
        .put(server.url("/npm/@alice%2flib"))
        .bearer_auth(token)
        .json(&super::publish_doc("@alice/lib", version, ""))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 201, "npm {version}");
    let base = server.url(&format!(
        "/maven/alice/java/com/example/lib/{version}/lib-{version}"
    ));
    for (ext, body) in [
        ("pom", pom("com.example", "lib", version).into_bytes()),
        ("jar", b"PK fake jar".to_vec()),
    ] {
        let status = client
            .put(format!("{base}.{ext}"))
            .basic_auth("alice", Some(token))
            .body(body)
            .send()
            .unwrap()
            .status();
        assert_eq!(status, 201, "maven {ext} {version}");
    }
    let answers = [
        client
            .post(server.url("/rubygems/alice/api/v1/gems"))
            .header("authorization", token)
            .body(gem_of(&gemspec("tinygem", version, None), false)),
        client
            .put(server.url("/nuget/alice/api/v2/package/"))
            .header("x-nuget-apikey", token)
            .body(nupkg_of("Alice.Lib", version, "")),
        {
            let (content_type, body) = twine_wheel_upload("tiny-lib", version);
            client
                .post(server.url("/pypi/alice/"))
                .basic_auth("__token__", Some(token))
                .header("content-type", content_type)
                .body(body)
        },
        client
            .put(server.url("/cargo/alice/api/v1/crates/new"))
            .header("authorization", token)
            .body(crate_body(
                &crate_metadata("tiny_lib", version),
                &crate_of("tiny_lib", version),
            )),
    ];
    for (format, request) in ["rubygems", "nuget", "pypi", "cargo"]
        .into_iter()
        .zip(answers)
    {
        let r = request.send().unwrap();
        let status = r.status();
        assert!(
            status.is_success(),
            "{format} {version}: {status} {}",
            r.text().unwrap()
        );
    }
}
