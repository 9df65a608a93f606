//! The package page's snippets for `gem` and Bundler: the owner's source,
//! with credentials only where anonymous readers may not install: the gem
//! is not public. `gem` takes them in the source's URL; Bundler keeps them
//! in its configuration, so that the Gemfile names the bare source.

use entrepot_core::{Package, Version, Visibility};
use entrepot_http::format::Snippet;
use entrepot_service::site::Site;

use crate::metadata::GemSpec;

/// The credentials every snippet sends: any user name, and the token from
/// an environment variable.
const CREDENTIALS: &str = "__token__:${ENTREPOT_TOKEN}";

/// What every snippet is built from.
struct Setup {
    /// `BASE/rubygems/OWNER/`.
    source: String,
    name: String,
    version: Option<String>,
    /// The gem is not public: installs must send a token.
    token: bool,
}

/// The snippets, `gem install` first among the shell ones: webhooks give
/// it as the version's `installation_command`.
pub fn snippets(site: &Site, package: &Package, version: Option<&Version>) -> Vec<Snippet> {
    let setup = Setup {
        source: site.url(&format!("/rubygems/{}/", package.owner_login)),
        name: package.name.clone(),
        version: version.and_then(GemSpec::of).map(|spec| spec.version),
        token: package.visibility != Visibility::Public,
    };
    let mut snippets = vec![gem_install(&setup), gemfile(&setup)];
    if setup.token {
        snippets.push(bundler_credentials(&setup));
    }
    snippets
}

fn gem_install(setup: &Setup) -> Snippet {
    let pin = setup
        .version
        .as_ref()
        .map_or(String::new(), |v| format!(" --version {v}"));
    let source = if setup.token {
        let (scheme, rest) = setup
            .source
            .split_once("://")
            .unwrap_or(("https", &setup.source));
        format!("\"{scheme}://{CREDENTIALS}@{rest}\"")
    } else {
        setup.source.clone()
    };
    Snippet {
        title: "Install with gem".into(),
        language: "shell".into(),
        body: format!("gem install {}{pin} --source {source}", setup.name),
    }
}

fn gemfile(setup: &Setup) -> Snippet {
    let pin = setup
        .version
        .as_ref()
        .map_or(String::new(), |v| format!(", \"{v}\""));
    Snippet {
        title: "Add to the Gemfile".into(),
        language: "ruby".into(),
        body: format!(
            "source \"{}\" do\n  gem \"{}\"{pin}\nend",
            setup.source, setup.name
        ),
    }
}

/// Bundler finds the credentials of a source by its URL.
fn bundler_credentials(setup: &Setup) -> Snippet {
    Snippet {
        title: "Sign in Bundler to the source".into(),
        language: "shell".into(),
        body: format!(
            "bundle config set --global {} \"{CREDENTIALS}\"",
            setup.source
        ),
    }
}

#[cfg(test)]
mod tests {
    use entrepot_core::{PackageType, testing};
    use serde_json::json;

    use super::*;

    fn package(visibility: Visibility) -> Package {
        testing::package(PackageType::Rubygems, "tiny", visibility)
    }

    fn version(name: &str) -> Version {
        testing::version(
            name,
            json!({ "name": "tiny", "version": name, "platform": "ruby" }),
        )
    }

    fn body<'a>(snippets: &'a [Snippet], title: &str) -> &'a str {
        &Snippet::titled(snippets, title)
            .unwrap_or_else(|| panic!("no snippet {title:?} in {snippets:?}"))
            .body
    }

    #[test]
    fn a_public_gem_installs_without_a_token() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Public),
            Some(&version("1.1.0")),
        );
        for s in &snippets {
            assert!(
                !s.body.contains("TOKEN") && !s.body.contains("__token__"),
                "{s:?}"
            );
        }
        assert_eq!(
            body(&snippets, "Install with gem"),
            "gem install tiny --version 1.1.0 --source http://localhost/rubygems/alice/"
        );
        assert!(snippets.iter().all(|s| !s.title.contains("Bundler")));
    }

    #[test]
    fn private_and_internal_gems_install_with_the_token() {
        for visibility in [Visibility::Private, Visibility::Internal] {
            let snippets = snippets(&Site::default(), &package(visibility), None);
            assert_eq!(
                body(&snippets, "Install with gem"),
                "gem install tiny --source \"http://__token__:${ENTREPOT_TOKEN}@localhost/rubygems/alice/\""
            );
            assert_eq!(
                body(&snippets, "Sign in Bundler to the source"),
                "bundle config set --global http://localhost/rubygems/alice/ \"__token__:${ENTREPOT_TOKEN}\""
            );
            assert_eq!(
                body(&snippets, "Add to the Gemfile"),
                "source \"http://localhost/rubygems/alice/\" do\n  gem \"tiny\"\nend"
            );
        }
    }

    #[test]
    fn every_variant_pins_the_version_and_gem_comes_first() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Private),
            Some(&version("1.1.0")),
        );
        assert!(
            body(&snippets, "Install with gem")
                .starts_with("gem install tiny --version 1.1.0 --source ")
        );
        assert!(body(&snippets, "Add to the Gemfile").contains("  gem \"tiny\", \"1.1.0\"\n"));
        let first_shell = snippets.iter().find(|s| s.language == "shell").unwrap();
        assert_eq!(first_shell.title, "Install with gem");
    }
}
