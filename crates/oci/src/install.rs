//! The package page's snippets for docker: `docker pull` and a
//! Dockerfile's `FROM`, by the version's tag as people pull (`latest`
//! first), else by its digest (a version is a manifest, named by its
//! digest; its tags are movable labels kept beside it), and `docker login`
//! only where anonymous clients may not pull: the image is not public.

use entrepot_core::{Package, Version, Visibility};
use entrepot_http::format::Snippet;
use entrepot_service::site::Site;

/// The snippets, `docker pull` first among the shell ones: webhooks give
/// it as the version's `installation_command`.
pub fn snippets(
    site: &Site,
    package: &Package,
    version: Option<&Version>,
    tags: &[String],
) -> Vec<Snippet> {
    let host = site.host();
    let image = format!("{host}/{}/{}", package.owner_login, package.name);
    let tag = tags
        .iter()
        .find(|t| *t == "latest")
        .or_else(|| tags.first());
    let reference = match version {
        Some(_) if tag.is_some() => format!("{image}:{}", tag.map_or("", String::as_str)),
        // A manifest is named by its digest; the version's name is it.
        Some(v) if v.name.contains(':') => format!("{image}@{}", v.name),
        Some(v) => format!("{image}:{}", v.name),
        None => format!("{image}:latest"),
    };
    let mut snippets = vec![
        Snippet {
            title: "Pull with docker".into(),
            language: "shell".into(),
            body: format!("docker pull {reference}"),
        },
        Snippet {
            title: "Use as a base image".into(),
            language: "dockerfile".into(),
            body: format!("FROM {reference}"),
        },
    ];
    if package.visibility != Visibility::Public {
        snippets.push(login(&host));
    }
    snippets.extend(plain_http(site, &host));
    snippets
}

/// `docker login` with the token from the environment, on stdin.
fn login(host: &str) -> Snippet {
    Snippet {
        title: "Sign in before pulling".into(),
        language: "shell".into(),
        body: format!(
            "echo \"$ENTREPOT_TOKEN\" | docker login {host} -u USERNAME --password-stdin"
        ),
    }
}

/// Docker pulls over plain HTTP only from the loopback and the registries
/// its daemon lists as insecure.
fn plain_http(site: &Site, host: &str) -> Option<Snippet> {
    let base = site.base_url();
    let loopback = match base.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => true,
    };
    (base.scheme() == "http" && !loopback).then(|| Snippet {
        title: "Allow this plain-HTTP registry (/etc/docker/daemon.json)".into(),
        language: "json".into(),
        body: format!("{{ \"insecure-registries\": [\"{host}\"] }}"),
    })
}

#[cfg(test)]
mod tests {
    use entrepot_core::{PackageType, testing};
    use serde_json::json;

    use super::*;

    const DIGEST: &str = "sha256:4a5b6c";

    fn package(visibility: Visibility) -> Package {
        testing::package(PackageType::Container, "app", visibility)
    }

    fn version() -> Version {
        testing::version(
            DIGEST,
            json!({ "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": DIGEST }),
        )
    }

    fn site(url: &str) -> Site {
        Site::new(url.parse().unwrap())
    }

    #[test]
    fn a_public_image_pulls_without_signing_in() {
        let snippets = snippets(
            &site("https://registry.example/"),
            &package(Visibility::Public),
            Some(&version()),
            &[],
        );
        for s in &snippets {
            assert!(
                !s.body.contains("TOKEN") && !s.body.contains("login"),
                "{s:?}"
            );
        }
        assert_eq!(snippets.len(), 2, "{snippets:?}");
    }

    #[test]
    fn private_and_internal_images_sign_in_with_the_token() {
        for visibility in [Visibility::Private, Visibility::Internal] {
            let snippets = snippets(
                &site("https://registry.example/"),
                &package(visibility),
                None,
                &[],
            );
            let login = Snippet::titled(&snippets, "Sign in before pulling").unwrap();
            assert_eq!(
                login.body,
                "echo \"$ENTREPOT_TOKEN\" | docker login registry.example -u USERNAME --password-stdin"
            );
            assert_eq!(
                snippets[0].body,
                "docker pull registry.example/alice/app:latest"
            );
        }
    }

    #[test]
    fn every_variant_pins_the_digest_and_docker_pull_comes_first() {
        let snippets = snippets(
            &site("https://registry.example:5000/"),
            &package(Visibility::Private),
            Some(&version()),
            &[],
        );
        let first_shell = snippets.iter().find(|s| s.language == "shell").unwrap();
        assert_eq!(
            first_shell.body,
            "docker pull registry.example:5000/alice/app@sha256:4a5b6c"
        );
        let from = snippets
            .iter()
            .find(|s| s.language == "dockerfile")
            .unwrap();
        assert_eq!(
            from.body,
            "FROM registry.example:5000/alice/app@sha256:4a5b6c"
        );
    }

    #[test]
    fn a_tagged_version_is_pulled_by_its_tag_latest_first() {
        let tags = ["1.0".to_owned(), "latest".to_owned()];
        let snippets = snippets(
            &site("https://registry.example/"),
            &package(Visibility::Public),
            Some(&version()),
            &tags,
        );
        assert_eq!(
            snippets[0].body,
            "docker pull registry.example/alice/app:latest"
        );
        let one = snippets_for(&tags[..1]);
        assert_eq!(one[0].body, "docker pull registry.example/alice/app:1.0");
    }

    fn snippets_for(tags: &[String]) -> Vec<Snippet> {
        snippets(
            &site("https://registry.example/"),
            &package(Visibility::Public),
            Some(&version()),
            tags,
        )
    }

    #[test]
    fn a_plain_http_registry_says_how_docker_may_reach_it() {
        let remote = snippets(
            &site("http://10.0.0.5:8080/"),
            &package(Visibility::Public),
            None,
            &[],
        );
        assert_eq!(
            remote.last().unwrap().body,
            "{ \"insecure-registries\": [\"10.0.0.5:8080\"] }"
        );
        let local = snippets(
            &site("http://localhost:8080/"),
            &package(Visibility::Public),
            None,
            &[],
        );
        assert!(local.iter().all(|s| s.language != "json"), "{local:?}");
    }
}
