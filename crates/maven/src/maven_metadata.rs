//! `maven-metadata.xml`, written by the server from what it stores, never
//! taken from a client: the artifact's list of versions, and a SNAPSHOT
//! version's list of timestamped builds. The same state always gives the
//! same bytes, so a document and its checksum files always agree.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::path::split_tail;

fn stamp(t: &DateTime<Utc>) -> String {
    t.format("%Y%m%d%H%M%S").to_string()
}

/// The artifact-level document: every live version, oldest first.
pub fn artifact(group: &str, artifact: &str, versions: &[(String, DateTime<Utc>)]) -> String {
    let latest = versions.last().map(|(v, _)| v.as_str());
    let release = versions
        .iter()
        .rev()
        .find(|(v, _)| !v.ends_with("-SNAPSHOT"))
        .map(|(v, _)| v.as_str());
    let updated = versions.iter().map(|(_, t)| *t).max();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata>\n");
    let _ = writeln!(xml, "  <groupId>{group}</groupId>");
    let _ = writeln!(xml, "  <artifactId>{artifact}</artifactId>");
    xml.push_str("  <versioning>\n");
    if let Some(l) = latest {
        let _ = writeln!(xml, "    <latest>{l}</latest>");
    }
    if let Some(r) = release {
        let _ = writeln!(xml, "    <release>{r}</release>");
    }
    xml.push_str("    <versions>\n");
    for (v, _) in versions {
        let _ = writeln!(xml, "      <version>{v}</version>");
    }
    xml.push_str("    </versions>\n");
    if let Some(u) = updated {
        let _ = writeln!(xml, "    <lastUpdated>{}</lastUpdated>", stamp(&u));
    }
    xml.push_str("  </versioning>\n</metadata>\n");
    xml
}

/// One timestamped SNAPSHOT build file: `A-1.1.0-20261121.225808-3-sources.jar`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build<'a> {
    /// `20261121.225808`
    pub timestamp: &'a str,
    pub number: u32,
    pub classifier: Option<&'a str>,
    pub extension: &'a str,
}

impl Build<'_> {
    /// `1.1.0-20261121.225808-3`
    pub fn value(&self, base: &str) -> String {
        format!("{base}-{}-{}", self.timestamp, self.number)
    }
}

/// Reads a SNAPSHOT build's file name; `None` for anything else.
pub fn build<'a>(file: &'a str, artifact: &str, base: &str) -> Option<Build<'a>> {
    let rest = file
        .strip_prefix(artifact)?
        .strip_prefix('-')?
        .strip_prefix(base)?
        .strip_prefix('-')?;
    let (timestamp, rest) = rest.split_at_checked(15)?;
    let (date, time) = timestamp.split_once('.')?;
    if date.len() != 8
        || time.len() != 6
        || !date.bytes().chain(time.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let rest = rest.strip_prefix('-')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let number: u32 = rest[..digits].parse().ok()?;
    let (classifier, extension) = split_tail(&rest[digits..])?;
    Some(Build {
        timestamp,
        number,
        classifier,
        extension,
    })
}

/// The SNAPSHOT-level document, from the names of the version's files.
/// `None` when no timestamped build is stored.
pub fn snapshot(group: &str, artifact: &str, version: &str, files: &[String]) -> Option<String> {
    let base = version.strip_suffix("-SNAPSHOT")?;
    let builds: Vec<Build> = files
        .iter()
        .filter_map(|f| build(f, artifact, base))
        .collect();
    let latest = builds.iter().max_by_key(|b| (b.number, b.timestamp))?;
    // The newest build of each classifier and extension.
    let mut newest: Vec<&Build> = Vec::new();
    for b in &builds {
        match newest
            .iter_mut()
            .find(|n| n.classifier == b.classifier && n.extension == b.extension)
        {
            Some(n) if (n.number, n.timestamp) < (b.number, b.timestamp) => *n = b,
            Some(_) => {}
            None => newest.push(b),
        }
    }
    newest.sort_by_key(|b| (b.extension, b.classifier));
    let updated = |b: &Build| b.timestamp.replace('.', "");
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata modelVersion=\"1.1.0\">\n",
    );
    let _ = writeln!(xml, "  <groupId>{group}</groupId>");
    let _ = writeln!(xml, "  <artifactId>{artifact}</artifactId>");
    let _ = writeln!(xml, "  <version>{version}</version>");
    xml.push_str("  <versioning>\n    <snapshot>\n");
    let _ = writeln!(xml, "      <timestamp>{}</timestamp>", latest.timestamp);
    let _ = writeln!(xml, "      <buildNumber>{}</buildNumber>", latest.number);
    xml.push_str("    </snapshot>\n");
    let _ = writeln!(xml, "    <lastUpdated>{}</lastUpdated>", updated(latest));
    xml.push_str("    <snapshotVersions>\n");
    for b in newest {
        xml.push_str("      <snapshotVersion>\n");
        if let Some(c) = b.classifier {
            let _ = writeln!(xml, "        <classifier>{c}</classifier>");
        }
        let _ = writeln!(xml, "        <extension>{}</extension>", b.extension);
        let _ = writeln!(xml, "        <value>{}</value>", b.value(base));
        let _ = writeln!(xml, "        <updated>{}</updated>", updated(b));
        xml.push_str("      </snapshotVersion>\n");
    }
    xml.push_str("    </snapshotVersions>\n  </versioning>\n</metadata>\n");
    Some(xml)
}

/// The build numbers of a SNAPSHOT version's files, newest first.
pub fn build_numbers(files: &[String], artifact: &str, base: &str) -> Vec<u32> {
    let mut numbers: Vec<u32> = files
        .iter()
        .filter_map(|f| build(f, artifact, base).map(|b| b.number))
        .collect();
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    numbers.dedup();
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn artifact_metadata_lists_versions_with_latest_and_release() {
        let t = |s| Utc.with_ymd_and_hms(2026, 11, 21, 22, 58, s).unwrap();
        let xml = artifact(
            "com.example",
            "tiny",
            &[("1.0.0".into(), t(1)), ("1.1.0-SNAPSHOT".into(), t(8))],
        );
        assert!(xml.contains("<latest>1.1.0-SNAPSHOT</latest>"));
        assert!(xml.contains("<release>1.0.0</release>"));
        assert!(xml.contains("<version>1.0.0</version>\n      <version>1.1.0-SNAPSHOT</version>"));
        assert!(xml.contains("<lastUpdated>20261121225808</lastUpdated>"));
        crate::xml::DeclaredMetadata::parse(xml.as_bytes()).unwrap();
    }

    #[test]
    fn snapshot_metadata_names_the_newest_build_of_each_file() {
        let files: Vec<String> = [
            "tiny-1.1.0-20261121.225808-1.pom",
            "tiny-1.1.0-20261121.225808-1.jar",
            "tiny-1.1.0-20261122.010203-2.jar",
            "tiny-1.1.0-20261122.010203-2-sources.jar",
            "tiny-1.1.0-20261122.010203-2.pom",
            "unrelated.txt",
        ]
        .map(String::from)
        .to_vec();
        let xml = snapshot("com.example", "tiny", "1.1.0-SNAPSHOT", &files).unwrap();
        assert!(xml.contains("<timestamp>20261122.010203</timestamp>"));
        assert!(xml.contains("<buildNumber>2</buildNumber>"));
        assert!(xml.contains(
            "<classifier>sources</classifier>\n        <extension>jar</extension>\n        <value>1.1.0-20261122.010203-2</value>"
        ));
        assert!(!xml.contains("20261121.225808-1"));
        assert_eq!(build_numbers(&files, "tiny", "1.1.0"), [2, 1]);
        assert!(snapshot("com.example", "tiny", "1.0.0", &files).is_none());
    }
}
