//! What a distribution's file says of itself: its name, which must be the
//! project's and version's (pip skips links that are not), and a wheel's
//! core metadata, served beside it (PEP 658).

use std::io::{Read, Seek, SeekFrom};

use crate::error::{PypiError, Result};
use crate::pep440::{Version, normalize_name};

/// Checks a distribution's file name against the project and version it
/// claims (wheels: `NAME-VERSION-…whl`; sdists: `NAME-VERSION.tar.gz`/`.zip`).
pub fn check_filename(
    filename: &str,
    project: &str,
    version: &Version,
    filetype: &str,
) -> Result<()> {
    if filename.contains(['/', '\\']) || filename.starts_with('.') || filename.len() > 255 {
        return Err(PypiError::bad_request(format!(
            "invalid file name {filename:?}"
        )));
    }
    let lower = filename.to_ascii_lowercase();
    let stem = match filetype {
        "bdist_wheel" => lower.strip_suffix(".whl").map(|s| {
            let parts: Vec<&str> = s.split('-').collect();
            (parts.len() >= 5).then(|| format!("{}-{}", parts[0], parts[1]))
        }),
        "sdist" => lower
            .strip_suffix(".tar.gz")
            .or_else(|| lower.strip_suffix(".zip"))
            .map(|s| Some(s.to_owned())),
        other => {
            return Err(PypiError::bad_request(format!(
                "unsupported filetype {other:?}"
            )));
        }
    }
    .flatten()
    .ok_or_else(|| {
        PypiError::bad_request(format!("{filename} is not a valid {filetype} file name"))
    })?;
    let matches = stem.rsplit_once('-').is_some_and(|(name, v)| {
        normalize_name(name) == normalize_name(project)
            && Version::parse(v).is_some_and(|v| v == *version)
    });
    if !matches {
        return Err(PypiError::bad_request(format!(
            "{filename} does not belong to {project} {}",
            version.normalized()
        )));
    }
    Ok(())
}

/// A wheel's `*.dist-info/METADATA`, for PEP 658.
pub fn wheel_metadata(file: &mut std::fs::File) -> std::result::Result<Option<Vec<u8>>, String> {
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(&mut *file)
        .map_err(|e| format!("the wheel is not a valid zip: {e}"))?;
    let index = (0..zip.len()).find(|&i| {
        zip.name_for_index(i).is_some_and(|n| {
            n.as_ref().is_ok_and(|n| {
                let parts: Vec<&str> = n.split('/').collect();
                parts.len() == 2 && parts[0].ends_with(".dist-info") && parts[1] == "METADATA"
            })
        })
    });
    let Some(index) = index else {
        return Err("the wheel has no .dist-info/METADATA".into());
    };
    let entry = zip.by_index(index).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    entry
        .take((1 << 20) + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > 1 << 20 {
        return Err("the wheel's METADATA is too large".into());
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::check_filename;
    use crate::pep440::Version;

    fn check(filename: &str, filetype: &str) -> bool {
        let version = Version::parse("1.0").unwrap();
        check_filename(filename, "Hello_World", &version, filetype).is_ok()
    }

    #[test]
    fn a_distribution_is_named_for_its_project_and_version() {
        assert!(check("hello_world-1.0-py3-none-any.whl", "bdist_wheel"));
        assert!(check("hello-world-1.0.tar.gz", "sdist"));
        assert!(check("Hello.World-1.0.zip", "sdist"));
        assert!(!check("hello_world-1.1-py3-none-any.whl", "bdist_wheel"));
        assert!(!check("other-1.0.tar.gz", "sdist"));
        assert!(
            !check("hello_world-1.0.whl", "bdist_wheel"),
            "too few parts"
        );
        assert!(!check("hello-world-1.0.tar.gz", "bdist_egg"));
    }

    #[test]
    fn a_file_name_is_one_plain_name() {
        for hostile in [
            "../hello-world-1.0.tar.gz",
            "dir/hello-world-1.0.tar.gz",
            "dir\\hello-world-1.0.tar.gz",
            ".hello-world-1.0.tar.gz",
        ] {
            assert!(!check(hostile, "sdist"), "{hostile}");
        }
        assert!(!check(&format!("{}-1.0.tar.gz", "a".repeat(250)), "sdist"));
    }
}
