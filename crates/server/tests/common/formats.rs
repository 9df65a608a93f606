//! One publish in every format, as plain HTTP requests its client would
//! send, with the files it stores and where each format's client downloads
//! and lists them: for the crash and concurrency tests.

#![allow(dead_code)]

use std::collections::BTreeSet;

use base64::Engine;
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::artifacts::{
    crate_body, crate_metadata, crate_of, gem_of, gemspec, nupkg_of, pom, twine_form, wheel_of,
};
use super::publish_doc;

/// The Maven repository the tests deploy into (`admin repo create` it).
pub const MAVEN_REPO: &str = "alice/crash";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Npm,
    Maven,
    Rubygems,
    Nuget,
    Pypi,
    Cargo,
    Oci,
    Generic,
}

pub const ALL: [Format; 8] = [
    Format::Npm,
    Format::Maven,
    Format::Rubygems,
    Format::Nuget,
    Format::Pypi,
    Format::Cargo,
    Format::Oci,
    Format::Generic,
];

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One request of a publish, and the status that means it worked.
#[derive(Debug, Clone)]
pub struct Step {
    pub method: reqwest::Method,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub ok: u16,
    /// The files this request makes visible when it works; the first is
    /// the one that is absent when it did not.
    pub stores: Vec<Stored>,
    /// A chunked OCI upload: the request answers with a `Location` that the
    /// next step's path continues (`{location}` in it is replaced).
    pub follows_location: bool,
}

/// A stored file, where its format's client downloads it, and its SHA-256.
#[derive(Debug, Clone)]
pub struct Stored {
    pub path: String,
    pub accept: Option<String>,
    pub sha256: String,
}

/// Everything one publish of `version` sends.
#[derive(Debug, Clone)]
pub struct Publish {
    pub format: Format,
    pub version: String,
    pub steps: Vec<Step>,
}

/// Adds alice's credentials in the form each format's client sends them.
pub fn authed(format: Format, request: RequestBuilder, token: &str) -> RequestBuilder {
    match format {
        Format::Npm => request.bearer_auth(token),
        Format::Rubygems | Format::Cargo => request.header("authorization", token),
        Format::Nuget => request.header("x-nuget-apikey", token),
        Format::Pypi => request.basic_auth("__token__", Some(token)),
        Format::Maven | Format::Oci | Format::Generic => request.basic_auth("alice", Some(token)),
    }
}

fn step(method: reqwest::Method, path: String, body: Vec<u8>, ok: u16) -> Step {
    Step {
        method,
        path,
        headers: Vec::new(),
        body,
        ok,
        stores: Vec::new(),
        follows_location: false,
    }
}

fn stored(path: String, bytes: &[u8]) -> Stored {
    Stored {
        path,
        accept: None,
        sha256: sha256_hex(bytes),
    }
}

/// The names each format publishes under.
pub const NPM_NAME: &str = "@alice/crash";
pub const MAVEN_GROUP_PATH: &str = "com/example/crash";
pub const GEM: &str = "crashgem";
pub const NUGET_ID: &str = "Alice.Crash";
pub const PYPI: &str = "crash-lib";
pub const CRATE: &str = "crash_lib";
pub const IMAGE: &str = "alice/crash";
pub const GENERIC: &str = "crash";

/// The requests of publishing `version` in `format`; `salt` makes OCI's
/// layer unique and picks a chunked or a monolithic blob upload.
pub fn publish(format: Format, version: &str, salt: u64) -> Publish {
    use reqwest::Method;
    let steps = match format {
        Format::Npm => {
            let doc = publish_doc(NPM_NAME, version, "");
            let tgz = base64::engine::general_purpose::STANDARD
                .decode(
                    doc["_attachments"][format!("{NPM_NAME}-{version}.tgz")]["data"]
                        .as_str()
                        .unwrap(),
                )
                .unwrap();
            let mut s = step(
                Method::PUT,
                "/npm/@alice%2fcrash".into(),
                serde_json::to_vec(&doc).unwrap(),
                201,
            );
            s.headers
                .push(("content-type".into(), "application/json".into()));
            s.stores.push(stored(
                format!("/npm/@alice/crash/-/crash-{version}.tgz"),
                &tgz,
            ));
            vec![s]
        }
        Format::Maven => {
            let base = format!("/maven/{MAVEN_REPO}/{MAVEN_GROUP_PATH}/{version}/crash-{version}");
            let pom = pom("com.example", "crash", version).into_bytes();
            let jar = format!("PK fake jar of {version}").into_bytes();
            let mut steps = Vec::new();
            for (ext, body) in [("pom", pom), ("jar", jar)] {
                let path = format!("{base}.{ext}");
                let mut s = step(Method::PUT, path.clone(), body.clone(), 201);
                s.stores.push(stored(path, &body));
                steps.push(s);
            }
            steps
        }
        Format::Rubygems => {
            let gem = gem_of(&gemspec(GEM, version, None), false);
            let mut s = step(
                Method::POST,
                "/rubygems/alice/api/v1/gems".into(),
                gem.clone(),
                200,
            );
            s.stores.push(stored(
                format!("/rubygems/alice/gems/{GEM}-{version}.gem"),
                &gem,
            ));
            vec![s]
        }
        Format::Nuget => {
            let nupkg = nupkg_of(NUGET_ID, version, "");
            let mut s = step(
                Method::PUT,
                "/nuget/alice/api/v2/package/".into(),
                nupkg.clone(),
                201,
            );
            let id = NUGET_ID.to_lowercase();
            s.stores.push(stored(
                format!("/nuget/alice/v3/flat/{id}/{version}/{id}.{version}.nupkg"),
                &nupkg,
            ));
            vec![s]
        }
        Format::Pypi => pypi_steps(version),
        Format::Cargo => {
            let krate = crate_of(CRATE, version);
            let mut s = step(
                Method::PUT,
                "/cargo/alice/api/v1/crates/new".into(),
                crate_body(&crate_metadata(CRATE, version), &krate),
                200,
            );
            s.stores.push(stored(
                format!("/cargo/alice/api/v1/crates/{CRATE}/{version}/download"),
                &krate,
            ));
            vec![s]
        }
        Format::Oci => oci_steps(version, salt),
        Format::Generic => {
            let path = format!("/generic/alice/{GENERIC}/{version}/crash-{version}.bin");
            let body = format!("the bytes of crash {version}").into_bytes();
            let mut s = step(Method::PUT, path.clone(), body.clone(), 201);
            s.stores.push(stored(path, &body));
            vec![s]
        }
    };
    Publish {
        format,
        version: version.to_owned(),
        steps,
    }
}

fn pypi_steps(version: &str) -> Vec<Step> {
    use reqwest::Method;
    let wheel = wheel_of(PYPI, version);
    let filename = format!("{}-{version}-py3-none-any.whl", PYPI.replace('-', "_"));
    let (content_type, body) = twine_form(
        &[
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", PYPI),
            ("version", version),
            ("filetype", "bdist_wheel"),
            ("pyversion", "py3"),
            ("metadata_version", "2.1"),
            ("summary", "Says hi"),
            ("sha256_digest", &sha256_hex(&wheel)),
        ],
        &filename,
        &wheel,
    );
    let mut s = step(Method::POST, "/pypi/alice/".into(), body, 200);
    s.headers.push(("content-type".into(), content_type));
    s.stores.push(stored(
        format!("/pypi/alice/files/{PYPI}/{version}/{filename}"),
        &wheel,
    ));
    vec![s]
}

fn oci_steps(tag: &str, salt: u64) -> Vec<Step> {
    use reqwest::Method;
    let digest = |bytes: &[u8]| format!("sha256:{}", sha256_hex(bytes));
    // A layer of a few KiB, unique to this push.
    let mut layer = Vec::new();
    let mut x = salt | 1;
    for _ in 0..(1024 + salt % 4096) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        layer.push((x & 0xff) as u8);
    }
    layer.extend_from_slice(tag.as_bytes());
    let config = json!({"architecture": "amd64", "os": "linux", "tag": tag}).to_string();
    let config = config.into_bytes();
    let blob = |bytes: &[u8]| Stored {
        path: format!("/v2/{IMAGE}/blobs/{}", digest(bytes)),
        accept: None,
        sha256: sha256_hex(bytes),
    };
    let mut steps = Vec::new();
    if salt.is_multiple_of(2) {
        steps.push(step(
            Method::POST,
            format!("/v2/{IMAGE}/blobs/uploads/?digest={}", digest(&layer)),
            layer.clone(),
            201,
        ));
    } else {
        // Chunked: open a session, send the first half, close with the rest.
        let half = layer.len() / 2;
        let mut open = step(
            Method::POST,
            format!("/v2/{IMAGE}/blobs/uploads/"),
            Vec::new(),
            202,
        );
        open.follows_location = true;
        let mut patch = step(
            Method::PATCH,
            "{location}".into(),
            layer[..half].to_vec(),
            202,
        );
        patch.headers.push((
            "content-range".into(),
            format!("0-{}", half.saturating_sub(1)),
        ));
        patch.follows_location = true;
        let close = step(
            Method::PUT,
            format!("{{location}}?digest={}", digest(&layer)),
            layer[half..].to_vec(),
            201,
        );
        steps.extend([open, patch, close]);
    }
    steps.push(step(
        Method::POST,
        format!("/v2/{IMAGE}/blobs/uploads/?digest={}", digest(&config)),
        config.clone(),
        201,
    ));
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": digest(&layer), "size": layer.len()}],
    });
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let media = "application/vnd.oci.image.manifest.v1+json";
    let mut put = step(
        Method::PUT,
        format!("/v2/{IMAGE}/manifests/{tag}"),
        manifest.clone(),
        201,
    );
    put.headers.push(("content-type".into(), media.into()));
    put.stores = vec![
        Stored {
            path: format!("/v2/{IMAGE}/manifests/{tag}"),
            accept: Some(media.into()),
            sha256: sha256_hex(&manifest),
        },
        blob(&layer),
        blob(&config),
    ];
    steps.push(put);
    steps
}

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The status the format answers a success with.
    Success,
    /// Any other status, with the body.
    Error(u16, String),
    /// The connection broke after the request may have reached the server.
    Lost(String),
}

/// Sends `step` (its path completed with `location`); `None` when the
/// connection could not even be opened, so the server never saw it.
pub fn send(
    client: &Client,
    base: &str,
    token: &str,
    format: Format,
    step: &Step,
    location: Option<&str>,
) -> Option<(Answer, Option<String>)> {
    let path = match location {
        Some(l) => step.path.replace("{location}", l),
        None => step.path.clone(),
    };
    let url = if path.starts_with("http") {
        path
    } else {
        format!("{base}{path}")
    };
    let mut request = authed(format, client.request(step.method.clone(), url), token);
    for (k, v) in &step.headers {
        request = request.header(k, v);
    }
    match request.body(step.body.clone()).send() {
        Err(e) if e.is_connect() => None,
        Err(e) => Some((Answer::Lost(e.to_string()), None)),
        Ok(r) => {
            let status = r.status().as_u16();
            let location = r
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            match r.text() {
                Err(e) => Some((Answer::Lost(format!("{status}, then {e}")), None)),
                Ok(_) if status == step.ok => Some((Answer::Success, location)),
                Ok(body) => Some((Answer::Error(status, body), None)),
            }
        }
    }
}

/// Downloads `file` as its client would: `Some(bytes)` on 200, `None` on
/// 404; any other status fails the test.
pub fn download(
    client: &Client,
    base: &str,
    token: &str,
    format: Format,
    file: &Stored,
) -> Option<Vec<u8>> {
    let mut request = authed(format, client.get(format!("{base}{}", file.path)), token);
    if let Some(accept) = &file.accept {
        request = request.header("accept", accept);
    }
    let r = request.send().unwrap();
    match r.status().as_u16() {
        200 => Some(r.bytes().unwrap().to_vec()),
        404 => None,
        other => panic!("GET {}: {other} {}", file.path, r.text().unwrap()),
    }
}

fn get_text(client: &Client, base: &str, token: &str, format: Format, path: &str) -> String {
    let r = authed(format, client.get(format!("{base}{path}")), token)
        .header(
            "accept",
            if format == Format::Pypi {
                "application/vnd.pypi.simple.v1+json"
            } else {
                "*/*"
            },
        )
        .send()
        .unwrap();
    match r.status().as_u16() {
        200 => r.text().unwrap(),
        404 => String::new(),
        other => panic!("GET {path}: {other} {}", r.text().unwrap()),
    }
}

fn json_of(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }
}

/// The versions `format`'s own index lists for the package, as its client
/// reads them: npm's packument, maven-metadata.xml, the gem versions API,
/// NuGet's flat container, the simple index, cargo's sparse index, the
/// OCI tag list, and for generic packages the REST API's versions.
pub fn listed(client: &Client, base: &str, token: &str, format: Format) -> BTreeSet<String> {
    let get = |path: &str| get_text(client, base, token, format, path);
    match format {
        Format::Npm => json_of(&get("/npm/@alice%2fcrash"))["versions"]
            .as_object()
            .map(|v| v.keys().cloned().collect())
            .unwrap_or_default(),
        Format::Maven => {
            let xml = get(&format!(
                "/maven/{MAVEN_REPO}/{MAVEN_GROUP_PATH}/maven-metadata.xml"
            ));
            xml.split("<version>")
                .skip(1)
                .filter_map(|s| s.split("</version>").next())
                .map(str::to_owned)
                .collect()
        }
        Format::Rubygems => json_of(&get(&format!("/rubygems/alice/api/v1/versions/{GEM}.json")))
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v["number"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
        Format::Nuget => json_of(&get(&format!(
            "/nuget/alice/v3/flat/{}/index.json",
            NUGET_ID.to_lowercase()
        )))["versions"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default(),
        Format::Pypi => json_of(&get(&format!("/pypi/alice/simple/{PYPI}/")))["files"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| {
                        let name = f["filename"].as_str().unwrap();
                        name.split('-').nth(1).unwrap().to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Format::Cargo => get(&format!("/cargo/alice/index/cr/as/{CRATE}"))
            .lines()
            .map(|l| json_of(l)["vers"].as_str().unwrap().to_owned())
            .collect(),
        Format::Oci => json_of(&get(&format!("/v2/{IMAGE}/tags/list")))["tags"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default(),
        // Its clients fetch files by name: the REST API lists the versions.
        Format::Generic => {
            let mut names = BTreeSet::new();
            for page in 1.. {
                let listed = json_of(&get(&format!(
                    "/api/v3/user/packages/generic/{GENERIC}/versions?per_page=100&page={page}"
                )));
                let versions = listed.as_array().cloned().unwrap_or_default();
                if versions.is_empty() {
                    break;
                }
                names.extend(
                    versions
                        .iter()
                        .map(|v| v["name"].as_str().unwrap().to_owned()),
                );
            }
            names
        }
    }
}

/// Sends every step of `p` to the server at `base`, following an upload's
/// location, and asserts that each worked.
pub fn publish_all(client: &Client, base: &str, token: &str, p: &Publish) {
    let mut location: Option<String> = None;
    for step in &p.steps {
        let (answer, next) = send(client, base, token, p.format, step, location.as_deref())
            .expect("the server is up");
        assert_eq!(answer, Answer::Success, "{:?} {}", p.format, p.version);
        if step.follows_location {
            location = next;
        }
    }
}
