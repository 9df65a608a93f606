//! The Maven repository with the real mvn (Debian's Maven 3.8 and its
//! plugins, no Maven Central): deploy of releases and SNAPSHOTs, resolution
//! by a consumer project, immutability, generated metadata and checksums,
//! and the repository's permissions with Maven's 401-then-credentials dance.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{Server, token};
use reqwest::blocking::Client;
use sha1::Digest;

/// Debian's plugin versions, which `/usr/share/maven-repo` holds.
pub(crate) const PLUGINS: &str = r"<build><plugins>
  <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.0</version></plugin>
  <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.10.1</version></plugin>
  <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.3.0</version></plugin>
  <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-install-plugin</artifactId><version>3.1.0</version></plugin>
  <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-deploy-plugin</artifactId><version>3.0.0</version></plugin>
</plugins></build>
<properties><maven.compiler.source>17</maven.compiler.source><maven.compiler.target>17</maven.compiler.target>
<project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>";

/// A writable local repository holding Debian's plugins (absolute symlinks into
/// `/usr/share/maven-repo`), and nothing from the registry yet.
pub(crate) fn local_repository(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let repo = dir.join("m2");
    let status = Command::new("cp")
        .args(["-rs", "/usr/share/maven-repo"])
        .arg(&repo)
        .status()
        .expect("cp runs");
    assert!(status.success(), "Debian's maven-repo is installed");
    repo
}

pub(crate) fn settings(dir: &Path, url: &str, user: &str, token: Option<&str>) -> PathBuf {
    let server = token.map_or(String::new(), |t| {
        format!(
            "<server><id>entrepot</id><username>{user}</username><password>{t}</password></server>"
        )
    });
    let xml = format!(
        r"<settings>
  <mirrors><mirror><id>entrepot</id><mirrorOf>central</mirrorOf><url>{url}</url></mirror></mirrors>
  <servers>{server}</servers>
  <profiles><profile><id>entrepot</id>
    <repositories><repository><id>entrepot</id><url>{url}</url>
      <releases><enabled>true</enabled></releases><snapshots><enabled>true</enabled></snapshots>
    </repository></repositories>
  </profile></profiles>
  <activeProfiles><activeProfile>entrepot</activeProfile></activeProfiles>
</settings>"
    );
    let path = dir.join(format!("settings-{user}.xml"));
    std::fs::write(&path, xml).unwrap();
    path
}

/// The library `com.example:tiny` at `version`.
pub(crate) fn library(dir: &Path, version: &str) -> PathBuf {
    let project = dir.join(format!("tiny-{version}"));
    std::fs::create_dir_all(project.join("src/main/java/demo")).unwrap();
    std::fs::write(
        project.join("src/main/java/demo/Tiny.java"),
        format!("package demo; public class Tiny {{ public static String hi() {{ return \"hi {version}\"; }} }}\n"),
    )
    .unwrap();
    std::fs::write(
        project.join("pom.xml"),
        format!(
            r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId><artifactId>tiny</artifactId><version>{version}</version>
  <packaging>jar</packaging>
  <name>Tiny</name>
  <description>A tiny library that says hi</description>
  <url>https://example.com/tiny</url>
  <licenses><license><name>MIT</name></license></licenses>
  <scm><url>https://github.com/alice/tiny</url></scm>
  {PLUGINS}
</project>"#
        ),
    )
    .unwrap();
    project
}

/// A project depending on `com.example:tiny:version`.
pub(crate) fn consumer(dir: &Path, version: &str) -> PathBuf {
    let project = dir.join(format!("consumer-{version}"));
    std::fs::create_dir_all(project.join("src/main/java/app")).unwrap();
    std::fs::write(
        project.join("src/main/java/app/App.java"),
        "package app; public class App { public static void main(String[] a) { System.out.println(demo.Tiny.hi()); } }\n",
    )
    .unwrap();
    std::fs::write(
        project.join("pom.xml"),
        format!(
            r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId><artifactId>consumer</artifactId><version>1.0.0</version>
  <dependencies><dependency><groupId>com.example</groupId><artifactId>tiny</artifactId><version>{version}</version></dependency></dependencies>
  {PLUGINS}
</project>"#
        ),
    )
    .unwrap();
    project
}

/// The JVM options of every mvn and gradle run: each is a JVM that lives a
/// few seconds, which the quick JIT tier alone and the serial collector
/// serve best (a third less time than the defaults, which tune long-running
/// servers). What the clients send is the same.
const SHORT_JVM: &str = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

pub(crate) fn mvn(project: &Path, settings: &Path, local: &Path, args: &[&str]) -> Output {
    Command::new("mvn")
        .env("MAVEN_OPTS", SHORT_JVM)
        .arg("-B")
        .arg("-s")
        .arg(settings)
        .arg(format!("-Dmaven.repo.local={}", local.display()))
        .args(args)
        .current_dir(project)
        .output()
        .expect("mvn runs")
}

pub(crate) fn ok(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "mvn failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

pub(crate) fn deploy(project: &Path, settings: &Path, local: &Path, url: &str) -> Output {
    mvn(
        project,
        settings,
        local,
        &[
            &format!("-DaltDeploymentRepository=entrepot::{url}"),
            "deploy",
        ],
    )
}

/// PUTs `body` to `path` under the repository URL, as `user`; the status.
pub(crate) fn put_as(url: &str, user: &str, token: &str, path: &str, body: &[u8]) -> u16 {
    Client::new()
        .put(format!("{url}/{path}"))
        .basic_auth(user, Some(token))
        .body(body.to_vec())
        .send()
        .unwrap()
        .status()
        .as_u16()
}

pub(crate) fn get(
    url: &str,
    auth: Option<(&str, &str)>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = Client::new().get(url);
    if let Some((u, p)) = auth {
        req = req.basic_auth(u, Some(p));
    }
    let r = req.send().unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().unwrap().to_vec())
}

#[test]
fn mvn_deploys_releases_and_snapshots_and_a_consumer_resolves_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/hello-repo"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let url = server.url("/maven/alice/hello-repo");
    let local = local_repository(dir.path());
    let alice = settings(dir.path(), &url, "alice", Some(&t));

    // A release, with sources of its own.
    let lib = library(dir.path(), "1.0.0");
    ok(&deploy(&lib, &alice, &local, &url));
    let (status, _, xml) = get(&format!("{url}/com/example/tiny/maven-metadata.xml"), None);
    assert_eq!(
        status, 200,
        "a public repository's packages are readable anonymously"
    );
    let xml = String::from_utf8(xml).unwrap();
    assert!(
        xml.contains("<release>1.0.0</release>") && xml.contains("<version>1.0.0</version>"),
        "{xml}"
    );
    let (_, _, sha1) = get(
        &format!("{url}/com/example/tiny/maven-metadata.xml.sha1"),
        None,
    );
    assert_eq!(
        String::from_utf8(sha1).unwrap(),
        hex::encode(sha1::Sha1::digest(xml.as_bytes())),
        "the metadata and its checksum agree"
    );
    let jar = format!("{url}/com/example/tiny/1.0.0/tiny-1.0.0.jar");
    let (status, _, bytes) = get(&jar, None);
    assert_eq!(status, 200);
    let (_, _, sha256) = get(&format!("{jar}.sha256"), None);
    assert_eq!(
        String::from_utf8(sha256).unwrap(),
        hex::encode(sha2::Sha256::digest(&bytes))
    );
    let (_, _, sha512) = get(&format!("{jar}.sha512"), None);
    assert_eq!(
        sha512.len(),
        128,
        "sha512 is served though mvn did not send one"
    );

    // Releases are immutable: deploying 1.0.0 again fails.
    let again = deploy(&lib, &alice, &local, &url);
    assert!(!again.status.success());
    // mvn prints the reason phrase, which carries why.
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.contains("409") && said.contains("published files cannot be replaced"),
        "{said}"
    );

    // Two SNAPSHOT deploys: two timestamped builds, the newest in the metadata.
    let snap = library(dir.path(), "1.1.0-SNAPSHOT");
    ok(&deploy(&snap, &alice, &local, &url));
    ok(&deploy(&snap, &alice, &local, &url));
    let (status, _, xml) = get(
        &format!("{url}/com/example/tiny/1.1.0-SNAPSHOT/maven-metadata.xml"),
        None,
    );
    assert_eq!(status, 200);
    let xml = String::from_utf8(xml).unwrap();
    assert!(xml.contains("<buildNumber>2</buildNumber>"), "{xml}");
    let (_, _, top) = get(&format!("{url}/com/example/tiny/maven-metadata.xml"), None);
    let top = String::from_utf8(top).unwrap();
    assert!(
        top.contains("<latest>1.1.0-SNAPSHOT</latest>") && top.contains("<release>1.0.0</release>"),
        "{top}"
    );

    // A consumer on a fresh local repository resolves both, anonymously.
    let anonymous = settings(dir.path(), &url, "anonymous", None);
    for version in ["1.0.0", "1.1.0-SNAPSHOT"] {
        let fresh = local_repository(&dir.path().join(format!("consumer-m2-{version}")));
        let app = consumer(dir.path(), version);
        ok(&mvn(&app, &anonymous, &fresh, &["package"]));
        let resolved = fresh.join(format!("com/example/tiny/{version}"));
        assert!(
            std::fs::read_dir(&resolved).unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".jar")),
            "{version} resolved into {}",
            resolved.display()
        );
    }

    // The package page has the POM's facts and the install snippets, and
    // the consumer's download was counted.
    let (status, _, page) = get(
        &server.url("/users/alice/packages/maven/package/com.example.tiny?version=1.0.0"),
        None,
    );
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("A tiny library that says hi"));
    assert!(page.contains("Licences: MIT"));
    assert!(
        page.contains("&lt;artifactId&gt;tiny&lt;/artifactId&gt;"),
        "dependency snippet"
    );
    assert!(page.contains(&url), "repository snippet with the real URL");
    // The jar was fetched twice (by this test, then by the consumer); its
    // POM and checksums do not count.
    assert!(page.contains("2 downloads"), "{page}");
    assert!(
        page.contains("<dt>Total</dt><dd>3</dd>"),
        "and once the SNAPSHOT's jar"
    );
}

#[test]
fn a_private_repository_challenges_maven_and_hides_from_others() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    server.admin(&["repo", "create", "alice/secret", "--private"]);
    let url = server.url("/maven/alice/secret");
    let local = local_repository(dir.path());

    // Without `repo`, a private repository takes no deploy.
    let no_repo = token(&server, "alice", "read:packages,write:packages");
    let lib = library(dir.path(), "1.0.0");
    let refused = deploy(
        &lib,
        &settings(dir.path(), &url, "alice", Some(&no_repo)),
        &local,
        &url,
    );
    assert!(!refused.status.success());
    let t = token(&server, "alice", "read:packages,write:packages,repo");
    let alice = settings(dir.path(), &url, "alice", Some(&t));
    ok(&deploy(&lib, &alice, &local, &url));

    let pom = format!("{url}/com/example/tiny/1.0.0/tiny-1.0.0.pom");
    let (status, headers, _) = get(&pom, None);
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
    let (status, _, _) = get(&pom, Some(("alice", &t)));
    assert_eq!(status, 200);
    let bob = token(&server, "bob", "read:packages,repo");
    let (status, _, _) = get(&pom, Some(("bob", &bob)));
    assert_eq!(status, 404, "bob may not know it exists");

    // mvn reads without credentials first, and retries with them after the 401.
    let app = consumer(dir.path(), "1.0.0");
    let fresh = local_repository(&dir.path().join("consumer"));
    ok(&mvn(&app, &alice, &fresh, &["package"]));
    assert!(fresh.join("com/example/tiny/1.0.0/tiny-1.0.0.jar").exists());
}

#[test]
fn bad_uploads_are_refused_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/tiny"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let url = server.url("/maven/alice/tiny");
    let put = |path: &str, body: &[u8]| put_as(&url, "alice", &t, path, body);
    let jar = b"PK\x03\x04 not really a jar";
    assert_eq!(put("com/example/tiny/1.0.0/tiny-1.0.0.jar", jar), 201);
    assert_eq!(
        put(
            "com/example/tiny/1.0.0/tiny-1.0.0.jar.sha1",
            b"0000000000000000000000000000000000000000"
        ),
        400
    );
    let sha1 = hex::encode(sha1::Sha1::digest(jar));
    assert_eq!(
        put(
            "com/example/tiny/1.0.0/tiny-1.0.0.jar.sha1",
            format!("{sha1}  tiny-1.0.0.jar\n").as_bytes()
        ),
        201
    );
    assert_eq!(
        put("com/example/tiny/1.0.0/tiny-1.0.0.jar", b"other bytes"),
        409
    );
    assert_eq!(
        put("com/example/Tiny/1.0.0/Tiny-1.0.0.jar", jar),
        409,
        "an artifactId that differs only in case from one that exists"
    );
    assert_eq!(
        put("com/example/tinyImpl/1.0.0/tinyImpl-1.0.0.jar", jar),
        201,
        "uppercase artifactIds, as on Maven Central"
    );
    assert_eq!(
        put("com/example/tiny/1.0.0/../../../../etc/passwd", jar),
        400
    );
    // A POM that describes another artifact is refused, and not stored.
    let pom = br"<project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>other</artifactId><version>1.0.0</version></project>";
    assert_eq!(put("com/example/tiny/1.0.0/tiny-1.0.0.pom", pom), 400);
    let (status, _, _) = get(
        &format!("{url}/com/example/tiny/1.0.0/tiny-1.0.0.pom"),
        None,
    );
    assert_eq!(status, 404);
    // Client metadata naming another artifact is refused; the server's stays.
    let metadata =
        b"<metadata><groupId>com.example</groupId><artifactId>other</artifactId></metadata>";
    assert_eq!(put("com/example/tiny/maven-metadata.xml", metadata), 400);
    let (status, _, xml) = get(&format!("{url}/com/example/tiny/maven-metadata.xml"), None);
    assert_eq!(status, 200);
    assert!(
        String::from_utf8(xml)
            .unwrap()
            .contains("<artifactId>tiny</artifactId>")
    );
    // Anonymous deploys are challenged.
    let anonymous = Client::new()
        .put(format!("{url}/com/example/tiny/2.0.0/tiny-2.0.0.jar"))
        .body(jar.to_vec())
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    // An owner in capitals is refused with a hint, as GitHub requires lowercase.
    let upper = Client::new()
        .get(server.url("/maven/Alice/tiny/com/example/tiny/maven-metadata.xml"))
        .send()
        .unwrap();
    assert_eq!(upper.status(), 400);
}

#[test]
fn only_the_newest_snapshot_builds_are_kept_and_concurrent_deploys_lose_no_version() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let server = Server::start_in(
        dir.path(),
        &["--listen", &listen, "--maven-snapshot-builds", "2"],
        &format!("http://{listen}"),
    );
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/tiny"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let url = server.url("/maven/alice/tiny");
    let put = |path: &str, body: &[u8]| put_as(&url, "alice", &t, path, body);
    for build in 1..=3 {
        let name = format!("tiny-2.0.0-20261122.0{build}0000-{build}");
        assert_eq!(
            put(
                &format!("com/example/tiny/2.0.0-SNAPSHOT/{name}.jar"),
                &[build; 10]
            ),
            201
        );
    }
    let base = format!("{url}/com/example/tiny/2.0.0-SNAPSHOT");
    assert_eq!(
        get(&format!("{base}/tiny-2.0.0-20261122.010000-1.jar"), None).0,
        404,
        "the oldest build is gone"
    );
    assert_eq!(
        get(&format!("{base}/tiny-2.0.0-20261122.020000-2.jar"), None).0,
        200
    );
    assert_eq!(
        get(&format!("{base}/tiny-2.0.0-20261122.030000-3.jar"), None).0,
        200
    );
    let (_, _, xml) = get(&format!("{base}/maven-metadata.xml"), None);
    let xml = String::from_utf8(xml).unwrap();
    assert!(
        xml.contains("<value>2.0.0-20261122.030000-3</value>"),
        "{xml}"
    );

    // alice's cleanup rule keeps fewer builds than the server.
    let added = server.admin(&[
        "cleanup",
        "rule",
        "add",
        "alice",
        "--format",
        "maven",
        "--keep-snapshot-builds",
        "1",
    ]);
    assert!(
        String::from_utf8_lossy(&added.stdout)
            .contains("keep the 1 newest builds of each SNAPSHOT"),
        "{added:?}"
    );
    let fourth = "tiny-2.0.0-20261122.040000-4";
    assert_eq!(
        put(
            &format!("com/example/tiny/2.0.0-SNAPSHOT/{fourth}.jar"),
            &[4; 10]
        ),
        201
    );
    assert_eq!(get(&format!("{base}/{fourth}.jar"), None).0, 200);
    for gone in [
        "tiny-2.0.0-20261122.020000-2",
        "tiny-2.0.0-20261122.030000-3",
    ] {
        assert_eq!(get(&format!("{base}/{gone}.jar"), None).0, 404, "{gone}");
    }

    // Twelve versions deployed at once all end up in the metadata.
    std::thread::scope(|scope| {
        for i in 0..12 {
            let put = &put;
            scope.spawn(move || {
                let v = format!("3.{i}.0");
                assert_eq!(
                    put(&format!("com/example/tiny/{v}/tiny-{v}.jar"), &[i; 100]),
                    201
                );
            });
        }
    });
    let (_, _, xml) = get(&format!("{url}/com/example/tiny/maven-metadata.xml"), None);
    let xml = String::from_utf8(xml).unwrap();
    for i in 0..12 {
        assert!(
            xml.contains(&format!("<version>3.{i}.0</version>")),
            "3.{i}.0 missing: {xml}"
        );
    }
}

pub(crate) fn gradle_build(
    dir: &Path,
    url: &str,
    user: &str,
    token: &str,
    version: &str,
) -> Output {
    let project = dir.join(format!("gradle-{version}"));
    std::fs::create_dir_all(project.join("src/main/java/app")).unwrap();
    std::fs::write(
        project.join("src/main/java/app/App.java"),
        "package app; public class App { public static void main(String[] a) { System.out.println(demo.Tiny.hi()); } }\n",
    )
    .unwrap();
    std::fs::write(
        project.join("settings.gradle"),
        "rootProject.name = 'consumer'\n",
    )
    .unwrap();
    std::fs::write(
        project.join("build.gradle"),
        format!(
            "apply plugin: 'java'\nrepositories {{ maven {{ url '{url}'\n  credentials {{ username = '{user}'; password = '{token}' }} }} }}\n\
             dependencies {{ compile 'com.example:tiny:{version}' }}\n"
        ),
    )
    .unwrap();
    Command::new("gradle")
        .env("GRADLE_OPTS", SHORT_JVM)
        .args(["--no-daemon", "-q", "build"])
        .env("GRADLE_USER_HOME", dir.join("gradle-home"))
        .current_dir(&project)
        .output()
        .expect("gradle runs")
}

#[test]
fn the_rest_api_and_gradle_see_what_mvn_deployed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    server.admin(&["repo", "create", "alice/hello-repo", "--private"]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages,repo",
    );
    let url = server.url("/maven/alice/hello-repo");
    let local = local_repository(dir.path());
    let alice = settings(dir.path(), &url, "alice", Some(&t));
    for version in ["1.0.0", "1.1.0"] {
        ok(&deploy(&library(dir.path(), version), &alice, &local, &url));
    }

    // Bob, who has no role on the repository, cannot deploy.
    let bob_token = token(&server, "bob", "read:packages,write:packages,repo");
    let bob = settings(dir.path(), &url, "bob", Some(&bob_token));
    let refused = deploy(
        &library(&dir.path().join("bob"), "2.0.0"),
        &bob,
        &local,
        &url,
    );
    assert!(
        !refused.status.success(),
        "bob deployed to alice's repository"
    );

    // The REST API lists the package as maven, in its repository.
    let api = |method: reqwest::Method, path: &str| {
        Client::new()
            .request(method, server.url(&format!("/api/v3{path}")))
            .bearer_auth(&t)
            .send()
            .unwrap()
    };
    let listed: serde_json::Value = api(
        reqwest::Method::GET,
        "/users/alice/packages?package_type=maven",
    )
    .json()
    .unwrap();
    assert_eq!(listed[0]["name"], "com.example.tiny");
    assert_eq!(listed[0]["package_type"], "maven");
    assert_eq!(listed[0]["repository"]["full_name"], "alice/hello-repo");
    let versions: serde_json::Value = api(
        reqwest::Method::GET,
        "/users/alice/packages/maven/com.example.tiny/versions",
    )
    .json()
    .unwrap();
    let id = versions
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "1.0.0")
        .expect("1.0.0 listed")["id"]
        .as_i64()
        .unwrap();

    // Deleted through REST, 1.0.0 no longer resolves; restored, it does.
    let path = format!("/users/alice/packages/maven/com.example.tiny/versions/{id}");
    assert_eq!(api(reqwest::Method::DELETE, &path).status(), 204);
    let app = consumer(dir.path(), "1.0.0");
    let fresh = local_repository(&dir.path().join("after-delete"));
    assert!(!mvn(&app, &alice, &fresh, &["package"]).status.success());
    let metadata = Client::new()
        .get(format!("{url}/com/example/tiny/maven-metadata.xml"))
        .basic_auth("alice", Some(&t))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!metadata.contains("<version>1.0.0</version>"), "{metadata}");
    assert_eq!(
        api(reqwest::Method::POST, &format!("{path}/restore")).status(),
        204
    );
    let fresh = local_repository(&dir.path().join("after-restore"));
    ok(&mvn(&app, &alice, &fresh, &["package"]));

    // Debian's Gradle 4.4.1 resolves the release (after its 401).
    let gradle = gradle_build(dir.path(), &url, "alice", &t, "1.0.0");
    assert!(
        gradle.status.success(),
        "gradle failed:\n{}\n{}",
        String::from_utf8_lossy(&gradle.stdout),
        String::from_utf8_lossy(&gradle.stderr)
    );
}

#[test]
fn gradle_style_publishing_with_module_files_and_strong_checksums() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/tiny"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let url = server.url("/maven/alice/tiny");
    let put = |path: &str, body: &[u8]| put_as(&url, "alice", &t, path, body);
    let base = "com/example/tiny/1.0.0/tiny-1.0.0";
    let jar = b"PK\x03\x04 gradle jar".to_vec();
    let module = br#"{"formatVersion":"1.1","component":{"group":"com.example","module":"tiny","version":"1.0.0"}}"#.to_vec();
    let pom = br"<project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>tiny</artifactId><version>1.0.0</version></project>".to_vec();
    // Gradle's order: artifact, checksums (sha1, md5, sha256, sha512), module, pom, metadata.
    for (suffix, bytes) in [(".jar", &jar), (".module", &module), (".pom", &pom)] {
        assert_eq!(put(&format!("{base}{suffix}"), bytes), 201, "{suffix}");
        let sums = [
            ("sha1", hex::encode(sha1::Sha1::digest(bytes))),
            ("md5", hex::encode(md5::Md5::digest(bytes))),
            ("sha256", hex::encode(sha2::Sha256::digest(bytes))),
            ("sha512", hex::encode(sha2::Sha512::digest(bytes))),
        ];
        for (ext, sum) in &sums {
            assert_eq!(
                put(&format!("{base}{suffix}.{ext}"), sum.as_bytes()),
                201,
                "{suffix}.{ext}"
            );
            let (status, _, answer) = get(&format!("{url}/{base}{suffix}.{ext}"), None);
            assert_eq!(
                (status, String::from_utf8(answer).unwrap()),
                (200, sum.clone())
            );
        }
        assert_eq!(
            put(
                &format!("{base}{suffix}.sha512"),
                "0".repeat(128).as_bytes()
            ),
            400
        );
    }
    let (status, headers, answer) = get(&format!("{url}/{base}.module"), None);
    assert_eq!((status, answer), (200, module));
    assert_eq!(headers["content-type"], "application/json");
    let metadata = b"<metadata><groupId>com.example</groupId><artifactId>tiny</artifactId><versioning><versions><version>1.0.0</version></versions></versioning></metadata>";
    assert_eq!(put("com/example/tiny/maven-metadata.xml", metadata), 201);
    assert_eq!(
        put(
            "com/example/tiny/maven-metadata.xml.sha256",
            hex::encode(sha2::Sha256::digest(metadata)).as_bytes()
        ),
        201
    );
    // HEAD answers with the length and no body.
    let head = Client::new()
        .head(format!("{url}/{base}.jar"))
        .send()
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        jar.len().to_string().as_str()
    );
}
