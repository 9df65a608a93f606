//! Reading a published `.crate`: a gzipped tar whose every member sits
//! under `NAME-VERSION/`, with the normalized `Cargo.toml` cargo wrote.
//! One pass, nothing extracted: the manifest must name the crate and the
//! version the publish body does, links and special files are refused (as
//! crates.io does), and the README is picked out for the package page.

use std::cell::Cell;
use std::io::{self, Read};
use std::path::Component;
use std::rc::Rc;

use entrepot_core::limits::{MAX_README_BYTES, utf8_prefix};
use flate2::read::GzDecoder;

/// The unpacked size past which a crate is refused, so that a small
/// gzip bomb cannot keep a worker busy for long.
pub const MAX_UNPACKED: u64 = 1024 * 1024 * 1024;
const MAX_MANIFEST: u64 = 1024 * 1024;
const MAX_ENTRIES: usize = 100_000;
const MAX_README_CANDIDATES: usize = 8;

/// What the registry keeps from a crate's contents.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Contents {
    pub readme: Option<String>,
    /// `package.rust-version` of the manifest.
    pub rust_version: Option<String>,
}

/// What the manifest says about the README.
enum Readme {
    Path(String),
    None,
    Default,
}

/// Fails the read once more than `left` bytes went through, and says so
/// in `exceeded`, so that the error reaches the publisher as what it is.
struct Limited<R> {
    inner: R,
    left: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.exceeded.set(true);
            return Err(io::Error::other("the crate unpacks to too many bytes"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn read_text(entry: impl Read, limit: u64, what: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    entry
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {what}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("{what} is larger than {limit} bytes"));
    }
    String::from_utf8(bytes).map_err(|_| format!("{what} is not UTF-8"))
}

/// A README's text, cut to the limit every format shares; one that is not
/// UTF-8 is simply not shown.
fn read_readme(entry: impl Read) -> Option<String> {
    let mut bytes = Vec::new();
    entry
        .take(MAX_README_BYTES as u64)
        .read_to_end(&mut bytes)
        .ok()?;
    utf8_prefix(bytes, MAX_README_BYTES).ok()
}

/// Reads the `.crate` of `name` `vers` from `reader`. `readme_file` is the
/// README path the publish body names, used when the manifest names none.
/// Every error is a message for the publisher.
pub fn read_crate(
    reader: impl Read,
    name: &str,
    vers: &str,
    readme_file: Option<&str>,
) -> Result<Contents, String> {
    read_crate_limited(reader, name, vers, readme_file, MAX_UNPACKED)
}

fn read_crate_limited(
    reader: impl Read,
    name: &str,
    vers: &str,
    readme_file: Option<&str>,
    limit: u64,
) -> Result<Contents, String> {
    let exceeded = Rc::new(Cell::new(false));
    let limited = Limited {
        inner: GzDecoder::new(reader),
        left: limit,
        exceeded: Rc::clone(&exceeded),
    };
    read_members(tar::Archive::new(limited), name, vers, readme_file).map_err(|e| {
        if exceeded.get() {
            format!("the crate unpacks to more than {limit} bytes")
        } else {
            e
        }
    })
}

fn read_members(
    mut archive: tar::Archive<impl Read>,
    name: &str,
    vers: &str,
    readme_file: Option<&str>,
) -> Result<Contents, String> {
    let root = format!("{name}-{vers}");
    let entries = archive
        .entries()
        .map_err(|e| format!("the crate is not a gzipped tar archive: {e}"))?;
    let mut manifest = None;
    let mut readmes: Vec<(String, String)> = Vec::new();
    let hint = readme_file.map(|p| p.trim_start_matches("./").to_owned());
    for (i, entry) in entries.enumerate() {
        if i >= MAX_ENTRIES {
            return Err(format!("the crate has more than {MAX_ENTRIES} files"));
        }
        let entry =
            entry.map_err(|e| format!("the crate is not a valid gzipped tar archive: {e}"))?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|_| "the crate has a file with an unreadable name".to_owned())?
            .into_owned();
        let mut components = path.components();
        let top_ok =
            matches!(components.next(), Some(Component::Normal(top)) if top == root.as_str());
        if !top_ok
            || !components
                .clone()
                .all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(format!(
                "`{}` is outside the crate's folder `{root}/`",
                path.display()
            ));
        }
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(format!(
                "`{}` is a link; a crate holds files only",
                path.display()
            ));
        }
        if kind.is_dir() {
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            return Err(format!("`{}` is not a regular file", path.display()));
        }
        let relative = components.as_path().to_string_lossy().into_owned();
        if relative == "Cargo.toml" {
            manifest = Some(read_text(entry, MAX_MANIFEST, "Cargo.toml")?);
        } else if readmes.len() < MAX_README_CANDIDATES
            && (hint.as_deref() == Some(relative.as_str())
                || (!relative.contains('/') && relative.to_ascii_lowercase().starts_with("readme")))
            && let Some(text) = read_readme(entry)
        {
            readmes.push((relative, text));
        }
    }
    let manifest = manifest.ok_or_else(|| format!("the crate has no `{root}/Cargo.toml`"))?;
    let (readme, rust_version) = check_manifest(&manifest, name, vers)?;
    let pick = |path: &str| {
        readmes
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, text)| text.clone())
    };
    let readme = match readme {
        Readme::Path(path) => pick(path.trim_start_matches("./")),
        Readme::None => None,
        Readme::Default => hint.as_deref().and_then(pick).or_else(|| {
            ["README.md", "README.txt", "README"]
                .into_iter()
                .find_map(pick)
        }),
    };
    Ok(Contents {
        readme,
        rust_version,
    })
}

/// Checks that the manifest names the crate and version being published;
/// returns what it says of the README and its `rust-version`.
fn check_manifest(text: &str, name: &str, vers: &str) -> Result<(Readme, Option<String>), String> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| format!("Cargo.toml is not valid TOML: {e}"))?;
    let package = table
        .get("package")
        .and_then(toml::Value::as_table)
        .ok_or("Cargo.toml has no [package] table")?;
    let field = |key: &str| package.get(key).and_then(toml::Value::as_str);
    match field("name") {
        Some(n) if n == name => {}
        other => {
            return Err(format!(
                "Cargo.toml names the crate `{}`, but `{name}` is being published",
                other.unwrap_or("")
            ));
        }
    }
    match field("version") {
        Some(v) if v == vers => {}
        other => {
            return Err(format!(
                "Cargo.toml has version `{}`, but `{vers}` is being published",
                other.unwrap_or("")
            ));
        }
    }
    let readme = match package.get("readme") {
        Some(toml::Value::String(path)) => Readme::Path(path.clone()),
        Some(toml::Value::Boolean(false)) => Readme::None,
        Some(toml::Value::Boolean(true)) => Readme::Path("README.md".into()),
        _ => Readme::Default,
    };
    Ok((readme, field("rust-version").map(str::to_owned)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A `.crate` with `members` (paths and bodies) as `cargo package` lays it out.
    pub fn crate_of(members: &[(&str, &[u8])]) -> Vec<u8> {
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

    pub fn manifest(name: &str, vers: &str, extra: &str) -> Vec<u8> {
        format!("[package]\nname = \"{name}\"\nversion = \"{vers}\"\nedition = \"2021\"\n{extra}")
            .into_bytes()
    }

    #[test]
    fn a_crate_is_read_with_its_readme() {
        let krate = crate_of(&[
            (
                "tiny-1.0.0/Cargo.toml",
                &manifest(
                    "tiny",
                    "1.0.0",
                    "readme = \"docs/INTRO.md\"\nrust-version = \"1.70\"\n",
                ),
            ),
            ("tiny-1.0.0/README.md", b"# the wrong one\n"),
            ("tiny-1.0.0/docs/INTRO.md", b"# Tiny\n"),
            ("tiny-1.0.0/src/lib.rs", b"pub fn hi() {}\n"),
        ]);
        let contents =
            read_crate(krate.as_slice(), "tiny", "1.0.0", Some("docs/INTRO.md")).unwrap();
        assert_eq!(contents.readme.as_deref(), Some("# Tiny\n"));
        assert_eq!(contents.rust_version.as_deref(), Some("1.70"));
        let default = crate_of(&[
            ("tiny-1.0.0/Cargo.toml", &manifest("tiny", "1.0.0", "")),
            ("tiny-1.0.0/README.md", b"# Default\n"),
        ]);
        let contents = read_crate(default.as_slice(), "tiny", "1.0.0", None).unwrap();
        assert_eq!(contents.readme.as_deref(), Some("# Default\n"));
    }

    #[test]
    fn a_readme_past_the_limit_is_cut_not_dropped() {
        let long = format!("a{}", "é".repeat(MAX_README_BYTES));
        let krate = crate_of(&[
            ("tiny-1.0.0/Cargo.toml", &manifest("tiny", "1.0.0", "")),
            ("tiny-1.0.0/README.md", long.as_bytes()),
        ]);
        let readme = read_crate(krate.as_slice(), "tiny", "1.0.0", None)
            .unwrap()
            .readme
            .unwrap();
        assert_eq!(readme.len(), MAX_README_BYTES - 1);
        assert!(long.starts_with(&readme));
    }

    #[test]
    fn what_is_not_the_crate_published_is_refused() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"not gzip".to_vec(), "not a valid gzipped tar"),
            (
                crate_of(&[("other-1.0.0/Cargo.toml", &manifest("tiny", "1.0.0", ""))]),
                "outside the crate's folder",
            ),
            (
                crate_of(&[("tiny-1.0.0/src/lib.rs", b"")]),
                "no `tiny-1.0.0/Cargo.toml`",
            ),
            (
                crate_of(&[("tiny-1.0.0/Cargo.toml", &manifest("other", "1.0.0", ""))]),
                "names the crate `other`",
            ),
            (
                crate_of(&[("tiny-1.0.0/Cargo.toml", &manifest("tiny", "2.0.0", ""))]),
                "has version `2.0.0`",
            ),
            (
                crate_of(&[("tiny-1.0.0/Cargo.toml", b"[package\n")]),
                "not valid TOML",
            ),
        ];
        for (krate, reason) in cases {
            let err = read_crate(krate.as_slice(), "tiny", "1.0.0", None).unwrap_err();
            assert!(err.contains(reason), "{reason}: {err}");
        }
        // A link, written by hand since the builder follows none.
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        header.set_link_name("/etc/passwd").unwrap();
        header.set_cksum();
        builder
            .append_data(&mut header, "tiny-1.0.0/Cargo.toml", std::io::empty())
            .unwrap();
        let linked = builder.into_inner().unwrap().finish().unwrap();
        let err = read_crate(linked.as_slice(), "tiny", "1.0.0", None).unwrap_err();
        assert!(err.contains("is a link"), "{err}");
    }

    #[test]
    fn unpacking_is_bounded() {
        let big = vec![0u8; 64 * 1024];
        let krate = crate_of(&[
            ("tiny-1.0.0/Cargo.toml", &manifest("tiny", "1.0.0", "")),
            ("tiny-1.0.0/zeros.bin", &big),
        ]);
        assert!(krate.len() < 4096, "zeros compress well");
        let err =
            read_crate_limited(krate.as_slice(), "tiny", "1.0.0", None, 16 * 1024).unwrap_err();
        assert!(err.contains("unpacks to more than 16384 bytes"), "{err}");
        assert!(read_crate_limited(krate.as_slice(), "tiny", "1.0.0", None, 1 << 20).is_ok());
    }
}
