//! The package page's install snippets for npm, yarn (Berry) and pnpm:
//! where the owner's scope resolves (the whole registry, for what was
//! cached from an upstream), and a token only where anonymous readers may
//! not install: the package is not public.

use std::fmt::Write as _;

use entrepot_core::{Package, Version, Visibility};
use entrepot_http::format::Snippet;
use entrepot_service::site::Site;

/// Where every snippet takes the token from: an environment variable the
/// user sets, never a secret.
const TOKEN: &str = "${ENTREPOT_TOKEN}";

/// What every client's snippet is built from.
struct Setup {
    /// `BASE/npm/`.
    registry: String,
    /// The owner's scope, without `@`; `None` where the registry as a
    /// whole is pointed here (an upstream's packages keep their names).
    scope: Option<String>,
    /// The package is not public: clients must send a token.
    token: bool,
    /// The host yarn must be told it may reach over plain HTTP.
    plain_http_host: Option<String>,
    name: String,
    version: Option<String>,
}

impl Setup {
    fn of(site: &Site, package: &Package, version: Option<&Version>) -> Setup {
        let base = site.base_url();
        Setup {
            registry: site.url("/npm/"),
            scope: (!package.owner_is_upstream).then(|| package.owner_login.clone()),
            token: package.visibility != Visibility::Public,
            plain_http_host: base
                .host_str()
                .filter(|_| base.scheme() == "http")
                .map(str::to_owned),
            name: crate::client_name(package),
            version: version.map(|v| v.name.clone()),
        }
    }

    /// `NAME@VERSION`, or `NAME` for the latest.
    fn spec(&self) -> String {
        match &self.version {
            Some(v) => format!("{}@{v}", self.name),
            None => self.name.clone(),
        }
    }

    /// The registry URL without its scheme, as `.npmrc` keys its token.
    fn host_path(&self) -> &str {
        self.registry
            .split_once("://")
            .map_or(self.registry.as_str(), |(_, rest)| rest)
    }
}

/// The snippets, the npm command first among the shell ones: webhooks
/// give it as the version's `installation_command`.
pub fn snippets(site: &Site, package: &Package, version: Option<&Version>) -> Vec<Snippet> {
    let setup = Setup::of(site, package, version);
    let spec = setup.spec();
    let mut snippets = vec![
        npmrc(&setup),
        command("Install with npm", &format!("npm install {spec}")),
        yarnrc(&setup),
        command("Install with yarn", &format!("yarn add {spec}")),
        command("Install with pnpm", &format!("pnpm add {spec}")),
    ];
    snippets.extend(package_json(&setup));
    snippets
}

fn command(title: &str, body: &str) -> Snippet {
    Snippet {
        title: title.into(),
        language: "shell".into(),
        body: body.into(),
    }
}

/// `.npmrc`, which npm and pnpm read (and yarn 1).
fn npmrc(setup: &Setup) -> Snippet {
    let mut body = match &setup.scope {
        Some(scope) => format!("@{scope}:registry={}", setup.registry),
        None => format!("registry={}", setup.registry),
    };
    if setup.token {
        let _ = write!(body, "\n//{}:_authToken={TOKEN}", setup.host_path());
    }
    Snippet {
        title: "Add to .npmrc".into(),
        language: "ini".into(),
        body,
    }
}

/// `.yarnrc.yml`, which yarn 2 and later read instead of `.npmrc`.
fn yarnrc(setup: &Setup) -> Snippet {
    let mut body = String::new();
    if let Some(host) = &setup.plain_http_host {
        let _ = write!(body, "unsafeHttpWhitelist:\n  - \"{host}\"\n");
    }
    let indent = match &setup.scope {
        Some(scope) => {
            let _ = write!(body, "npmScopes:\n  {scope}:\n");
            "    "
        }
        None => "",
    };
    let _ = write!(body, "{indent}npmRegistryServer: \"{}\"", setup.registry);
    if setup.token {
        let _ = write!(body, "\n{indent}npmAuthToken: \"{TOKEN}\"");
    }
    Snippet {
        title: "Add to .yarnrc.yml".into(),
        language: "yaml".into(),
        body,
    }
}

/// The dependency as `package.json` lists it, for a chosen version.
fn package_json(setup: &Setup) -> Option<Snippet> {
    let version = setup.version.as_ref()?;
    Some(Snippet {
        title: "Or add to package.json".into(),
        language: "json".into(),
        body: format!(
            "\"dependencies\": {{\n  \"{}\": \"{version}\"\n}}",
            setup.name
        ),
    })
}

#[cfg(test)]
mod tests {
    use entrepot_core::{PackageType, testing};

    use super::*;

    fn package(visibility: Visibility) -> Package {
        testing::package(PackageType::Npm, "hello", visibility)
    }

    fn version(name: &str) -> Version {
        testing::version(name, serde_json::json!({}))
    }

    fn body<'a>(snippets: &'a [Snippet], title: &str) -> &'a str {
        &Snippet::titled(snippets, title)
            .unwrap_or_else(|| panic!("no snippet {title:?} in {snippets:?}"))
            .body
    }

    #[test]
    fn a_public_package_installs_without_a_token() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Public),
            Some(&version("1.1.0")),
        );
        for s in &snippets {
            assert!(!s.body.contains("TOKEN"), "{s:?}");
            assert!(!s.body.contains("uthToken"), "{s:?}");
        }
        assert_eq!(
            body(&snippets, "Add to .npmrc"),
            "@alice:registry=http://localhost/npm/"
        );
        assert_eq!(
            body(&snippets, "Add to .yarnrc.yml"),
            "unsafeHttpWhitelist:\n  - \"localhost\"\nnpmScopes:\n  alice:\n    npmRegistryServer: \"http://localhost/npm/\""
        );
    }

    #[test]
    fn private_and_internal_packages_take_the_token_from_the_environment() {
        for visibility in [Visibility::Private, Visibility::Internal] {
            let snippets = snippets(&Site::default(), &package(visibility), None);
            assert_eq!(
                body(&snippets, "Add to .npmrc"),
                "@alice:registry=http://localhost/npm/\n//localhost/npm/:_authToken=${ENTREPOT_TOKEN}"
            );
            assert!(
                body(&snippets, "Add to .yarnrc.yml")
                    .ends_with("\n    npmAuthToken: \"${ENTREPOT_TOKEN}\""),
                "{snippets:?}"
            );
            assert!(
                snippets.iter().all(|s| s.title != "Or add to package.json"),
                "no version, no pin"
            );
        }
    }

    #[test]
    fn every_client_pins_the_chosen_version_and_npm_comes_first() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Private),
            Some(&version("1.1.0")),
        );
        assert_eq!(
            body(&snippets, "Install with npm"),
            "npm install @alice/hello@1.1.0"
        );
        assert_eq!(
            body(&snippets, "Install with yarn"),
            "yarn add @alice/hello@1.1.0"
        );
        assert_eq!(
            body(&snippets, "Install with pnpm"),
            "pnpm add @alice/hello@1.1.0"
        );
        assert!(body(&snippets, "Or add to package.json").contains("\"@alice/hello\": \"1.1.0\""));
        let first_shell = snippets.iter().find(|s| s.language == "shell").unwrap();
        assert_eq!(first_shell.body, "npm install @alice/hello@1.1.0");
    }

    #[test]
    fn an_upstreams_package_points_the_whole_registry_here() {
        let mut cached = package(Visibility::Public);
        cached.owner_is_upstream = true;
        cached.owner_login = "npmjs".into();
        cached.name = "left-pad".into();
        let site = Site::new("https://registry.example/".parse().unwrap());
        let snippets = snippets(&site, &cached, None);
        assert_eq!(
            body(&snippets, "Add to .npmrc"),
            "registry=https://registry.example/npm/"
        );
        assert_eq!(
            body(&snippets, "Add to .yarnrc.yml"),
            "npmRegistryServer: \"https://registry.example/npm/\""
        );
        assert_eq!(body(&snippets, "Install with npm"), "npm install left-pad");
    }
}
