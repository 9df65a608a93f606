//! Package files built in memory, as each format's client would upload
//! them: gems, nupkgs, wheels with twine's form, and cargo's publish body.

#![allow(dead_code)]

use std::io::Write;

use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};

pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn tar_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, body) in members {
        let mut header = tar::Header::new_ustar();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, body.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap()
}

pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(body).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A gemspec as `gem build` writes it, with one runtime dependency.
pub fn gemspec(name: &str, version: &str, dependency: Option<&str>) -> String {
    let deps = dependency.map_or("dependencies: []\n".to_owned(), |d| {
        format!(
            "dependencies:\n- !ruby/object:Gem::Dependency\n  name: {d}\n  requirement: &1 !ruby/object:Gem::Requirement\n    requirements:\n    - - \"~>\"\n      - !ruby/object:Gem::Version\n        version: '1.0'\n  type: :runtime\n  prerelease: false\n  version_requirements: *1\n"
        )
    });
    format!(
        "--- !ruby/object:Gem::Specification\nname: {name}\nversion: !ruby/object:Gem::Version\n  version: {version}\nplatform: ruby\nauthors:\n- Alice\ndate: 2026-11-21 00:00:00.000000000 Z\n{deps}description: The {name} gem\nhomepage: https://example.com/{name}\nlicenses:\n- MIT\nmetadata: {{}}\nrequire_paths:\n- lib\nrequired_ruby_version: !ruby/object:Gem::Requirement\n  requirements:\n  - - \">=\"\n    - !ruby/object:Gem::Version\n      version: '0'\nrubygems_version: 3.3.15\nspecification_version: 4\nsummary: Says hi\n"
    )
}

/// A `.gem` holding `spec`; `tamper` spoils the data checksum.
pub fn gem_of(spec: &str, tamper: bool) -> Vec<u8> {
    let metadata = gz(spec.as_bytes());
    let data = gz(&tar_of(&[
        ("README.md", b"# Readme of the gem\n".to_vec()),
        ("lib/x.rb", b"module X; end\n".to_vec()),
    ]));
    let data_sum = if tamper {
        hex::encode(Sha256::digest(b"something else"))
    } else {
        hex::encode(Sha256::digest(&data))
    };
    let checksums = format!(
        "---\nSHA256:\n  metadata.gz: {}\n  data.tar.gz: {data_sum}\nSHA512:\n  metadata.gz: {}\n  data.tar.gz: {}\n",
        hex::encode(Sha256::digest(&metadata)),
        hex::encode(Sha512::digest(&metadata)),
        hex::encode(Sha512::digest(&data)),
    );
    tar_of(&[
        ("metadata.gz", metadata),
        ("data.tar.gz", data),
        ("checksums.yaml.gz", gz(checksums.as_bytes())),
    ])
}

pub fn nuspec(id: &str, version: &str, extra: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>{id}</id>
    <version>{version}</version>
    <authors>Alice</authors>
    <description>The {id} package</description>
    <tags>tiny demo</tags>
    {extra}
  </metadata>
</package>"#
    )
}

/// A `.nupkg` with a nuspec, a README, an icon and a library.
pub fn nupkg_of(id: &str, version: &str, extra: &str) -> Vec<u8> {
    let spec = nuspec(id, version, extra);
    zip_of(&[
        (&format!("{id}.nuspec"), spec.as_bytes()),
        ("README.md", b"# The readme\n"),
        ("icon.png", b"\x89PNG fake"),
        ("lib/netstandard2.0/x.dll", b"MZ"),
    ])
}

/// A wheel of project `name` `version` with its core metadata.
pub fn wheel_of(name: &str, version: &str) -> Vec<u8> {
    let metadata = format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Python: >=3.8\n"
    );
    let dist_info = format!(
        "{}-{version}.dist-info",
        name.replace('-', "_").to_lowercase()
    );
    zip_of(&[
        ("tinypkg/__init__.py", b"def hi(): return 'hi'\n"),
        (&format!("{dist_info}/METADATA"), metadata.as_bytes()),
        (&format!("{dist_info}/WHEEL"), b"Wheel-Version: 1.0\n"),
    ])
}

/// twine's form: metadata fields, then the file as `content`; returns the
/// content type and the body.
pub fn twine_form(fields: &[(&str, &str)], filename: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "entrepot-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        )
        .unwrap();
    }
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .unwrap();
    body.extend_from_slice(file);
    write!(body, "\r\n--{boundary}--\r\n").unwrap();
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The upload form twine sends for the wheel of `name` `version`.
pub fn twine_wheel_upload(name: &str, version: &str) -> (String, Vec<u8>) {
    let file = wheel_of(name, version);
    let sha256 = hex::encode(Sha256::digest(&file));
    let filename = format!("{}-{version}-py3-none-any.whl", name.replace('-', "_"));
    twine_form(
        &[
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", name),
            ("version", version),
            ("filetype", "bdist_wheel"),
            ("pyversion", "py3"),
            ("metadata_version", "2.1"),
            ("summary", "Says hi"),
            ("sha256_digest", &sha256),
        ],
        &filename,
        &file,
    )
}

/// A `.crate`: a gzipped tar of `members`, as `cargo package` writes one.
pub fn tar_gz(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (path, body) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, path, *body).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// The `.crate` of `name` `vers`, with a README.
pub fn crate_of(name: &str, vers: &str) -> Vec<u8> {
    let root = format!("{name}-{vers}");
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"{vers}\"\nedition = \"2021\"\nreadme = \"README.md\"\nrust-version = \"1.70\"\n"
    );
    tar_gz(&[
        (&format!("{root}/Cargo.toml"), manifest.as_bytes()),
        (
            &format!("{root}/README.md"),
            format!("# {name}\n\nThe readme inside {name}.\n").as_bytes(),
        ),
        (&format!("{root}/src/lib.rs"), b"pub fn hi() {}\n"),
    ])
}

/// The publish JSON cargo would send for `name` `vers` without dependencies.
pub fn crate_metadata(name: &str, vers: &str) -> Value {
    json!({
        "name": name, "vers": vers, "deps": [], "features": {},
        "authors": ["Alice <alice@example.com>"], "description": format!("The {name} crate"),
        "documentation": null, "homepage": null, "readme": "# from the JSON\n",
        "readme_file": "README.md", "keywords": ["test"], "categories": [],
        "license": "MIT", "license_file": null, "repository": null, "badges": {},
        "links": null, "rust_version": null
    })
}

/// A publish body: the JSON and the `.crate`, each after its u32 LE length.
pub fn crate_body(json: &Value, krate: &[u8]) -> Vec<u8> {
    let text = json.to_string();
    let mut out = Vec::new();
    out.write_all(&(text.len() as u32).to_le_bytes()).unwrap();
    out.write_all(text.as_bytes()).unwrap();
    out.write_all(&(krate.len() as u32).to_le_bytes()).unwrap();
    out.write_all(krate).unwrap();
    out
}

/// A minimal POM for `group:artifact:version`.
pub fn pom(group: &str, artifact: &str, version: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>{group}</groupId>\n  <artifactId>{artifact}</artifactId>\n  <version>{version}</version>\n  <packaging>jar</packaging>\n</project>\n"
    )
}
