//! The package page's snippets for Maven and Gradle (Kotlin and Groovy
//! DSLs): the dependency and the repository it lives in, with credentials
//! only where anonymous readers may not resolve it: the package (its
//! repository, when it was deployed) is not public.

use entrepot_core::{Package, Version, Visibility};
use entrepot_http::format::Snippet;
use entrepot_service::site::Site;

use crate::metadata::VersionMetadata;

/// The repository's id in `pom.xml`, which `settings.xml`'s `<server>`
/// names to give it credentials.
const ID: &str = "entrepot";

/// What every snippet is built from.
struct Setup {
    group: String,
    artifact: String,
    version: String,
    packaging: String,
    /// `BASE/maven/OWNER/REPOSITORY`.
    url: String,
    /// The package is not public: Maven and Gradle must send a token.
    token: bool,
}

impl Setup {
    fn snapshot(&self) -> bool {
        self.version.ends_with("-SNAPSHOT")
    }

    /// Gradle's `group:artifact:version`, with `@EXTENSION` for the
    /// packagings whose file is not a jar.
    fn gradle_notation(&self) -> String {
        let extension = match self.packaging.as_str() {
            p @ ("war" | "ear" | "aar" | "pom" | "zip") => format!("@{p}"),
            _ => String::new(),
        };
        format!(
            "{}:{}:{}{extension}",
            self.group, self.artifact, self.version
        )
    }
}

/// The snippets for `version`; none without one, as coordinates come from
/// a version's metadata.
pub fn snippets(site: &Site, package: &Package, version: Option<&Version>) -> Vec<Snippet> {
    let Some(version) = version else {
        return Vec::new();
    };
    let Some(metadata) = VersionMetadata::of(version) else {
        return Vec::new();
    };
    let setup = Setup {
        url: site.url(&format!("/maven/{}", metadata.repository.to_lowercase())),
        packaging: metadata.packaging().to_owned(),
        group: metadata.group_id,
        artifact: metadata.artifact_id,
        version: version.name.clone(),
        token: package.visibility != Visibility::Public,
    };
    let mut snippets = vec![dependency(&setup), repository(&setup)];
    if setup.token {
        snippets.push(settings());
    }
    snippets.push(gradle_kotlin(&setup));
    snippets.push(gradle_groovy(&setup));
    snippets
}

fn dependency(setup: &Setup) -> Snippet {
    let kind = match setup.packaging.as_str() {
        "jar" | "bundle" => String::new(),
        p => format!("\n  <type>{p}</type>"),
    };
    Snippet {
        title: "Add the dependency to pom.xml".into(),
        language: "xml".into(),
        body: format!(
            "<dependency>\n  <groupId>{}</groupId>\n  <artifactId>{}</artifactId>\n  <version>{}</version>{kind}\n</dependency>",
            setup.group, setup.artifact, setup.version
        ),
    }
}

fn repository(setup: &Setup) -> Snippet {
    let snapshots = if setup.snapshot() {
        "\n    <snapshots><enabled>true</enabled></snapshots>"
    } else {
        ""
    };
    Snippet {
        title: "Add the repository to pom.xml".into(),
        language: "xml".into(),
        body: format!(
            "<repositories>\n  <repository>\n    <id>{ID}</id>\n    <url>{}</url>{snapshots}\n  </repository>\n</repositories>",
            setup.url
        ),
    }
}

/// The credentials Maven sends to the repository of the same id.
fn settings() -> Snippet {
    Snippet {
        title: "Add the token to ~/.m2/settings.xml".into(),
        language: "xml".into(),
        body: format!(
            "<servers>\n  <server>\n    <id>{ID}</id>\n    <username>USERNAME</username>\n    <password>${{env.ENTREPOT_TOKEN}}</password>\n  </server>\n</servers>"
        ),
    }
}

fn gradle_kotlin(setup: &Setup) -> Snippet {
    let credentials = if setup.token {
        "\n        credentials {\n            username = \"USERNAME\"\n            password = System.getenv(\"ENTREPOT_TOKEN\")\n        }"
    } else {
        ""
    };
    Snippet {
        title: "Gradle (build.gradle.kts)".into(),
        language: "kotlin".into(),
        body: format!(
            "repositories {{\n    maven {{\n        url = uri(\"{}\"){credentials}\n    }}\n}}\ndependencies {{\n    implementation(\"{}\")\n}}",
            setup.url,
            setup.gradle_notation()
        ),
    }
}

fn gradle_groovy(setup: &Setup) -> Snippet {
    let credentials = if setup.token {
        "\n        credentials {\n            username = 'USERNAME'\n            password = System.getenv('ENTREPOT_TOKEN')\n        }"
    } else {
        ""
    };
    Snippet {
        title: "Gradle (build.gradle)".into(),
        language: "groovy".into(),
        body: format!(
            "repositories {{\n    maven {{\n        url = '{}'{credentials}\n    }}\n}}\ndependencies {{\n    implementation '{}'\n}}",
            setup.url,
            setup.gradle_notation()
        ),
    }
}

#[cfg(test)]
mod tests {
    use entrepot_core::{PackageType, testing};
    use serde_json::json;

    use super::*;

    fn package(visibility: Visibility) -> Package {
        let mut package = testing::package(PackageType::Maven, "com.example.tiny", visibility);
        package.repository_id = Some(1);
        package
    }

    fn version(name: &str, packaging: &str) -> Version {
        testing::version(
            name,
            json!({
                "group_id": "com.example", "artifact_id": "tiny", "repository": "alice/Lib",
                "name": null, "description": null, "url": null, "licenses": [],
                "license": null, "scm": null, "packaging": packaging
            }),
        )
    }

    fn body<'a>(snippets: &'a [Snippet], title: &str) -> &'a str {
        &Snippet::titled(snippets, title)
            .unwrap_or_else(|| panic!("no snippet {title:?} in {snippets:?}"))
            .body
    }

    #[test]
    fn a_public_package_resolves_without_credentials() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Public),
            Some(&version("1.0.0", "jar")),
        );
        for s in &snippets {
            assert!(!s.body.contains("TOKEN"), "{s:?}");
            assert!(!s.body.contains("credentials"), "{s:?}");
        }
        assert!(snippets.iter().all(|s| !s.title.contains("settings.xml")));
        assert_eq!(
            body(&snippets, "Gradle (build.gradle.kts)"),
            "repositories {\n    maven {\n        url = uri(\"http://localhost/maven/alice/lib\")\n    }\n}\ndependencies {\n    implementation(\"com.example:tiny:1.0.0\")\n}"
        );
    }

    #[test]
    fn private_and_internal_packages_resolve_with_the_token() {
        for visibility in [Visibility::Private, Visibility::Internal] {
            let snippets = snippets(
                &Site::default(),
                &package(visibility),
                Some(&version("1.0.0", "jar")),
            );
            assert!(
                body(&snippets, "Add the token to ~/.m2/settings.xml")
                    .contains("<id>entrepot</id>\n    <username>USERNAME</username>\n    <password>${env.ENTREPOT_TOKEN}</password>")
            );
            assert!(
                body(&snippets, "Gradle (build.gradle.kts)")
                    .contains("password = System.getenv(\"ENTREPOT_TOKEN\")")
            );
            assert!(
                body(&snippets, "Gradle (build.gradle)")
                    .contains("password = System.getenv('ENTREPOT_TOKEN')")
            );
        }
    }

    #[test]
    fn every_variant_pins_the_version_with_its_packaging() {
        let pinned = snippets(
            &Site::default(),
            &package(Visibility::Public),
            Some(&version("1.1.0-SNAPSHOT", "war")),
        );
        assert!(
            body(&pinned, "Add the dependency to pom.xml")
                .contains("<version>1.1.0-SNAPSHOT</version>\n  <type>war</type>")
        );
        assert!(
            body(&pinned, "Add the repository to pom.xml")
                .contains("<snapshots><enabled>true</enabled></snapshots>")
        );
        assert!(
            body(&pinned, "Gradle (build.gradle.kts)")
                .contains("implementation(\"com.example:tiny:1.1.0-SNAPSHOT@war\")")
        );
        assert!(
            body(&pinned, "Gradle (build.gradle)")
                .contains("implementation 'com.example:tiny:1.1.0-SNAPSHOT@war'")
        );
        assert!(snippets(&Site::default(), &package(Visibility::Public), None).is_empty());
    }
}
