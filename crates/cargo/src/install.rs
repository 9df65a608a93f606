//! The package page's snippets for cargo: the owner's sparse index in
//! `.cargo/config.toml`, `cargo add`, the `Cargo.toml` line, and a token
//! only where anonymous readers may not install: the crate is not public.
//! (An owner's registry asks every reader for a token while it holds any
//! crate that is not public, `config.json`'s `auth-required`: cargo then
//! says to run `cargo login`, which the public crate's snippet mentions.)

use entrepot_core::{Package, Version, Visibility};
use entrepot_http::format::Snippet;
use entrepot_service::site::Site;

/// The name the snippets give the registry in cargo's configuration.
const ALIAS: &str = "entrepot";

/// The snippets, `cargo add` first among the shell ones: webhooks give it
/// as the version's `installation_command`.
pub fn snippets(site: &Site, package: &Package, version: Option<&Version>) -> Vec<Snippet> {
    let index = site.url(&format!("/cargo/{}/index/", package.owner_login));
    let token = package.visibility != Visibility::Public;
    let name = &package.name;
    let version = version.map(|v| v.name.as_str());
    let mut snippets = vec![
        config(&index, token),
        cargo_add(name, version),
        manifest(name, version),
    ];
    if token {
        snippets.push(login());
    }
    snippets
}

/// The registry entry; the token provider where the crate needs one.
fn config(index: &str, token: bool) -> Snippet {
    let entry = format!("[registries.{ALIAS}]\nindex = \"sparse+{index}\"");
    let body = if token {
        format!("{entry}\ncredential-provider = \"cargo:token\"")
    } else {
        format!(
            "{entry}\n# Public crates install without a token, unless this registry also holds\n# non-public ones: cargo then asks for one (cargo login --registry {ALIAS})."
        )
    };
    Snippet {
        title: "Add to .cargo/config.toml".into(),
        language: "toml".into(),
        body,
    }
}

fn cargo_add(name: &str, version: Option<&str>) -> Snippet {
    let at = version.map_or(String::new(), |v| format!("@{v}"));
    Snippet {
        title: "Install with cargo".into(),
        language: "shell".into(),
        body: format!("cargo add {name}{at} --registry {ALIAS}"),
    }
}

fn manifest(name: &str, version: Option<&str>) -> Snippet {
    Snippet {
        title: "Or add to Cargo.toml".into(),
        language: "toml".into(),
        body: format!(
            "[dependencies]\n{name} = {{ version = \"{}\", registry = \"{ALIAS}\" }}",
            version.unwrap_or("*")
        ),
    }
}

/// Stores the token where the `cargo:token` provider reads it.
fn login() -> Snippet {
    Snippet {
        title: "Sign in before installing".into(),
        language: "shell".into(),
        body: format!(
            "echo \"$ENTREPOT_TOKEN\" | cargo login --registry {ALIAS}\n# or, for one shell: export CARGO_REGISTRIES_{}_TOKEN=\"$ENTREPOT_TOKEN\"",
            ALIAS.to_ascii_uppercase()
        ),
    }
}

#[cfg(test)]
mod tests {
    use entrepot_core::{PackageType, testing};
    use serde_json::json;

    use super::*;

    fn package(visibility: Visibility) -> Package {
        testing::package(PackageType::Cargo, "tiny", visibility)
    }

    fn version(name: &str) -> Version {
        testing::version(
            name,
            json!({ "name": "tiny", "vers": name, "deps": [], "cksum": "00", "features": {}, "yanked": false }),
        )
    }

    fn body<'a>(snippets: &'a [Snippet], title: &str) -> &'a str {
        &Snippet::titled(snippets, title)
            .unwrap_or_else(|| panic!("no snippet {title:?} in {snippets:?}"))
            .body
    }

    #[test]
    fn a_public_crate_installs_without_a_token() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Public),
            Some(&version("1.0.0")),
        );
        for s in &snippets {
            assert!(!s.body.contains("TOKEN"), "{s:?}");
            assert!(!s.body.contains("credential-provider"), "{s:?}");
        }
        assert!(body(&snippets, "Add to .cargo/config.toml").starts_with(
            "[registries.entrepot]\nindex = \"sparse+http://localhost/cargo/alice/index/\"\n#"
        ));
        assert!(
            snippets
                .iter()
                .all(|s| s.title != "Sign in before installing")
        );
    }

    #[test]
    fn private_and_internal_crates_sign_in_with_the_token() {
        for visibility in [Visibility::Private, Visibility::Internal] {
            let snippets = snippets(&Site::default(), &package(visibility), None);
            assert_eq!(
                body(&snippets, "Add to .cargo/config.toml"),
                "[registries.entrepot]\nindex = \"sparse+http://localhost/cargo/alice/index/\"\ncredential-provider = \"cargo:token\""
            );
            assert!(
                body(&snippets, "Sign in before installing")
                    .starts_with("echo \"$ENTREPOT_TOKEN\" | cargo login --registry entrepot\n")
            );
            assert_eq!(
                body(&snippets, "Install with cargo"),
                "cargo add tiny --registry entrepot"
            );
        }
    }

    #[test]
    fn every_variant_pins_the_chosen_version_and_cargo_add_comes_first() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Private),
            Some(&version("1.0.0")),
        );
        assert_eq!(
            body(&snippets, "Install with cargo"),
            "cargo add tiny@1.0.0 --registry entrepot"
        );
        assert_eq!(
            body(&snippets, "Or add to Cargo.toml"),
            "[dependencies]\ntiny = { version = \"1.0.0\", registry = \"entrepot\" }"
        );
        let first_shell = snippets.iter().find(|s| s.language == "shell").unwrap();
        assert_eq!(first_shell.title, "Install with cargo");
    }
}
