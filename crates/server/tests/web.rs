//! The web pages over HTTP: what a visitor sees of a package and of an
//! owner, and what they must not see.

mod common;

use common::{Server, publish_doc, token};
use reqwest::blocking::Client;
use serde_json::json;

fn publish(server: &Server, t: &str, name: &str, version: &str, repository: &str) {
    let status = Client::new()
        .put(server.url(&format!("/npm/{}", name.replace('/', "%2f"))))
        .bearer_auth(t)
        .json(&publish_doc(name, version, repository))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 201);
}

fn setup() -> (tempfile::TempDir, Server, String) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    server.admin(&["repo", "create", "alice/hello"]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let repo_url = server.url("/alice/hello");
    publish(&server, &t, "@alice/hello", "1.0.0", &repo_url);
    publish(&server, &t, "@alice/hello", "1.1.0", &repo_url);
    (dir, server, t)
}

fn html(server: &Server, path: &str, auth: Option<&str>) -> (u16, String) {
    let mut req = Client::new().get(server.url(path));
    if let Some(t) = auth {
        req = req.bearer_auth(t);
    }
    let r = req.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn the_package_page_shows_readme_versions_install_command_and_downloads() {
    let (_dir, server, t) = setup();
    let page = "/users/alice/packages/npm/package/hello";
    let (status, body) = html(&server, page, Some(&t));
    assert_eq!(status, 200);
    assert!(body.contains("@alice/hello"));
    assert!(
        body.contains("<h1>@alice/hello 1.1.0</h1>"),
        "the README, rendered"
    );
    assert!(
        body.contains("1.0.0") && body.contains("1.1.0"),
        "both versions"
    );
    assert!(
        body.contains(&format!("@alice:registry={}", server.url("/npm/"))),
        "the real host and port"
    );
    assert!(body.contains("npm install @alice/hello@1.1.0"));
    assert!(
        body.contains("href=\"/alice/hello/packages\""),
        "the connected repository"
    );
    assert!(body.contains("<strong>0</strong> total"));

    // A download shows up.
    let tarball = Client::new()
        .get(server.url("/npm/@alice/hello/-/hello-1.1.0.tgz"))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(tarball.status(), 200);
    let (_, body) = html(&server, page, Some(&t));
    assert!(body.contains("<strong>1</strong> total"), "downloads rise");
    assert!(body.contains("<svg class=\"chart\""));

    // The version view lists its files with digests.
    let (status, body) = html(&server, &format!("{page}?version=1.0.0"), Some(&t));
    assert_eq!(status, 200);
    assert!(body.contains("Version 1.0.0"));
    assert!(body.contains("hello-1.0.0.tgz"));
    assert_eq!(
        html(&server, &format!("{page}?version=9.9.9"), Some(&t)).0,
        404
    );
}

#[test]
fn private_packages_are_not_there_for_those_who_may_not_see_them() {
    let (_dir, server, t) = setup();
    let page = "/users/alice/packages/npm/package/hello";
    assert_eq!(html(&server, page, None).0, 404);
    let bob = token(&server, "bob", "read:packages");
    assert_eq!(html(&server, page, Some(&bob)).0, 404);
    let (_, owner_page) = html(&server, "/alice", Some(&bob));
    assert!(!owner_page.contains("@alice/hello"));

    // Once public, anyone sees it, signed in or not.
    let made_public = Client::new()
        .patch(server.url("/api/v3/user/packages/npm/hello"))
        .bearer_auth(&t)
        .json(&json!({"visibility": "public"}))
        .send()
        .unwrap();
    assert_eq!(made_public.status(), 200);
    assert_eq!(html(&server, page, None).0, 200);
    let (_, owner_page) = html(&server, "/alice", None);
    assert!(owner_page.contains("@alice/hello"));
}

#[test]
fn owner_repository_and_search_pages_list_filter_and_sort() {
    let (_dir, server, t) = setup();
    publish(&server, &t, "@alice/other", "1.0.0", "");
    let (status, body) = html(&server, "/alice", Some(&t));
    assert_eq!(status, 200);
    assert!(body.contains("@alice/hello") && body.contains("@alice/other"));
    let (_, filtered) = html(&server, "/alice?q=oth", Some(&t));
    assert!(filtered.contains("@alice/other") && !filtered.contains("@alice/hello"));
    assert!(
        !body.contains("value=\"None\""),
        "an empty search box is empty"
    );
    let (_, by_type) = html(&server, "/alice?type=container", Some(&t));
    assert!(by_type.contains("No packages to show."));
    let (status, repo_page) = html(&server, "/alice/hello/packages", Some(&t));
    assert_eq!(status, 200);
    assert!(repo_page.contains("@alice/hello") && !repo_page.contains("@alice/other"));
    let (_, search) = html(&server, "/search?q=hello", Some(&t));
    assert!(search.contains("@alice/hello"));
    assert_eq!(html(&server, "/nobody", None).0, 404);
    let css = Client::new()
        .get(server.url("/static/style.css"))
        .send()
        .unwrap();
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}
