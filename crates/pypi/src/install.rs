//! The package page's snippets for pip, uv and Poetry, which install from
//! the owner's simple index, and for twine, which uploads to it. Installs
//! send a token only where anonymous readers may not: the project is not
//! public. Uploads always do.

use entrepot_core::{Package, Version, Visibility};
use entrepot_http::format::Snippet;
use entrepot_service::site::Site;

use crate::metadata::CoreMetadata;

/// The name uv's and Poetry's configuration give the index.
const SOURCE: &str = "entrepot";

/// The environment variable every snippet reads the token from.
const TOKEN: &str = "ENTREPOT_TOKEN";

/// What every client's snippet is built from.
struct Setup {
    /// `BASE/pypi/OWNER/simple/`.
    index: String,
    /// The project's name as its publisher spells it.
    project: String,
    /// Its PEP 503 normalised name, a bare key in TOML.
    normalized: String,
    version: Option<String>,
    /// The project is not public: installs must send a token.
    token: bool,
}

/// The snippets, pip first among the shell ones: webhooks give it as the
/// version's `installation_command`.
pub fn snippets(site: &Site, package: &Package, version: Option<&Version>) -> Vec<Snippet> {
    let setup = Setup {
        index: site.url(&format!("/pypi/{}/simple/", package.owner_login)),
        project: version
            .and_then(|v| CoreMetadata::of(v).name)
            .unwrap_or_else(|| package.name.clone()),
        normalized: package.name.clone(),
        version: version.map(|v| v.name.clone()),
        token: package.visibility != Visibility::Public,
    };
    let mut snippets = vec![
        pip(&setup),
        uv_index(&setup),
        uv_add(&setup),
        poetry(&setup),
    ];
    // What was cached from an upstream is read-only.
    if !package.owner_is_upstream {
        snippets.push(twine(&site.url(&format!("/pypi/{}/", package.owner_login))));
    }
    snippets
}

fn shell(title: &str, body: String) -> Snippet {
    Snippet {
        title: title.into(),
        language: "shell".into(),
        body,
    }
}

/// `pip install`, with the token in the index URL where one is needed.
fn pip(setup: &Setup) -> Snippet {
    let index = if setup.token {
        let (scheme, rest) = setup
            .index
            .split_once("://")
            .unwrap_or(("https", &setup.index));
        format!("\"{scheme}://__token__:${{{TOKEN}}}@{rest}\"")
    } else {
        setup.index.clone()
    };
    let pin = setup
        .version
        .as_ref()
        .map_or(String::new(), |v| format!("=={v}"));
    shell(
        "Install with pip",
        format!("pip install --index-url {index} {}{pin}", setup.project),
    )
}

/// The index in `pyproject.toml`, explicit so that only this project is
/// looked up there.
fn uv_index(setup: &Setup) -> Snippet {
    Snippet {
        title: "Add to pyproject.toml (uv)".into(),
        language: "toml".into(),
        body: format!(
            "[[tool.uv.index]]\nname = \"{SOURCE}\"\nurl = \"{}\"\nexplicit = true\n\n[tool.uv.sources]\n{} = {{ index = \"{SOURCE}\" }}",
            setup.index, setup.normalized
        ),
    }
}

/// `uv add`, with the index's credentials in the variables uv reads.
fn uv_add(setup: &Setup) -> Snippet {
    let name = SOURCE.to_ascii_uppercase();
    let credentials = if setup.token {
        format!(
            "export UV_INDEX_{name}_USERNAME=__token__\nexport UV_INDEX_{name}_PASSWORD=\"${TOKEN}\"\n"
        )
    } else {
        String::new()
    };
    let pin = setup
        .version
        .as_ref()
        .map_or(String::new(), |v| format!("=={v}"));
    shell(
        "Install with uv",
        format!("{credentials}uv add {}{pin}", setup.project),
    )
}

/// Poetry: an explicit source, its credentials where needed, and `add`.
fn poetry(setup: &Setup) -> Snippet {
    let credentials = if setup.token {
        format!("poetry config http-basic.{SOURCE} __token__ \"${TOKEN}\"\n")
    } else {
        String::new()
    };
    let pin = setup
        .version
        .as_ref()
        .map_or(String::new(), |v| format!("@{v}"));
    shell(
        "Install with Poetry",
        format!(
            "poetry source add --priority=explicit {SOURCE} {}\n{credentials}poetry add --source {SOURCE} {}{pin}",
            setup.index, setup.project
        ),
    )
}

/// Uploading always takes a token with `write:packages`.
fn twine(upload_url: &str) -> Snippet {
    shell(
        "Upload with twine",
        format!("twine upload --repository-url {upload_url} -u __token__ -p \"${TOKEN}\" dist/*"),
    )
}

#[cfg(test)]
mod tests {
    use entrepot_core::{PackageType, testing};
    use serde_json::json;

    use super::*;

    fn package(visibility: Visibility) -> Package {
        testing::package(PackageType::Pypi, "tiny-pkg", visibility)
    }

    fn version(name: &str) -> Version {
        testing::version(name, json!({ "name": "Tiny_Pkg", "version": name }))
    }

    fn installs(snippets: &[Snippet]) -> impl Iterator<Item = &Snippet> {
        snippets.iter().filter(|s| !s.title.starts_with("Upload"))
    }

    fn body<'a>(snippets: &'a [Snippet], title: &str) -> &'a str {
        &Snippet::titled(snippets, title)
            .unwrap_or_else(|| panic!("no snippet {title:?} in {snippets:?}"))
            .body
    }

    #[test]
    fn a_public_project_installs_without_a_token_and_uploads_with_one() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Public),
            Some(&version("1.1.0")),
        );
        for s in installs(&snippets) {
            assert!(
                !s.body.contains("TOKEN") && !s.body.contains("__token__"),
                "{s:?}"
            );
        }
        assert_eq!(
            body(&snippets, "Install with pip"),
            "pip install --index-url http://localhost/pypi/alice/simple/ Tiny_Pkg==1.1.0"
        );
        assert!(body(&snippets, "Upload with twine").contains("-p \"$ENTREPOT_TOKEN\""));
    }

    #[test]
    fn private_and_internal_projects_install_with_the_token() {
        for visibility in [Visibility::Private, Visibility::Internal] {
            let snippets = snippets(&Site::default(), &package(visibility), None);
            assert_eq!(
                body(&snippets, "Install with pip"),
                "pip install --index-url \"http://__token__:${ENTREPOT_TOKEN}@localhost/pypi/alice/simple/\" tiny-pkg"
            );
            assert!(
                body(&snippets, "Install with uv")
                    .starts_with("export UV_INDEX_ENTREPOT_USERNAME=__token__\n")
            );
            assert!(
                body(&snippets, "Install with Poetry")
                    .contains("poetry config http-basic.entrepot __token__ \"$ENTREPOT_TOKEN\"\n")
            );
        }
    }

    #[test]
    fn every_client_pins_the_chosen_version_and_pip_comes_first() {
        let snippets = snippets(
            &Site::default(),
            &package(Visibility::Private),
            Some(&version("1.1.0")),
        );
        assert!(body(&snippets, "Install with pip").ends_with(" Tiny_Pkg==1.1.0"));
        assert!(body(&snippets, "Install with uv").ends_with("\nuv add Tiny_Pkg==1.1.0"));
        assert!(
            body(&snippets, "Install with Poetry")
                .ends_with("\npoetry add --source entrepot Tiny_Pkg@1.1.0")
        );
        assert!(
            body(&snippets, "Add to pyproject.toml (uv)").contains(
                "explicit = true\n\n[tool.uv.sources]\ntiny-pkg = { index = \"entrepot\" }"
            )
        );
        let first_shell = snippets.iter().find(|s| s.language == "shell").unwrap();
        assert_eq!(first_shell.title, "Install with pip");
    }
}
