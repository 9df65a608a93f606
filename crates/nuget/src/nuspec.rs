//! Reading a `.nuspec`: a small XML tree with no DTD, only the predefined
//! entities, and limits on size, depth and element count, then the fields
//! the feeds and the package page use.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde::{Deserialize, Serialize};

use crate::version::{NuGetVersion, is_valid_id, normalize_range};

pub const MAX_NUSPEC_BYTES: usize = 1 << 20;
const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 20_000;

#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_owned())
            .filter(|t| !t.is_empty())
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn start(e: &BytesStart) -> Result<Element, String> {
    let mut attributes = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute in the nuspec: {e}"))?;
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad attribute value in the nuspec: {e}"))?;
        attributes.push((
            String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned(),
            value.into_owned(),
        ));
    }
    Ok(Element {
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        attributes,
        ..Element::default()
    })
}

fn tree(document: &[u8]) -> Result<Element, String> {
    if document.len() > MAX_NUSPEC_BYTES {
        return Err("the nuspec is too large".into());
    }
    let mut reader = Reader::from_reader(document);
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut buf = Vec::new();
    let mut count = 0;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("the nuspec is not well-formed XML: {e}"))?;
        match event {
            Event::Start(e) | Event::Empty(e) if stack.len() > MAX_DEPTH => {
                let _ = e;
                return Err("the nuspec nests too deeply".into());
            }
            Event::Start(e) => {
                count += 1;
                stack.push(start(&e)?);
            }
            Event::Empty(e) => {
                count += 1;
                let element = start(&e)?;
                stack.last_mut().expect("root").children.push(element);
            }
            Event::End(_) => {
                let done = stack.pop().expect("balanced");
                stack
                    .last_mut()
                    .ok_or("the nuspec is not well-formed XML")?
                    .children
                    .push(done);
            }
            Event::Text(t) => {
                let text = t
                    .decode()
                    .map_err(|e| format!("bad text in the nuspec: {e}"))?;
                stack.last_mut().expect("root").text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let c = match r
                    .resolve_char_ref()
                    .map_err(|e| format!("bad character reference: {e}"))?
                {
                    Some(c) => c,
                    None => match r.decode().map_err(|e| format!("bad entity: {e}"))?.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(format!("unknown entity &{other}; in the nuspec")),
                    },
                };
                stack.last_mut().expect("root").text.push(c);
            }
            Event::CData(t) => stack
                .last_mut()
                .expect("root")
                .text
                .push_str(&String::from_utf8_lossy(&t)),
            Event::DocType(_) => return Err("DOCTYPE declarations are not accepted".into()),
            Event::Eof => break,
            _ => {}
        }
        if count > MAX_ELEMENTS {
            return Err("the nuspec has too many elements".into());
        }
        buf.clear();
    }
    if stack.len() != 1 {
        return Err("the nuspec ends early".into());
    }
    let mut root = stack.pop().expect("root");
    if root.children.len() != 1 || root.children[0].name != "package" {
        return Err("the nuspec's root element is <package>".into());
    }
    Ok(root.children.remove(0))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub id: String,
    pub range: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyGroup {
    /// Empty for "any framework".
    #[serde(default)]
    pub target_framework: String,
    pub dependencies: Vec<Dependency>,
}

/// What the feeds and the page need from a nuspec.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nuspec {
    /// As written by the author (ids are compared case-insensitively).
    pub id: String,
    /// Normalised, with the author's case and any build metadata.
    pub version: String,
    #[serde(default)]
    pub authors: String,
    #[serde(default)]
    pub owners: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub release_notes: Option<String>,
    #[serde(default)]
    pub copyright: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub project_url: Option<String>,
    #[serde(default)]
    pub license_url: Option<String>,
    #[serde(default)]
    pub license_expression: Option<String>,
    #[serde(default)]
    pub icon_url: Option<String>,
    /// Path of the icon file inside the package.
    #[serde(default)]
    pub icon: Option<String>,
    /// Path of the README inside the package.
    #[serde(default)]
    pub readme: Option<String>,
    #[serde(default)]
    pub repository_url: Option<String>,
    #[serde(default)]
    pub require_license_acceptance: bool,
    #[serde(default)]
    pub min_client_version: Option<String>,
    #[serde(default)]
    pub dependency_groups: Vec<DependencyGroup>,
    #[serde(default)]
    pub package_types: Vec<String>,
}

/// A description or summary cut to the limit every format shares.
fn within_limit(mut text: String) -> String {
    entrepot_core::limits::truncate(&mut text, entrepot_core::limits::MAX_DESCRIPTION_BYTES);
    text
}

fn dependencies_of(group: &Element) -> Vec<Dependency> {
    group
        .children
        .iter()
        .filter(|d| d.name == "dependency")
        .filter_map(|d| {
            let id = d.attr("id")?.trim();
            is_valid_id(id).then(|| Dependency {
                id: id.to_owned(),
                range: normalize_range(d.attr("version").unwrap_or("")),
            })
        })
        .collect()
}

impl Nuspec {
    pub fn parse(document: &[u8]) -> Result<Nuspec, String> {
        let package = tree(document)?;
        let m = package
            .child("metadata")
            .ok_or("the nuspec has no <metadata>")?;
        let id = m.text_of("id").ok_or("the nuspec has no <id>")?;
        if !is_valid_id(&id) {
            return Err(format!("invalid package id: {id:?}"));
        }
        let raw_version = m.text_of("version").ok_or("the nuspec has no <version>")?;
        let version = NuGetVersion::parse(&raw_version)
            .ok_or_else(|| format!("invalid version: {raw_version:?}"))?;
        let mut groups = Vec::new();
        if let Some(deps) = m.child("dependencies") {
            let flat = dependencies_of(deps);
            if !flat.is_empty() {
                groups.push(DependencyGroup {
                    target_framework: String::new(),
                    dependencies: flat,
                });
            }
            for g in deps.children.iter().filter(|g| g.name == "group") {
                groups.push(DependencyGroup {
                    target_framework: g.attr("targetFramework").unwrap_or("").to_owned(),
                    dependencies: dependencies_of(g),
                });
            }
        }
        let license = m.child("license");
        let license_expression = license
            .filter(|l| l.attr("type") == Some("expression"))
            .map(|l| l.text.trim().to_owned());
        Ok(Nuspec {
            id,
            version: version.full(),
            authors: m.text_of("authors").unwrap_or_default(),
            owners: m.text_of("owners"),
            title: m.text_of("title"),
            description: within_limit(m.text_of("description").unwrap_or_default()),
            summary: m.text_of("summary").map(within_limit),
            release_notes: m.text_of("releaseNotes"),
            copyright: m.text_of("copyright"),
            language: m.text_of("language"),
            tags: m
                .text_of("tags")
                .map(|t| {
                    t.split([' ', ',', ';'])
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            project_url: m.text_of("projectUrl"),
            license_url: m.text_of("licenseUrl"),
            license_expression,
            icon_url: m.text_of("iconUrl"),
            icon: m.text_of("icon"),
            readme: m.text_of("readme"),
            repository_url: m
                .child("repository")
                .and_then(|r| r.attr("url"))
                .map(str::to_owned),
            require_license_acceptance: m
                .text_of("requireLicenseAcceptance")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            min_client_version: package
                .child("metadata")
                .and_then(|m| m.attr("minClientVersion"))
                .map(str::to_owned),
            dependency_groups: groups,
            package_types: m
                .child("packageTypes")
                .map(|p| {
                    p.children
                        .iter()
                        .filter_map(|t| t.attr("name").map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// What a search looks in: the id, title, description and tags.
    pub fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.id,
            self.title.clone().unwrap_or_default(),
            self.description,
            self.tags.join(" ")
        )
    }

    pub fn parsed_version(&self) -> NuGetVersion {
        NuGetVersion::parse(&self.version).expect("checked when parsed")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const DEMO: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="2.12">
    <id>Tiny.Demo</id>
    <version>1.0</version>
    <authors>Alice &amp; Bob</authors>
    <description>tiny test package</description>
    <tags>tiny demo</tags>
    <license type="expression">MIT</license>
    <readme>docs/README.md</readme>
    <icon>icon.png</icon>
    <repository type="git" url="https://github.com/alice/tiny" />
    <dependencies>
      <group targetFramework=".NETStandard2.0">
        <dependency id="Other.Lib" version="1.2" exclude="Build" />
      </group>
    </dependencies>
  </metadata>
</package>"#;

    #[test]
    fn a_nuspec_is_read() {
        let n = Nuspec::parse(DEMO.as_bytes()).unwrap();
        assert_eq!(n.id, "Tiny.Demo");
        assert_eq!(n.version, "1.0.0");
        assert_eq!(n.authors, "Alice & Bob");
        assert_eq!(n.tags, ["tiny", "demo"]);
        assert_eq!(n.license_expression.as_deref(), Some("MIT"));
        assert_eq!(n.readme.as_deref(), Some("docs/README.md"));
        assert_eq!(
            n.repository_url.as_deref(),
            Some("https://github.com/alice/tiny")
        );
        assert_eq!(n.min_client_version.as_deref(), Some("2.12"));
        assert_eq!(n.dependency_groups[0].target_framework, ".NETStandard2.0");
        assert_eq!(n.dependency_groups[0].dependencies[0].range, "[1.2.0, )");
    }

    #[test]
    fn a_long_description_is_cut_to_the_limit() {
        use entrepot_core::limits::MAX_DESCRIPTION_BYTES;
        let long = "d".repeat(MAX_DESCRIPTION_BYTES + 10);
        let doc = DEMO.replace(
            "<description>tiny test package</description>",
            &format!("<description>{long}</description><summary>{long}</summary>"),
        );
        let n = Nuspec::parse(doc.as_bytes()).unwrap();
        assert_eq!(n.description.len(), MAX_DESCRIPTION_BYTES);
        assert_eq!(n.summary.unwrap().len(), MAX_DESCRIPTION_BYTES);
    }

    #[test]
    fn entities_doctypes_and_bad_ids_are_refused() {
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><package><metadata><id>&e;</id></metadata></package>";
        assert!(Nuspec::parse(xxe.as_bytes()).is_err());
        let bad = DEMO.replace("<id>Tiny.Demo</id>", "<id>../evil</id>");
        assert!(
            Nuspec::parse(bad.as_bytes())
                .unwrap_err()
                .contains("invalid package id")
        );
        let deep = format!(
            "<package>{}{}</package>",
            "<a>".repeat(40),
            "</a>".repeat(40)
        );
        assert!(Nuspec::parse(deep.as_bytes()).is_err());
    }
}
