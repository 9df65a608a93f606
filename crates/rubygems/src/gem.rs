//! Reading a pushed `.gem`: a plain tar of `metadata.gz` (the gemspec as
//! YAML), `data.tar.gz` (the files) and `checksums.yaml.gz`. One pass over
//! the bytes: the gemspec is loaded safely, both members are hashed and
//! checked against the checksums, and the README is picked out of the data.

use std::io::{self, Read};

use entrepot_core::limits::{MAX_README_BYTES, utf8_prefix};
use flate2::read::GzDecoder;
use sha2::{Digest, Sha256, Sha512};

use crate::metadata::GemSpec;
use crate::yaml::{self, Node};

const MAX_METADATA: u64 = 8 * 1024 * 1024;
const MAX_CHECKSUMS: u64 = 64 * 1024;
const MAX_MEMBERS: usize = 32;
const MAX_DATA_ENTRIES: usize = 100_000;

/// What a pushed gem holds that the registry keeps.
#[derive(Debug)]
pub struct GemContents {
    pub spec: GemSpec,
    pub readme: Option<String>,
}

/// Hashes whatever is read through it.
struct Hashing<R> {
    inner: R,
    sha256: Sha256,
    sha512: Sha512,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha256.update(&buf[..n]);
        self.sha512.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            sha256: Sha256::new(),
            sha512: Sha512::new(),
        }
    }

    /// Reads to the end and returns the hex digests.
    fn finish(mut self) -> io::Result<(String, String)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((
            hex::encode(self.sha256.finalize()),
            hex::encode(self.sha512.finalize()),
        ))
    }
}

fn gunzip_text(raw: impl Read, limit: u64, what: &str) -> Result<String, String> {
    let mut text = String::new();
    GzDecoder::new(raw)
        .take(limit + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("{what} is not gzip-compressed UTF-8: {e}"))?;
    if text.len() as u64 > limit {
        return Err(format!("{what} is larger than {limit} bytes"));
    }
    Ok(text)
}

/// Reads the README at the top of `data.tar.gz`, then the rest of it, so
/// that its digests cover every byte.
fn read_data(entry: impl Read) -> Result<((String, String), Option<String>), String> {
    let mut hashing = Hashing::new(entry);
    let mut readme = None;
    {
        let mut archive = tar::Archive::new(GzDecoder::new(&mut hashing));
        if let Ok(entries) = archive.entries() {
            for entry in entries.take(MAX_DATA_ENTRIES) {
                let Ok(mut entry) = entry else { break };
                let top_level_readme = entry.path().ok().is_some_and(|p| {
                    p.components().count() == 1
                        && p.to_str()
                            .is_some_and(|n| n.to_ascii_lowercase().starts_with("readme"))
                });
                if top_level_readme && entry.header().entry_type().is_file() {
                    // Cut to the limit every format shares; a README that
                    // is not UTF-8 is not shown.
                    let mut bytes = Vec::new();
                    if (&mut entry)
                        .take(MAX_README_BYTES as u64)
                        .read_to_end(&mut bytes)
                        .is_ok()
                    {
                        readme = utf8_prefix(bytes, MAX_README_BYTES).ok();
                    }
                    break;
                }
            }
        }
    }
    let digests = hashing
        .finish()
        .map_err(|e| format!("cannot read data.tar.gz: {e}"))?;
    Ok((digests, readme))
}

/// The digests `checksums.yaml.gz` lists, as `(algorithm, member, hex)`.
fn parse_checksums(text: &str) -> Result<Vec<(String, String, String)>, String> {
    let doc = yaml::load(text)?;
    let mut out = Vec::new();
    if let Node::Map { entries, .. } = doc {
        for (algorithm, members) in entries {
            let (Some(algorithm), Node::Map { entries, .. }) = (algorithm.as_str(), members) else {
                continue;
            };
            for (member, digest) in entries {
                if let (Some(m), Some(d)) = (member.as_str(), digest.as_str()) {
                    out.push((algorithm.to_owned(), m.to_owned(), d.to_ascii_lowercase()));
                }
            }
        }
    }
    Ok(out)
}

/// Reads a `.gem` from `reader`; every error is a message for the pusher.
pub fn read_gem(reader: impl Read) -> Result<GemContents, String> {
    let mut archive = tar::Archive::new(reader);
    let mut metadata = None;
    let mut data = None;
    let mut checksums = None;
    let mut digests: Vec<(String, (String, String))> = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| format!("the gem is not a tar archive: {e}"))?;
    for (i, entry) in entries.enumerate() {
        if i >= MAX_MEMBERS {
            return Err("the gem has too many members".into());
        }
        let entry = entry.map_err(|e| format!("the gem is not a valid tar archive: {e}"))?;
        let path = entry
            .path()
            .map_err(|_| "the gem has a member with an unreadable name")?
            .to_string_lossy()
            .into_owned();
        match path.as_str() {
            "metadata.gz" => {
                let mut hashing = Hashing::new(entry);
                let text = gunzip_text(&mut hashing, MAX_METADATA, "metadata.gz")?;
                metadata = Some(text);
                let d = hashing
                    .finish()
                    .map_err(|e| format!("cannot read metadata.gz: {e}"))?;
                digests.push((path, d));
            }
            "data.tar.gz" => {
                let (d, readme) = read_data(entry)?;
                data = Some(readme);
                digests.push((path, d));
            }
            "checksums.yaml.gz" => {
                checksums = Some(gunzip_text(entry, MAX_CHECKSUMS, "checksums.yaml.gz")?);
            }
            _ => {}
        }
    }
    let metadata = metadata.ok_or("the gem has no metadata.gz")?;
    let readme = data.ok_or("the gem has no data.tar.gz")?;
    if let Some(text) = checksums {
        for (algorithm, member, want) in parse_checksums(&text)? {
            let Some((_, (sha256, sha512))) = digests.iter().find(|(m, _)| *m == member) else {
                continue;
            };
            let got = match algorithm.as_str() {
                "SHA256" => sha256,
                "SHA512" => sha512,
                _ => continue,
            };
            if *got != want {
                return Err(format!(
                    "{member} does not match its {algorithm} in checksums.yaml.gz"
                ));
            }
        }
    }
    let spec = GemSpec::from_yaml(&yaml::load(&metadata)?)?;
    Ok(GemContents { spec, readme })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn tar_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
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

    /// A `.gem` as `gem build` lays it out, with `spec` as its gemspec.
    pub fn gem_with(spec: &str, readme: &str, tamper: bool) -> Vec<u8> {
        let metadata = gz(spec.as_bytes());
        let data = gz(&tar_of(&[
            ("README.md", readme.as_bytes().to_vec()),
            ("lib/tinygem.rb", b"module Tinygem; end\n".to_vec()),
        ]));
        let mut data_sum = hex::encode(Sha256::digest(&data));
        if tamper {
            data_sum = hex::encode(Sha256::digest(b"other"));
        }
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

    #[test]
    fn a_gem_is_read_with_its_readme_and_checksums_checked() {
        let gem = gem_with(crate::spec::tests::TINY, "# Tiny\n", false);
        let contents = read_gem(gem.as_slice()).unwrap();
        assert_eq!(contents.spec.full_name(), "tinygem-1.0.0");
        assert_eq!(contents.readme.as_deref(), Some("# Tiny\n"));
        let tampered = gem_with(crate::spec::tests::TINY, "# Tiny\n", true);
        let err = read_gem(tampered.as_slice()).unwrap_err();
        assert!(err.contains("data.tar.gz does not match"), "{err}");
    }

    #[test]
    fn a_readme_past_the_limit_is_cut() {
        let long = format!("a{}", "é".repeat(MAX_README_BYTES));
        let gem = gem_with(crate::spec::tests::TINY, &long, false);
        let readme = read_gem(gem.as_slice()).unwrap().readme.unwrap();
        assert_eq!(readme.len(), MAX_README_BYTES - 1);
        assert!(long.starts_with(&readme));
    }

    #[test]
    fn what_is_not_a_gem_is_refused_with_a_reason() {
        assert!(read_gem(&b"not a tar"[..]).is_err());
        let no_metadata = tar_of(&[("data.tar.gz", gz(b""))]);
        assert!(
            read_gem(no_metadata.as_slice())
                .unwrap_err()
                .contains("metadata.gz")
        );
        let evil = gem_with("--- !ruby/object:Gem::Installer\nname: x\n", "", false);
        assert!(
            read_gem(evil.as_slice())
                .unwrap_err()
                .contains("not allowed")
        );
    }
}
