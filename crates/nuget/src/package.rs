//! Reading a pushed `.nupkg` (or `.snupkg`): a zip whose root holds one
//! `.nuspec`. Only the nuspec, the README and the icon are decompressed,
//! each through a byte limit whatever the zip declares; entry names that
//! could escape a folder and absurd declared sizes refuse the package.

use std::io::{Read, Seek};

use entrepot_core::limits::{MAX_README_BYTES, truncate, utf8_prefix};

use crate::nuspec::{MAX_NUSPEC_BYTES, Nuspec};

const MAX_ENTRIES: usize = 100_000;
const MAX_EMBEDDED: u64 = 1 << 20;
/// A package declaring more than this uncompressed is a zip bomb.
const MAX_DECLARED_TOTAL: u64 = 16 << 30;

#[derive(Debug)]
pub struct Contents {
    pub nuspec: Nuspec,
    pub nuspec_bytes: Vec<u8>,
    pub readme: Option<String>,
    /// The icon's bytes and its file name inside the package.
    pub icon: Option<(String, Vec<u8>)>,
}

fn unsafe_name(name: &str) -> bool {
    let name = name.replace('\\', "/");
    name.starts_with('/')
        || name.split('/').any(|part| part == "..")
        || name.contains('\0')
        || name.as_bytes().get(1) == Some(&b':')
}

fn read_entry<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, String> {
    let bytes = read_prefix(zip, index, limit + 1, what)?;
    if bytes.len() as u64 > limit {
        return Err(format!("{what} is larger than {limit} bytes"));
    }
    Ok(bytes)
}

/// At most the first `limit` bytes of entry `index`.
fn read_prefix<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, String> {
    let entry = zip
        .by_index(index)
        .map_err(|e| format!("cannot read {what} from the package: {e}"))?;
    let mut bytes = Vec::new();
    entry
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {what} from the package: {e}"))?;
    Ok(bytes)
}

/// A README's text, cut (not refused) at the limit every format shares.
fn readme_text(bytes: Vec<u8>) -> String {
    match utf8_prefix(bytes, MAX_README_BYTES) {
        Ok(text) => text,
        Err(e) => {
            let mut text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            truncate(&mut text, MAX_README_BYTES);
            text
        }
    }
}

/// The index of the entry at `path` (written with `/` or `\`), if any.
fn find(names: &[String], path: &str) -> Option<usize> {
    let want = path.replace('\\', "/");
    let want = want.trim_start_matches("./");
    names
        .iter()
        .position(|n| n.replace('\\', "/").eq_ignore_ascii_case(want))
}

pub fn read<R: Read + Seek>(reader: R) -> Result<Contents, String> {
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| format!("the package is not a valid zip archive: {e}"))?;
    if zip.len() > MAX_ENTRIES {
        return Err("the package has too many entries".into());
    }
    let mut declared = 0u64;
    let mut nuspecs = Vec::new();
    let mut names = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| format!("the package is not a valid zip archive: {e}"))?;
        let name = entry
            .name()
            .map_err(|e| format!("the package has an unreadable entry name: {e}"))?
            .into_owned();
        if unsafe_name(&name) {
            return Err(format!("the package has an unsafe entry name: {name:?}"));
        }
        declared = declared.saturating_add(entry.size());
        if !name.contains(['/', '\\']) && name.to_ascii_lowercase().ends_with(".nuspec") {
            nuspecs.push(i);
        }
        names.push(name);
    }
    if declared > MAX_DECLARED_TOTAL {
        return Err("the package declares more content than any package may hold".into());
    }
    let index = match nuspecs.as_slice() {
        [one] => *one,
        [] => return Err("the package has no .nuspec at its root".into()),
        _ => return Err("the package has more than one .nuspec at its root".into()),
    };
    let nuspec_bytes = read_entry(&mut zip, index, MAX_NUSPEC_BYTES as u64, "the nuspec")?;
    let nuspec = Nuspec::parse(&nuspec_bytes)?;
    let mut readme = None;
    if let Some(path) = &nuspec.readme {
        let i =
            find(&names, path).ok_or_else(|| format!("the README {path} is not in the package"))?;
        let bytes = read_prefix(&mut zip, i, MAX_README_BYTES as u64, "the README")?;
        readme = Some(readme_text(bytes));
    }
    let mut icon = None;
    if let Some(path) = &nuspec.icon {
        let i =
            find(&names, path).ok_or_else(|| format!("the icon {path} is not in the package"))?;
        let bytes = read_entry(&mut zip, i, MAX_EMBEDDED, "the icon")?;
        let name = path
            .replace('\\', "/")
            .rsplit('/')
            .next()
            .unwrap_or("icon")
            .to_owned();
        icon = Some((name, bytes));
    }
    Ok(Contents {
        nuspec,
        nuspec_bytes,
        readme,
        icon,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    pub fn nupkg(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(body).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_package_is_read_with_its_readme_and_icon() {
        let bytes = nupkg(&[
            ("Tiny.Demo.nuspec", crate::nuspec::tests::DEMO.as_bytes()),
            ("docs/README.md", b"# Tiny"),
            ("icon.png", b"\x89PNG"),
            ("lib/netstandard2.0/Tiny.dll", b"MZ"),
        ]);
        let c = read(Cursor::new(bytes)).unwrap();
        assert_eq!(c.nuspec.id, "Tiny.Demo");
        assert_eq!(c.readme.as_deref(), Some("# Tiny"));
        assert_eq!(c.icon.as_ref().map(|(n, _)| n.as_str()), Some("icon.png"));
    }

    #[test]
    fn a_readme_past_the_limit_is_cut_not_refused() {
        let long = format!("a{}", "é".repeat(MAX_README_BYTES));
        let bytes = nupkg(&[
            ("Tiny.Demo.nuspec", crate::nuspec::tests::DEMO.as_bytes()),
            ("docs/README.md", long.as_bytes()),
            ("icon.png", b"\x89PNG"),
        ]);
        let readme = read(Cursor::new(bytes)).unwrap().readme.unwrap();
        assert_eq!(readme.len(), MAX_README_BYTES - 1);
        assert!(long.starts_with(&readme));
    }

    #[test]
    fn unsafe_or_incomplete_packages_are_refused() {
        let nuspec = crate::nuspec::tests::DEMO.as_bytes();
        for (entries, reason) in [
            (
                vec![("../evil.dll", &b"x"[..]), ("a.nuspec", nuspec)],
                "unsafe",
            ),
            (vec![("lib/a.dll", &b"x"[..])], "no .nuspec"),
            (
                vec![("a.nuspec", nuspec), ("b.nuspec", nuspec)],
                "more than one",
            ),
            (vec![("a.nuspec", nuspec)], "README"),
        ] {
            let err = read(Cursor::new(nupkg(&entries))).unwrap_err();
            assert!(err.contains(reason), "{reason}: {err}");
        }
        assert!(read(Cursor::new(b"not a zip".to_vec())).is_err());
    }
}
