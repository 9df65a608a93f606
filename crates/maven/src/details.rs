//! The Details panel of a Maven version: the POM's facts the deploy kept
//! in its metadata (`xml::Pom::parse`). Those are the licences, the
//! project URL, the SCM URL and the dependencies (by scope; optional ones
//! apart); the POM's developers are not kept, and a version whose POM has
//! not been deployed yet has no details at all.

use entrepot_core::Version;
use entrepot_http::format::{Dependency, Details};

use crate::metadata::{PomFacts, VersionMetadata};

/// What `version`'s POM says of it, as far as its metadata keeps it.
pub fn of(version: &Version) -> Details {
    VersionMetadata::of(version)
        .and_then(|m| m.pom)
        .map(|facts| from_facts(&facts))
        .unwrap_or_default()
}

fn from_facts(facts: &PomFacts) -> Details {
    Details {
        license: license(facts),
        homepage: text(facts.url.as_deref()),
        source: text(facts.scm.as_deref()),
        dependencies: facts
            .dependencies
            .iter()
            .map(|d| Dependency {
                name: format!("{}:{}", d.group, d.artifact),
                requirement: d.version.clone().unwrap_or_default(),
                kind: if d.optional {
                    "optional".into()
                } else {
                    match d.scope.as_deref() {
                        None | Some("compile" | "runtime") => "runtime".into(),
                        Some(other) => other.to_owned(),
                    }
                },
            })
            .collect(),
        ..Details::default()
    }
}

/// Non-blank text, trimmed.
fn text(value: Option<&str>) -> Option<String> {
    let value = value?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The `<licenses>` names in one line, as the REST API gives them.
fn license(facts: &PomFacts) -> Option<String> {
    text(facts.license.as_deref()).or_else(|| {
        let names: Vec<&str> = facts
            .licenses
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect();
        (!names.is_empty()).then(|| names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Pom;
    use serde_json::json;

    /// The metadata `deploy::publish` stores for a deployed POM, read back
    /// as `VersionMetadata::of` reads it.
    fn deployed(pom: &str) -> VersionMetadata {
        let pom = Pom::parse(pom.as_bytes()).unwrap();
        let stored = VersionMetadata {
            group_id: "com.example".into(),
            artifact_id: "hello".into(),
            repository: "alice/hello".into(),
            pom: Some(pom.facts),
        }
        .to_json();
        serde_json::from_value(stored).unwrap()
    }

    const POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>hello</artifactId>
  <version>1.2.0</version>
  <name>Hello</name>
  <url>https://hello.example</url>
  <licenses>
    <license><name>Apache-2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0</url></license>
    <license><name>MIT</name></license>
  </licenses>
  <developers><developer><name>Alice Liddell</name><email>alice@example.com</email></developer></developers>
  <scm><url>https://github.com/alice/hello</url></scm>
  <dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.13</version></dependency>
  </dependencies>
</project>"#;

    #[test]
    fn a_deployed_pom_gives_what_its_metadata_keeps() {
        let m = deployed(POM);
        let details = from_facts(m.pom.as_ref().unwrap());
        assert_eq!(details.license.as_deref(), Some("Apache-2.0, MIT"));
        assert_eq!(details.homepage.as_deref(), Some("https://hello.example"));
        assert_eq!(
            details.source.as_deref(),
            Some("https://github.com/alice/hello")
        );
        assert_eq!(details.source_directory, None);
        // Not kept in the metadata: see the module's comment.
        assert!(details.keywords.is_empty());
        assert!(details.authors.is_empty());
        // The dependencies are, through the metadata's JSON.
        assert_eq!(
            details.dependencies,
            vec![Dependency {
                name: "org.slf4j:slf4j-api".into(),
                requirement: "2.0.13".into(),
                kind: "runtime".into(),
            }]
        );
    }

    #[test]
    fn a_bare_pom_or_none_gives_nothing() {
        let m = deployed("<project><artifactId>hello</artifactId></project>");
        assert_eq!(from_facts(m.pom.as_ref().unwrap()), Details::default());
        let jar_first: VersionMetadata = serde_json::from_value(json!({
            "group_id": "com.example", "artifact_id": "hello", "repository": "alice/hello"
        }))
        .unwrap();
        assert_eq!(jar_first.pom, None);
        let from_licenses = PomFacts {
            licenses: vec!["EPL-2.0".into(), " ".into()],
            ..PomFacts::default()
        };
        assert_eq!(license(&from_licenses).as_deref(), Some("EPL-2.0"));
    }

    #[test]
    fn the_poms_dependencies_are_listed_by_scope() {
        let pom = Pom::parse(
            br"<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>
            <dependencies>
              <dependency><groupId>org.lib</groupId><artifactId>lib</artifactId><version>[1.0,2.0)</version></dependency>
              <dependency><groupId>org.junit</groupId><artifactId>junit</artifactId><version>5</version><scope>test</scope></dependency>
              <dependency><groupId>org.opt</groupId><artifactId>opt</artifactId><version>1</version><optional>true</optional></dependency>
            </dependencies></project>",
        )
        .unwrap();
        let details = from_facts(&pom.facts);
        let listed: Vec<(&str, &str, &str)> = details
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.requirement.as_str(), d.kind.as_str()))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("org.lib:lib", "[1.0,2.0)", "runtime"),
                ("org.junit:junit", "5", "test"),
                ("org.opt:opt", "1", "optional"),
            ]
        );
    }
}
