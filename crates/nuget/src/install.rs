//! The package page's snippets for dotnet: the owner's feed in
//! `nuget.config`, `dotnet add package` and the `<PackageReference>`, with
//! credentials only where anonymous readers may not restore: the package
//! is not public.
//!
//! The feed answers an anonymous caller 401 for every id it does not show
//! them, and a restore fails on a 401 from any source; so `nuget.config`
//! maps this one id to the feed and everything else to nuget.org.

use entrepot_core::{Package, Version, Visibility};
use entrepot_http::format::Snippet;
use entrepot_service::site::Site;

use crate::metadata::VersionMetadata;

/// The feed's key in `nuget.config`.
const SOURCE: &str = "entrepot";

/// What every snippet is built from.
struct Setup {
    /// `BASE/nuget/OWNER/index.json`.
    feed: String,
    /// The id with its author's case.
    id: String,
    version: Option<String>,
    /// The package is not public: restores must send a token.
    token: bool,
}

/// The snippets, `dotnet add package` first among the shell ones:
/// webhooks give it as the version's `installation_command`.
pub fn snippets(site: &Site, package: &Package, version: Option<&Version>) -> Vec<Snippet> {
    let nuspec = version.and_then(VersionMetadata::of).map(|m| m.nuspec);
    let setup = Setup {
        feed: site.url(&format!("/nuget/{}/index.json", package.owner_login)),
        id: nuspec
            .as_ref()
            .map_or_else(|| package.name.clone(), |n| n.id.clone()),
        version: nuspec.map(|n| n.version),
        token: package.visibility != Visibility::Public,
    };
    let mut snippets = vec![nuget_config(&setup), dotnet_add(&setup), reference(&setup)];
    if setup.token {
        snippets.push(add_source(&setup));
    }
    snippets
}

/// The feed, the id mapped to it, and its credentials where needed.
fn nuget_config(setup: &Setup) -> Snippet {
    let credentials = if setup.token {
        format!(
            "\n  <packageSourceCredentials>\n    <{SOURCE}>\n      <add key=\"Username\" value=\"USERNAME\" />\n      <add key=\"ClearTextPassword\" value=\"%ENTREPOT_TOKEN%\" />\n    </{SOURCE}>\n  </packageSourceCredentials>"
        )
    } else {
        String::new()
    };
    Snippet {
        title: "Add to nuget.config".into(),
        language: "xml".into(),
        body: format!(
            "<configuration>\n  <packageSources>\n    <add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" />\n    <add key=\"{SOURCE}\" value=\"{}\" />\n  </packageSources>\n  <packageSourceMapping>\n    <packageSource key=\"nuget.org\">\n      <package pattern=\"*\" />\n    </packageSource>\n    <packageSource key=\"{SOURCE}\">\n      <package pattern=\"{}\" />\n    </packageSource>\n  </packageSourceMapping>{credentials}\n</configuration>",
            setup.feed, setup.id
        ),
    }
}

fn dotnet_add(setup: &Setup) -> Snippet {
    let pin = setup
        .version
        .as_ref()
        .map_or(String::new(), |v| format!(" --version {v}"));
    Snippet {
        title: "Install with dotnet".into(),
        language: "shell".into(),
        body: format!("dotnet add package {}{pin}", setup.id),
    }
}

fn reference(setup: &Setup) -> Snippet {
    let pin = setup
        .version
        .as_ref()
        .map_or(String::new(), |v| format!(" Version=\"{v}\""));
    Snippet {
        title: "Or add to the project file".into(),
        language: "xml".into(),
        body: format!("<PackageReference Include=\"{}\"{pin} />", setup.id),
    }
}

/// The feed and its credentials from the command line, into the user's
/// `NuGet.Config` (in clear text: elsewhere than on Windows, dotnet cannot
/// encrypt it).
fn add_source(setup: &Setup) -> Snippet {
    Snippet {
        title: "Or add the feed with dotnet".into(),
        language: "shell".into(),
        body: format!(
            "dotnet nuget add source {} --name {SOURCE} --username USERNAME --password \"$ENTREPOT_TOKEN\" --store-password-in-clear-text",
            setup.feed
        ),
    }
}

#[cfg(test)]
mod tests {
    use entrepot_core::{PackageType, testing};
    use serde_json::json;

    use super::*;

    fn package(visibility: Visibility) -> Package {
        testing::package(PackageType::Nuget, "tiny.demo", visibility)
    }

    fn version(name: &str) -> Version {
        testing::version(
            &name.to_lowercase(),
            json!({
                "nuspec": { "id": "Tiny.Demo", "version": name },
                "listed": true,
                "size": 42,
                "sha512": "ab",
            }),
        )
    }

    fn body<'a>(snippets: &'a [Snippet], title: &str) -> &'a str {
        &Snippet::titled(snippets, title)
            .unwrap_or_else(|| panic!("no snippet {title:?} in {snippets:?}"))
            .body
    }

    #[test]
    fn a_public_package_restores_without_a_token() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Public),
            Some(&version("1.1.0")),
        );
        for s in &snippets {
            assert!(!s.body.contains("TOKEN"), "{s:?}");
            assert!(!s.body.contains("packageSourceCredentials"), "{s:?}");
        }
        let config = body(&snippets, "Add to nuget.config");
        assert!(
            config.contains(
                "<add key=\"entrepot\" value=\"http://localhost/nuget/alice/index.json\" />"
            ),
            "{config}"
        );
        assert!(
            config.contains(
                "<packageSource key=\"entrepot\">\n      <package pattern=\"Tiny.Demo\" />"
            ),
            "{config}"
        );
        assert!(
            snippets
                .iter()
                .all(|s| s.title != "Or add the feed with dotnet")
        );
    }

    #[test]
    fn private_and_internal_packages_restore_with_the_token() {
        for visibility in [Visibility::Private, Visibility::Internal] {
            let snippets = snippets(&Site::default(), &package(visibility), None);
            assert!(
                body(&snippets, "Add to nuget.config")
                    .contains("<add key=\"ClearTextPassword\" value=\"%ENTREPOT_TOKEN%\" />")
            );
            assert!(
                body(&snippets, "Or add the feed with dotnet")
                    .contains("--password \"$ENTREPOT_TOKEN\"")
            );
            assert_eq!(
                body(&snippets, "Install with dotnet"),
                "dotnet add package tiny.demo"
            );
        }
    }

    #[test]
    fn every_variant_pins_the_version_and_dotnet_comes_first() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Private),
            Some(&version("1.1.0-Beta")),
        );
        assert_eq!(
            body(&snippets, "Install with dotnet"),
            "dotnet add package Tiny.Demo --version 1.1.0-Beta"
        );
        assert_eq!(
            body(&snippets, "Or add to the project file"),
            "<PackageReference Include=\"Tiny.Demo\" Version=\"1.1.0-Beta\" />"
        );
        let first_shell = snippets.iter().find(|s| s.language == "shell").unwrap();
        assert_eq!(first_shell.title, "Install with dotnet");
    }
}
