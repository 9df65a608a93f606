//! A POM's `<dependencies>`: each with its version (from the
//! `<dependencyManagement>` of the POM or of its parents when it gives
//! none) and `${…}` properties resolved from `<properties>` (the POM's
//! over its parents') and the project's coordinates. Parents are read by
//! `parents` where they are in the registry; a version naming a property
//! no POM in the chain defines stays as written (`${…}`), which no range
//! reads. BOMs imported with `<scope>import</scope>` are not read.

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

/// What a POM passes on to its children: its `<properties>` and managed
/// dependencies over its own parents', as written. Maven interpolates the
/// child's effective model, so a parent's `${project.version}` is the
/// child's version; resolving only in `dependencies` does the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inherited {
    properties: HashMap<String, String>,
    /// Nearest POM first: the first entry for an artifact wins.
    managed: Vec<PomDependency>,
}

impl Inherited {
    /// What the POM read as `texts` passes on, given what its parent did.
    pub fn of(texts: &[(String, String)], parent: &Inherited) -> Inherited {
        let mut properties = parent.properties.clone();
        properties.extend(declared(texts));
        let mut managed = collect(texts, MANAGED);
        managed.extend(parent.managed.iter().cloned());
        managed.truncate(MAX_DEPENDENCIES);
        Inherited {
            properties,
            managed,
        }
    }
}

/// The `(groupId, artifactId, version)` of a POM's `<parent>`, if complete.
pub fn parent(texts: &[(String, String)]) -> Option<(String, String, String)> {
    let field = |name: &str| {
        let path = format!("project/parent/{name}");
        texts
            .iter()
            .find(|(p, t)| *p == path && !t.is_empty())
            .map(|(_, t)| t.clone())
    };
    Some((field("groupId")?, field("artifactId")?, field("version")?))
}

/// The dependencies of a POM read as `xml::texts` reads it (each
/// `<dependency>` opens with an empty-text entry at its path), with what
/// its parents pass on.
pub fn dependencies(texts: &[(String, String)], inherited: &Inherited) -> Vec<PomDependency> {
    let mut properties = inherited.properties.clone();
    properties.extend(declared(texts));
    properties.extend(coordinates(texts));
    let resolve = |text: &str| resolved(text, &properties);
    let mut managed: HashMap<(String, String), String> = HashMap::new();
    for d in collect(texts, MANAGED).iter().chain(&inherited.managed) {
        if let Some(version) = d.version.as_deref() {
            managed
                .entry((resolve(&d.group), resolve(&d.artifact)))
                .or_insert_with(|| resolve(version));
        }
    }
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

/// The POM's own `<properties>`.
fn declared(texts: &[(String, String)]) -> impl Iterator<Item = (String, String)> + '_ {
    texts.iter().filter_map(|(path, text)| {
        let name = path.strip_prefix("project/properties/")?;
        (!name.contains('/') && !text.is_empty()).then(|| (name.to_owned(), text.clone()))
    })
}

/// The project's own coordinates, as Maven names them.
fn coordinates(texts: &[(String, String)]) -> Vec<(String, String)> {
    let own = |path: &str| {
        texts
            .iter()
            .find(|(p, t)| p == path && !t.is_empty())
            .map(|(_, t)| t.clone())
    };
    let mut found = Vec::new();
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
            found.push((name.to_owned(), value));
        }
    }
    found
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
        let found = dependencies(&texts(pom).unwrap(), &Inherited::default());
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
        assert!(dependencies(&texts(pom).unwrap(), &Inherited::default()).is_empty());
    }

    #[test]
    fn parents_pass_on_properties_and_managed_versions_nearest_first() {
        let grandparent = br"<project><groupId>com.example</groupId><artifactId>root</artifactId><version>1</version>
          <properties><lib.version>1.0.0</lib.version><other.version>3.0</other.version></properties>
          <dependencyManagement><dependencies>
            <dependency><groupId>com.example</groupId><artifactId>lib</artifactId><version>${lib.version}</version></dependency>
            <dependency><groupId>org.other</groupId><artifactId>x</artifactId><version>${other.version}</version></dependency>
            <dependency><groupId>com.example</groupId><artifactId>core</artifactId><version>${project.version}</version></dependency>
          </dependencies></dependencyManagement></project>";
        let middle = br"<project><parent><groupId>com.example</groupId><artifactId>root</artifactId><version>1</version></parent>
          <artifactId>parent</artifactId>
          <properties><lib.version>[1.0,2.0)</lib.version></properties>
          <dependencyManagement><dependencies>
            <dependency><groupId>org.other</groupId><artifactId>x</artifactId><version>4.0</version></dependency>
          </dependencies></dependencyManagement></project>";
        let child = br"<project><parent><groupId>com.example</groupId><artifactId>parent</artifactId><version>1</version></parent>
          <artifactId>app</artifactId><version>2.5</version>
          <dependencies>
            <dependency><groupId>com.example</groupId><artifactId>lib</artifactId></dependency>
            <dependency><groupId>org.other</groupId><artifactId>x</artifactId></dependency>
            <dependency><groupId>com.example</groupId><artifactId>core</artifactId></dependency>
          </dependencies></project>";
        let child = texts(child).unwrap();
        assert_eq!(
            parent(&child),
            Some(("com.example".into(), "parent".into(), "1".into()))
        );
        let top = Inherited::of(&texts(grandparent).unwrap(), &Inherited::default());
        let inherited = Inherited::of(&texts(middle).unwrap(), &top);
        let versions: Vec<Option<String>> = dependencies(&child, &inherited)
            .into_iter()
            .map(|d| d.version)
            .collect();
        // The parent's property over the grandparent's; the parent's
        // managed version over the grandparent's; `${project.version}` as
        // the child's.
        assert_eq!(
            versions,
            vec![
                Some("[1.0,2.0)".into()),
                Some("4.0".into()),
                Some("2.5".into())
            ]
        );
        // Without its parents, the child's versions are unknown.
        assert!(
            dependencies(&child, &Inherited::default())
                .iter()
                .all(|d| d.version.is_none())
        );
    }
}
