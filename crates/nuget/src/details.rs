//! The Details panel of a NuGet version: its nuspec, as push parsed and
//! stored it. A dependency's kind is the target framework of its group,
//! since that is how a nuspec sorts them.

use entrepot_core::Version;
use entrepot_http::format::{Dependency, Details, person_name};

use crate::metadata::VersionMetadata;
use crate::nuspec::Nuspec;

/// What `version`'s nuspec says of it; nothing if its metadata does not
/// read (the feeds leave such a version out too).
pub fn of(version: &Version) -> Details {
    VersionMetadata::of(version)
        .map(|m| from_nuspec(&m.nuspec))
        .unwrap_or_default()
}

fn from_nuspec(n: &Nuspec) -> Details {
    Details {
        license: text(n.license_expression.as_deref()).or_else(|| text(n.license_url.as_deref())),
        homepage: text(n.project_url.as_deref()),
        source: text(n.repository_url.as_deref()),
        source_directory: None,
        keywords: n.tags.clone(),
        authors: authors(&n.authors),
        dependencies: dependencies(n),
    }
}

/// Non-blank text, trimmed.
fn text(value: Option<&str>) -> Option<String> {
    let value = value?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// `<authors>`, a comma separated list, without any address, each once.
fn authors(authors: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in authors.split(',').filter_map(person_name) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Every group's dependencies, the group's target framework as their
/// kind (`runtime` for the group of any framework), with the version
/// range as push normalised it (`[1.2.0, )`; empty for any version).
fn dependencies(n: &Nuspec) -> Vec<Dependency> {
    n.dependency_groups
        .iter()
        .flat_map(|group| {
            let kind = match group.target_framework.trim() {
                "" => "runtime",
                framework => framework,
            };
            group.dependencies.iter().map(move |d| Dependency {
                name: d.id.clone(),
                requirement: if d.range == "(, )" {
                    String::new()
                } else {
                    d.range.clone()
                },
                kind: kind.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize as _;

    fn dep(name: &str, requirement: &str, kind: &str) -> Dependency {
        Dependency {
            name: name.into(),
            requirement: requirement.into(),
            kind: kind.into(),
        }
    }

    /// The nuspec as `push::publish` stores it in the version's metadata,
    /// read back as `VersionMetadata::of` reads it.
    fn pushed(nuspec: &str) -> Nuspec {
        let stored = VersionMetadata {
            nuspec: Nuspec::parse(nuspec.as_bytes()).unwrap(),
            listed: true,
            size: 4096,
            sha512: "ab".repeat(64),
            icon_file: None,
            readme_file: Some("README.md".into()),
        }
        .to_json();
        VersionMetadata::deserialize(&stored).unwrap().nuspec
    }

    /// What `dotnet pack` writes for a library with two targets.
    const PACKED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>Hello.Greetings</id>
    <version>1.2.0</version>
    <authors>Alice Liddell, Bob &lt;bob@example.com&gt;, Alice Liddell</authors>
    <license type="expression">MIT</license>
    <licenseUrl>https://licenses.nuget.org/MIT</licenseUrl>
    <readme>README.md</readme>
    <projectUrl>https://hello.example</projectUrl>
    <description>Says hello</description>
    <tags>greeting hello</tags>
    <repository type="git" url="https://github.com/alice/hello" commit="0123abc" />
    <dependencies>
      <group targetFramework="net8.0">
        <dependency id="Microsoft.Extensions.Logging" version="8.0.0" exclude="Build,Analyzers" />
      </group>
      <group targetFramework=".NETStandard2.0">
        <dependency id="System.Text.Json" version="[6.0.0, 9.0.0)" exclude="Build,Analyzers" />
      </group>
    </dependencies>
  </metadata>
</package>"#;

    #[test]
    fn a_pushed_nuspec_gives_every_detail() {
        let details = from_nuspec(&pushed(PACKED));
        assert_eq!(details.license.as_deref(), Some("MIT"));
        assert_eq!(details.homepage.as_deref(), Some("https://hello.example"));
        assert_eq!(
            details.source.as_deref(),
            Some("https://github.com/alice/hello")
        );
        assert_eq!(details.source_directory, None);
        assert_eq!(details.keywords, ["greeting", "hello"]);
        assert_eq!(details.authors, ["Alice Liddell", "Bob"]);
        assert_eq!(
            details.dependencies,
            [
                dep("Microsoft.Extensions.Logging", "[8.0.0, )", "net8.0"),
                dep("System.Text.Json", "[6.0.0, 9.0.0)", ".NETStandard2.0"),
            ]
        );
    }

    #[test]
    fn an_old_nuspec_gives_its_license_url_and_flat_dependencies() {
        let old = r#"<?xml version="1.0"?>
<package><metadata>
  <id>Old.Lib</id><version>0.9</version><authors>carol@example.com</authors>
  <description>d</description>
  <licenseUrl>https://example.com/LICENSE.txt</licenseUrl>
  <dependencies><dependency id="Newtonsoft.Json" version="12.0.1" /><dependency id="Any.Lib" /></dependencies>
</metadata></package>"#;
        let details = from_nuspec(&pushed(old));
        assert_eq!(
            details.license.as_deref(),
            Some("https://example.com/LICENSE.txt")
        );
        assert_eq!((details.homepage, details.source), (None, None));
        assert!(details.keywords.is_empty() && details.authors.is_empty());
        assert_eq!(
            details.dependencies,
            [
                dep("Newtonsoft.Json", "[12.0.1, )", "runtime"),
                dep("Any.Lib", "", "runtime"),
            ]
        );
    }
}
