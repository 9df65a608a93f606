//! Reading the two XML documents clients send: POMs and
//! `maven-metadata.xml`. Only element text at known paths is read; no
//! entities are expanded, no DTD is fetched, and documents are small.

use std::fmt::Write as _;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::metadata::PomFacts;
use crate::pom_deps::{self, Inherited};

/// The largest POM or metadata document accepted.
pub const MAX_XML_BYTES: usize = 1 << 20;

/// Every `(path, text)` pair of a document, the path written
/// `project/licenses/license/name`.
pub fn texts(document: &[u8]) -> Result<Vec<(String, String)>, String> {
    if document.len() > MAX_XML_BYTES {
        return Err("the XML document is too large".into());
    }
    let mut reader = Reader::from_reader(document);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut buf = Vec::new();
    // Text arrives in pieces (entity references are events of their own).
    let mut text = String::new();
    let flush = |path: &[String], text: &mut String, out: &mut Vec<(String, String)>| {
        let t = text.trim();
        if !t.is_empty() {
            out.push((path.join("/"), t.to_owned()));
        }
        text.clear();
    };
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                flush(&path, &mut text, &mut out);
                if path.len() > 32 {
                    return Err("the XML document nests too deeply".into());
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                // Where one `<dependency>` begins, so that its fields are
                // told from the next one's (`pom_deps`).
                let opens_dependency = name == "dependency";
                path.push(name);
                if opens_dependency {
                    out.push((path.join("/"), String::new()));
                }
            }
            Ok(Event::End(_)) => {
                flush(&path, &mut text, &mut out);
                path.pop();
            }
            Ok(Event::Text(t)) => {
                text.push_str(
                    &t.decode()
                        .map_err(|e| format!("bad text in the XML document: {e}"))?,
                );
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(c) = r
                    .resolve_char_ref()
                    .map_err(|e| format!("bad character reference: {e}"))?
                {
                    text.push(c);
                } else {
                    let name = r
                        .decode()
                        .map_err(|e| format!("bad entity reference: {e}"))?;
                    let c = match name.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(format!("unknown entity &{other};")),
                    };
                    text.push(c);
                }
            }
            Ok(Event::CData(t)) => text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::DocType(_)) => return Err("DOCTYPE declarations are not accepted".into()),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("the XML document is malformed: {e}")),
        }
        buf.clear();
    }
    if !path.is_empty() {
        return Err("the XML document ends early".into());
    }
    Ok(out)
}

fn first<'a>(texts: &'a [(String, String)], path: &str) -> Option<&'a str> {
    texts
        .iter()
        .find(|(p, t)| p == path && !t.is_empty())
        .map(|(_, t)| t.as_str())
}

fn all<'a>(texts: &'a [(String, String)], path: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    texts
        .iter()
        .filter(move |(p, t)| p == path && !t.is_empty())
        .map(|(_, t)| t.as_str())
}

/// What a POM says: its coordinates, checked against its path, and the
/// facts about its project that the version keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pom {
    pub group: Option<String>,
    pub artifact: Option<String>,
    pub version: Option<String>,
    pub facts: PomFacts,
    /// `<parent>`'s coordinates, whose POM `parents` reads.
    pub parent: Option<(String, String, String)>,
    /// The document as `texts` read it, for `inherit`.
    texts: Vec<(String, String)>,
}

impl Pom {
    pub fn parse(document: &[u8]) -> Result<Pom, String> {
        let t = texts(document)?;
        if !t.iter().any(|(p, _)| p.starts_with("project")) {
            return Err("a POM's root element is <project>".into());
        }
        let owned = |path: &str| first(&t, path).map(str::to_owned);
        let licenses: Vec<String> = all(&t, "project/licenses/license/name")
            .map(str::to_owned)
            .collect();
        Ok(Pom {
            group: owned("project/groupId").or_else(|| owned("project/parent/groupId")),
            artifact: owned("project/artifactId"),
            version: owned("project/version").or_else(|| owned("project/parent/version")),
            facts: PomFacts {
                name: owned("project/name"),
                description: owned("project/description").map(|mut d| {
                    // The limit every format shares.
                    entrepot_core::limits::truncate(
                        &mut d,
                        entrepot_core::limits::MAX_DESCRIPTION_BYTES,
                    );
                    d
                }),
                url: owned("project/url"),
                license: (!licenses.is_empty()).then(|| licenses.join(", ")),
                licenses,
                scm: owned("project/scm/url").or_else(|| {
                    owned("project/scm/connection")
                        .map(|c| c.trim_start_matches("scm:git:").to_owned())
                }),
                packaging: owned("project/packaging"),
                dependencies: pom_deps::dependencies(&t, &Inherited::default()),
            },
            parent: pom_deps::parent(&t),
            texts: t,
        })
    }

    /// Reads the dependencies again with what the POM's parents pass on.
    pub fn inherit(&mut self, inherited: &Inherited) {
        self.facts.dependencies = pom_deps::dependencies(&self.texts, inherited);
    }

    /// The package page's README, written from the POM.
    pub fn readme(&self, fallback_name: &str) -> String {
        let f = &self.facts;
        let mut md = format!("# {}\n", f.name.as_deref().unwrap_or(fallback_name));
        if let Some(d) = &f.description {
            let _ = write!(md, "\n{d}\n");
        }
        let mut facts = Vec::new();
        if let Some(u) = &f.url {
            facts.push(format!("- Project: <{u}>"));
        }
        if !f.licenses.is_empty() {
            facts.push(format!("- Licences: {}", f.licenses.join(", ")));
        }
        if let Some(s) = &f.scm {
            facts.push(format!("- Source: <{s}>"));
        }
        if !facts.is_empty() {
            md.push('\n');
            md.push_str(&facts.join("\n"));
            md.push('\n');
        }
        md
    }
}

/// The identifiers an uploaded `maven-metadata.xml` declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredMetadata {
    pub group: Option<String>,
    pub artifact: Option<String>,
    pub version: Option<String>,
}

impl DeclaredMetadata {
    pub fn parse(document: &[u8]) -> Result<DeclaredMetadata, String> {
        let t = texts(document)?;
        if !t.iter().any(|(p, _)| p.starts_with("metadata")) {
            return Err("maven-metadata.xml's root element is <metadata>".into());
        }
        Ok(DeclaredMetadata {
            group: first(&t, "metadata/groupId").map(str::to_owned),
            artifact: first(&t, "metadata/artifactId").map(str::to_owned),
            version: first(&t, "metadata/version").map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pom_gives_its_coordinates_and_page_facts() {
        let pom = br#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.example</groupId><artifactId>parent</artifactId><version>1</version></parent>
  <artifactId>tiny</artifactId>
  <version>1.0.0</version>
  <name>Tiny &amp; small</name>
  <description><![CDATA[A tiny library]]></description>
  <url>https://example.com/tiny</url>
  <licenses><license><name>MIT</name></license><license><name>Apache-2.0</name></license></licenses>
  <scm><connection>scm:git:https://github.com/alice/tiny.git</connection></scm>
</project>"#;
        let p = Pom::parse(pom).unwrap();
        assert_eq!(p.group.as_deref(), Some("com.example"));
        assert_eq!(p.artifact.as_deref(), Some("tiny"));
        assert_eq!(p.version.as_deref(), Some("1.0.0"));
        let f = &p.facts;
        assert_eq!(f.name.as_deref(), Some("Tiny & small"));
        assert_eq!(f.description.as_deref(), Some("A tiny library"));
        assert_eq!(f.licenses, ["MIT", "Apache-2.0"]);
        assert_eq!(f.license.as_deref(), Some("MIT, Apache-2.0"));
        assert_eq!(f.scm.as_deref(), Some("https://github.com/alice/tiny.git"));
        assert!(p.readme("x").contains("- Licences: MIT, Apache-2.0"));
    }

    #[test]
    fn a_long_description_is_cut_to_the_limit() {
        use entrepot_core::limits::MAX_DESCRIPTION_BYTES;
        let long = "d".repeat(MAX_DESCRIPTION_BYTES + 10);
        let pom = format!(
            "<project><artifactId>tiny</artifactId><description>{long}</description></project>"
        );
        let p = Pom::parse(pom.as_bytes()).unwrap();
        assert_eq!(p.facts.description.unwrap().len(), MAX_DESCRIPTION_BYTES);
    }

    #[test]
    fn hostile_or_broken_documents_are_refused() {
        let entity =
            br#"<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x "y">]><project>&x;</project>"#;
        assert!(Pom::parse(entity).is_err());
        assert!(Pom::parse(b"<project><artifactId>x</project>").is_err());
        assert!(Pom::parse(b"<metadata/>").is_err());
        assert!(DeclaredMetadata::parse(b"<project/>").is_err());
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert!(texts(deep.as_bytes()).is_err());
    }
}
