//! A POM's `<dependencies>`: each with its version (from the POM's own
//! `<dependencyManagement>` when it gives none) and `${…}` properties
//! resolved from `<properties>` and the project's coordinates. A parent
//! POM's properties and managed versions are not read: such a version
//! stays as written (`${…}`), which no range reads.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The most dependencies kept for one POM.
const MAX_DEPENDENCIES: usize = 1000;

/// One `<dependency>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PomDependency {
    pub group: String,
    pub artifact: String,
    /// A version or a range (`[1.0,2.0)`), as resolved.
    pub version: Option<String>,
    /// `compile` (the default), `provided`, `runtime`, `test`, `system`.
    pub scope: Option<String>,
    #[serde(default)]
    pub optional: bool,
}

const DEPENDENCY: &str = "project/dependencies/dependency";
const MANAGED: &str = "project/dependencyManagement/dependencies/dependency";

/// The dependencies of a POM read as `xml::texts` reads it (each
/// `<dependency>` opens with an empty-text entry at its path).
pub fn dependencies(texts: &[(String, String)]) -> Vec<PomDependency> {
    let properties = properties(texts);
    let resolve = |text: &str| resolved(text, &properties);
    let managed: HashMap<(String, String), String> = collect(texts, MANAGED)
        .into_iter()
        .filter_map(|d| {
            let version = d.version.as_deref().map(resolve)?;
            Some(((resolve(&d.group), resolve(&d.artifact)), version))
        })
        .collect();
    collect(texts, DEPENDENCY)
        .into_iter()
        .take(MAX_DEPENDENCIES)
        .map(|d| {
            let group = resolve(&d.group);
            let artifact = resolve(&d.artifact);
            let version = d
                .version
                .as_deref()
                .map(resolve)
                .or_else(|| managed.get(&(group.clone(), artifact.clone())).cloned());
            PomDependency {
                group,
                artifact,
                version,
                scope: d.scope.as_deref().map(resolve),
                optional: d.optional,
            }
        })
        .collect()
}

/// The entries under `prefix`, one per element.
fn collect(texts: &[(String, String)], prefix: &str) -> Vec<PomDependency> {
    let mut found: Vec<PomDependency> = Vec::new();
    let mut current: Option<PomDependency> = None;
    let field_prefix = format!("{prefix}/");
    for (path, text) in texts {
        if path == prefix && text.is_empty() {
            found.extend(current.take().filter(|d| !d.artifact.is_empty()));
            current = Some(PomDependency {
                group: String::new(),
                artifact: String::new(),
                version: None,
                scope: None,
                optional: false,
            });
            continue;
        }
        let (Some(d), Some(field)) = (current.as_mut(), path.strip_prefix(&field_prefix)) else {
            continue;
        };
        match field {
            "groupId" => d.group.clone_from(text),
            "artifactId" => d.artifact.clone_from(text),
            "version" => d.version = Some(text.clone()),
            "scope" => d.scope = Some(text.clone()),
            "optional" => d.optional = text.trim() == "true",
            _ => {}
        }
    }
    found.extend(current.filter(|d| !d.artifact.is_empty()));
    found
}

/// `<properties>`, and the project's own coordinates as Maven names them.
fn properties(texts: &[(String, String)]) -> HashMap<String, String> {
    let mut properties: HashMap<String, String> = texts
        .iter()
        .filter_map(|(path, text)| {
            let name = path.strip_prefix("project/properties/")?;
            (!name.contains('/') && !text.is_empty()).then(|| (name.to_owned(), text.clone()))
        })
        .collect();
    let own = |path: &str| {
        texts
            .iter()
            .find(|(p, t)| p == path && !t.is_empty())
            .map(|(_, t)| t.clone())
    };
    for (name, path, fallback) in [
        (
            "project.version",
            "project/version",
            "project/parent/version",
        ),
        (
            "project.groupId",
            "project/groupId",
            "project/parent/groupId",
        ),
        (
            "project.parent.version",
            "project/parent/version",
            "project/parent/version",
        ),
    ] {
        if let Some(value) = own(path).or_else(|| own(fallback)) {
            properties.insert(name.to_owned(), value);
        }
    }
    properties
}

/// `text` with each `${name}` it holds replaced by its property, a few
/// levels deep; an unknown one stays.
fn resolved(text: &str, properties: &HashMap<String, String>) -> String {
    let mut out = text.to_owned();
    for _ in 0..5 {
        let Some(start) = out.find("${") else {
            break;
        };
        let Some(len) = out[start..].find('}') else {
            break;
        };
        let name = &out[start + 2..start + len];
        let Some(value) = properties.get(name) else {
            break;
        };
        out = format!("{}{value}{}", &out[..start], &out[start + len + 1..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::texts;

    #[test]
    fn dependencies_take_managed_versions_and_resolve_properties() {
        let pom = br"<project>
          <groupId>com.example</groupId><artifactId>app</artifactId><version>2.1</version>
          <properties><lib.version>[1.0,2.0)</lib.version></properties>
          <dependencyManagement><dependencies>
            <dependency><groupId>org.junit</groupId><artifactId>junit</artifactId><version>5.10.0</version></dependency>
          </dependencies></dependencyManagement>
          <dependencies>
            <dependency><groupId>com.example</groupId><artifactId>lib</artifactId><version>${lib.version}</version></dependency>
            <dependency><groupId>${project.groupId}</groupId><artifactId>core</artifactId><version>${project.version}</version><optional>true</optional></dependency>
            <dependency><groupId>org.junit</groupId><artifactId>junit</artifactId><scope>test</scope></dependency>
            <dependency><groupId>org.other</groupId><artifactId>x</artifactId><version>${parent.only}</version></dependency>
          </dependencies>
        </project>";
        let found = dependencies(&texts(pom).unwrap());
        let summary: Vec<(String, Option<String>, Option<String>, bool)> = found
            .iter()
            .map(|d| {
                (
                    format!("{}:{}", d.group, d.artifact),
                    d.version.clone(),
                    d.scope.clone(),
                    d.optional,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "com.example:lib".into(),
                    Some("[1.0,2.0)".into()),
                    None,
                    false
                ),
                ("com.example:core".into(), Some("2.1".into()), None, true),
                (
                    "org.junit:junit".into(),
                    Some("5.10.0".into()),
                    Some("test".into()),
                    false
                ),
                (
                    "org.other:x".into(),
                    Some("${parent.only}".into()),
                    None,
                    false
                ),
            ]
        );
    }

    #[test]
    fn a_pom_without_dependencies_has_none() {
        let pom = b"<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version></project>";
        assert!(dependencies(&texts(pom).unwrap()).is_empty());
    }
}
