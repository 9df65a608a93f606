//! The real mvn through Entrepot alone, with a second Entrepot on loopback
//! as the Maven upstream (`com.example:tiny` deployed there by mvn): the
//! upstream's name is a mirror of it; alice's repository falls through to
//! it, so one `<mirror>` builds a project that takes `tiny` from the
//! upstream and `org.acme:acme` from alice, whose groupId never comes
//! from the upstream; Gradle builds through it too. `maven-metadata.xml`
//! goes out as the upstream sent it. With the upstream stopped and a fresh
//! local repository, both projects build again.

use std::path::{Path, PathBuf};

use crate::common::{Server, token};
use crate::maven::{
    PLUGINS, consumer, deploy, get, gradle_build, library, local_repository, mvn, ok, put_as,
    settings,
};

/// `org.acme:acme:1.0.0`, whose `acme.Acme.hi()` says so.
fn acme_library(dir: &Path) -> PathBuf {
    let project = dir.join("acme");
    std::fs::create_dir_all(project.join("src/main/java/acme")).unwrap();
    std::fs::write(
        project.join("src/main/java/acme/Acme.java"),
        "package acme; public class Acme { public static String hi() { return \"acme\"; } }\n",
    )
    .unwrap();
    std::fs::write(
        project.join("pom.xml"),
        format!(
            r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.acme</groupId><artifactId>acme</artifactId><version>1.0.0</version>
  {PLUGINS}
</project>"#
        ),
    )
    .unwrap();
    project
}

/// A project using `com.example:tiny:1.0.0` and `org.acme:acme:ACME`.
fn mixed(dir: &Path, acme: &str) -> PathBuf {
    let project = dir.join(format!("mixed-{acme}"));
    std::fs::create_dir_all(project.join("src/main/java/app")).unwrap();
    std::fs::write(
        project.join("src/main/java/app/App.java"),
        "package app; public class App { public static void main(String[] a) { \
         System.out.println(demo.Tiny.hi() + acme.Acme.hi()); } }\n",
    )
    .unwrap();
    std::fs::write(
        project.join("pom.xml"),
        format!(
            r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId><artifactId>mixed</artifactId><version>1.0.0</version>
  <dependencies>
    <dependency><groupId>com.example</groupId><artifactId>tiny</artifactId><version>1.0.0</version></dependency>
    <dependency><groupId>org.acme</groupId><artifactId>acme</artifactId><version>{acme}</version></dependency>
  </dependencies>
  {PLUGINS}
</project>"#
        ),
    )
    .unwrap();
    project
}

/// The upstream: alice's public repository `lib` holding `tiny` 1.0.0,
/// deployed with mvn, and someone else's `org.acme:acme:9.0.0`.
fn upstream(dir: &Path) -> (Server, String) {
    let home = dir.join("upstream");
    std::fs::create_dir_all(&home).unwrap();
    let server = Server::start(&home);
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/lib"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let url = server.url("/maven/alice/lib");
    let local = local_repository(&home);
    let alice = settings(&home, &url, "alice", Some(&t));
    ok(&deploy(&library(&home, "1.0.0"), &alice, &local, &url));
    for (file, body) in [
        (
            "acme-9.0.0.pom",
            "<project><modelVersion>4.0.0</modelVersion><groupId>org.acme</groupId><artifactId>acme</artifactId><version>9.0.0</version></project>",
        ),
        ("acme-9.0.0.jar", "not the acme you want"),
    ] {
        let path = format!("org/acme/acme/9.0.0/{file}");
        assert_eq!(put_as(&url, "alice", &t, &path, body.as_bytes()), 201);
    }
    (server, url)
}

#[test]
fn mvn_builds_through_a_mirror_and_a_fallthrough_and_again_with_the_upstream_down() {
    let dir = tempfile::tempdir().unwrap();
    let (mut upstream, upstream_url) = upstream(dir.path());

    let home = dir.path().join("proxy");
    std::fs::create_dir_all(&home).unwrap();
    let server = Server::start(&home);
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/app"]);
    server.admin(&[
        "upstream",
        "add",
        "central-up",
        "--format",
        "maven",
        "--url",
        &upstream_url,
        "--metadata-ttl",
        "0",
    ]);
    server.admin(&[
        "owner",
        "fallthrough",
        "alice",
        "--format",
        "maven",
        "--upstream",
        "central-up",
    ]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let app_url = server.url("/maven/alice/app");
    let publishing = dir.path().join("alice");
    let local = local_repository(&publishing);
    let alice = settings(&publishing, &app_url, "alice", Some(&t));
    ok(&deploy(
        &acme_library(&publishing),
        &alice,
        &local,
        &app_url,
    ));

    // alice's repository: her org.acme, the upstream's com.example.
    let work = dir.path().join("mixed");
    let local = local_repository(&work);
    let reader = settings(&work, &app_url, "alice", Some(&t));
    ok(&mvn(&mixed(&work, "1.0.0"), &reader, &local, &["package"]));
    let nine = mvn(&mixed(&work, "9.0.0"), &reader, &local, &["package"]);
    assert!(
        !nine.status.success(),
        "org.acme is alice's: the upstream's 9.0.0 never comes through"
    );

    // Gradle, through the same repository.
    let gradle = gradle_build(&dir.path().join("gradle"), &app_url, "alice", &t, "1.0.0");
    assert!(
        gradle.status.success(),
        "{}{}",
        String::from_utf8_lossy(&gradle.stdout),
        String::from_utf8_lossy(&gradle.stderr)
    );

    // The mirror, and metadata exactly as the upstream sent it.
    let mirror_url = server.url("/maven/central-up");
    let work = dir.path().join("mirror");
    let local = local_repository(&work);
    let anonymous = settings(&work, &mirror_url, "anyone", None);
    ok(&mvn(
        &consumer(&work, "1.0.0"),
        &anonymous,
        &local,
        &["package"],
    ));
    let metadata = "/com/example/tiny/maven-metadata.xml";
    let (status, headers, ours) = get(&format!("{mirror_url}{metadata}"), None);
    assert_eq!(status, 200);
    assert_eq!(headers["x-entrepot-upstream"], "central-up");
    assert_eq!(ours, get(&format!("{upstream_url}{metadata}"), None).2);
    let refused = put_as(
        &mirror_url,
        "alice",
        &t,
        "com/example/tiny/2.0.0/tiny-2.0.0.pom",
        b"<project/>",
    );
    assert_eq!(refused, 403, "an upstream's name is read-only");

    // The upstream goes away: fresh local repositories build again.
    upstream.sigterm();
    let work = dir.path().join("down");
    let local = local_repository(&work);
    let anonymous = settings(&work, &mirror_url, "anyone", None);
    ok(&mvn(
        &consumer(&work, "1.0.0"),
        &anonymous,
        &local,
        &["package"],
    ));
    let local = local_repository(&work.join("again"));
    let reader = settings(&work, &app_url, "alice", Some(&t));
    ok(&mvn(&mixed(&work, "1.0.0"), &reader, &local, &["package"]));
    let (status, headers, _) = get(&format!("{mirror_url}{metadata}"), None);
    assert_eq!(status, 200);
    assert!(headers.contains_key("warning"), "served stale: {headers:?}");
}
