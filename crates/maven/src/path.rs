//! Reading a path of the Maven repository layout:
//! `GROUP/PATH/ARTIFACT/VERSION/ARTIFACT-VERSION[-CLASSIFIER].EXT`, the
//! `maven-metadata.xml` files beside them, and checksum siblings. Every
//! segment is checked before anything is looked up or stored.

/// The checksum files Maven and Gradle fetch and upload beside each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Checksum {
    pub const ALL: [Checksum; 4] = [
        Checksum::Md5,
        Checksum::Sha1,
        Checksum::Sha256,
        Checksum::Sha512,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            Checksum::Md5 => "md5",
            Checksum::Sha1 => "sha1",
            Checksum::Sha256 => "sha256",
            Checksum::Sha512 => "sha512",
        }
    }

    /// Length of the hex digest.
    pub fn hex_len(self) -> usize {
        match self {
            Checksum::Md5 => 32,
            Checksum::Sha1 => 40,
            Checksum::Sha256 => 64,
            Checksum::Sha512 => 128,
        }
    }

    fn from_extension(ext: &str) -> Option<Checksum> {
        Checksum::ALL.into_iter().find(|c| c.extension() == ext)
    }
}

/// The coordinates every Maven path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coordinates {
    /// Dotted, e.g. `com.example`.
    pub group: String,
    pub artifact: String,
}

impl Coordinates {
    /// GitHub's package name: `groupId.artifactId`.
    pub fn package_name(&self) -> String {
        format!("{}.{}", self.group, self.artifact)
    }
}

/// What a path under `BASE/maven/OWNER/REPO/` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MavenPath {
    /// `…/ARTIFACT/maven-metadata.xml[.checksum]`
    ArtifactMetadata {
        coordinates: Coordinates,
        checksum: Option<Checksum>,
    },
    /// `…/ARTIFACT/X-SNAPSHOT/maven-metadata.xml[.checksum]`
    SnapshotMetadata {
        coordinates: Coordinates,
        version: String,
        checksum: Option<Checksum>,
    },
    /// `…/ARTIFACT/VERSION/FILE[.checksum]`
    File {
        coordinates: Coordinates,
        version: String,
        file: String,
        checksum: Option<Checksum>,
    },
}

impl MavenPath {
    /// The artifact the path belongs to.
    pub fn coordinates(&self) -> &Coordinates {
        match self {
            MavenPath::ArtifactMetadata { coordinates, .. }
            | MavenPath::SnapshotMetadata { coordinates, .. }
            | MavenPath::File { coordinates, .. } => coordinates,
        }
    }
}

/// Why a path is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Not a path of the layout (or an unsafe one): 400.
    Invalid(String),
}

/// A segment that can be stored and served as it is: no traversal, no
/// hidden names, no control or separator characters.
fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+' | b'~'))
}

fn valid_group_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Whether `artifact` is one Maven Central takes: letters of either case
/// (`xercesImpl`; GitHub refuses those), digits, hyphens, dots and
/// underscores.
fn valid_artifact(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !s.starts_with(['.', '-'])
}

pub const METADATA: &str = "maven-metadata.xml";

/// Splits a trailing checksum extension off `name`.
fn split_checksum(name: &str) -> (&str, Option<Checksum>) {
    if let Some((base, ext)) = name.rsplit_once('.')
        && let Some(c) = Checksum::from_extension(ext)
    {
        return (base, Some(c));
    }
    (name, None)
}

fn coordinates(group: &[&str], artifact: &str) -> Result<Coordinates, PathError> {
    if group.is_empty() || !group.iter().all(|g| valid_group_part(g)) {
        return Err(PathError::Invalid(format!(
            "`{}` is not a groupId",
            group.join(".")
        )));
    }
    if !valid_segment(artifact) {
        return Err(PathError::Invalid(format!(
            "`{artifact}` is not an artifactId"
        )));
    }
    if !valid_artifact(artifact) {
        return Err(PathError::Invalid(format!(
            "`{artifact}` is not an artifactId"
        )));
    }
    Ok(Coordinates {
        group: group.join("."),
        artifact: artifact.to_owned(),
    })
}

/// Reads a path relative to the repository (no leading slash).
pub fn parse(path: &str) -> Result<MavenPath, PathError> {
    let segments: Vec<&str> = path.split('/').collect();
    if segments.iter().any(|s| !valid_segment(s)) {
        return Err(PathError::Invalid(format!(
            "`{path}` is not a path of the Maven repository layout"
        )));
    }
    let (last, rest) = segments
        .split_last()
        .ok_or_else(|| PathError::Invalid("empty path".into()))?;
    let (name, checksum) = split_checksum(last);
    if name == METADATA {
        // `…/A/X-SNAPSHOT/maven-metadata.xml` is a version's; any other
        // `…/A/maven-metadata.xml` an artifact's.
        if let Some((version, before)) = rest.split_last()
            && version.ends_with("-SNAPSHOT")
            && let Some((artifact, group)) = before.split_last()
        {
            return Ok(MavenPath::SnapshotMetadata {
                coordinates: coordinates(group, artifact)?,
                version: (*version).to_owned(),
                checksum,
            });
        }
        let (artifact, group) = rest.split_last().ok_or_else(|| {
            PathError::Invalid("maven-metadata.xml needs a groupId and an artifactId".into())
        })?;
        return Ok(MavenPath::ArtifactMetadata {
            coordinates: coordinates(group, artifact)?,
            checksum,
        });
    }
    let [group @ .., artifact, version] = rest else {
        return Err(PathError::Invalid(format!(
            "`{path}` is not GROUP/ARTIFACT/VERSION/FILE"
        )));
    };
    let coordinates = coordinates(group, artifact)?;
    let base = version.strip_suffix("-SNAPSHOT").unwrap_or(version);
    if !name.starts_with(&format!("{artifact}-{base}")) {
        return Err(PathError::Invalid(format!(
            "`{name}` does not belong to {artifact} {version}"
        )));
    }
    Ok(MavenPath::File {
        coordinates,
        version: (*version).to_owned(),
        file: name.to_owned(),
        checksum,
    })
}

/// The content type a file is served and recorded with, by its extension.
pub fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "pom" | "xml" => "application/xml",
        "jar" | "war" | "ear" | "aar" => "application/java-archive",
        "md5" | "sha1" | "sha256" | "sha512" => "text/plain",
        "asc" => "application/pgp-signature",
        "module" | "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// The parts of a file name after `ARTIFACT-VERSION`: classifier and
/// extension, for release files (`tiny-1.0-sources.jar` → `sources`, `jar`).
pub fn classifier_and_extension<'a>(
    file: &'a str,
    artifact: &str,
    version: &str,
) -> Option<(Option<&'a str>, &'a str)> {
    let rest = file
        .strip_prefix(artifact)?
        .strip_prefix('-')?
        .strip_prefix(version)?;
    split_tail(rest)
}

/// `-CLASSIFIER.EXT` or `.EXT` (extensions may have dots: `tar.gz`,
/// `jar.asc`).
pub fn split_tail(rest: &str) -> Option<(Option<&str>, &str)> {
    if let Some(ext) = rest.strip_prefix('.') {
        return (!ext.is_empty()).then_some((None, ext));
    }
    let rest = rest.strip_prefix('-')?;
    let (classifier, ext) = rest.split_once('.')?;
    (!classifier.is_empty() && !ext.is_empty()).then_some((Some(classifier), ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coords() -> Coordinates {
        Coordinates {
            group: "com.example".into(),
            artifact: "tiny".into(),
        }
    }

    #[test]
    fn every_kind_of_path_is_read() {
        assert_eq!(
            parse("com/example/tiny/1.0.0/tiny-1.0.0.jar").unwrap(),
            MavenPath::File {
                coordinates: coords(),
                version: "1.0.0".into(),
                file: "tiny-1.0.0.jar".into(),
                checksum: None
            }
        );
        assert_eq!(
            parse("com/example/tiny/1.0.0/tiny-1.0.0.pom.sha1").unwrap(),
            MavenPath::File {
                coordinates: coords(),
                version: "1.0.0".into(),
                file: "tiny-1.0.0.pom".into(),
                checksum: Some(Checksum::Sha1)
            }
        );
        assert_eq!(
            parse("com/example/tiny/maven-metadata.xml.md5").unwrap(),
            MavenPath::ArtifactMetadata {
                coordinates: coords(),
                checksum: Some(Checksum::Md5)
            }
        );
        assert_eq!(
            parse("com/example/tiny/1.1.0-SNAPSHOT/maven-metadata.xml").unwrap(),
            MavenPath::SnapshotMetadata {
                coordinates: coords(),
                version: "1.1.0-SNAPSHOT".into(),
                checksum: None
            }
        );
        assert_eq!(
            parse("com/example/tiny/1.1.0-SNAPSHOT/tiny-1.1.0-20261121.225808-1.jar").unwrap(),
            MavenPath::File {
                coordinates: coords(),
                version: "1.1.0-SNAPSHOT".into(),
                file: "tiny-1.1.0-20261121.225808-1.jar".into(),
                checksum: None
            }
        );
    }

    #[test]
    fn unsafe_and_foreign_paths_are_refused() {
        for bad in [
            "com/example/tiny/1.0.0/../../../etc/passwd",
            "com/example/tiny/1.0.0/.hidden",
            "com//tiny/1.0.0/tiny-1.0.0.jar",
            "com/example/tiny/1.0.0/other-1.0.0.jar",
            "com/example/tiny/1.0.0/tiny-1.0.0.jar%00",
            "com/example/tiny/1.0.0/tiny-1.0.0\\x.jar",
            "tiny-1.0.0.jar",
            "maven-metadata.xml",
        ] {
            assert!(
                matches!(parse(bad), Err(PathError::Invalid(_))),
                "{bad}: {:?}",
                parse(bad)
            );
        }
        assert!(
            matches!(
                parse("xerces/xercesImpl/2.12.2/xercesImpl-2.12.2.jar"),
                Ok(MavenPath::File { ref coordinates, .. }) if coordinates.artifact == "xercesImpl"
            ),
            "uppercase artifactIds, as on Maven Central"
        );
    }

    #[test]
    fn classifiers_and_extensions_are_split() {
        assert_eq!(
            classifier_and_extension("tiny-1.0-sources.jar", "tiny", "1.0"),
            Some((Some("sources"), "jar"))
        );
        assert_eq!(
            classifier_and_extension("tiny-1.0.jar.asc", "tiny", "1.0"),
            Some((None, "jar.asc"))
        );
        assert_eq!(
            classifier_and_extension("tiny-1.0.jar", "tiny", "1.0.1"),
            None
        );
    }
}
