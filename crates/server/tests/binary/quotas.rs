//! Quotas through the real clients: with alice over her quota, npm, twine,
//! mvn, gem, NuGet.exe, cargo and skopeo each fail saying which quota and
//! how much is used,
//! nothing is left behind (fsck is clean, usage unchanged), and with room
//! again the same publishes go through.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::npm::{NpmUser, package};
use crate::common::{Server, token};

fn all_output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What `admin usage alice` says of her total.
fn usage(server: &Server) -> String {
    let out = server.admin(&["usage", "alice"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Each client's publish as alice; `Ok` when it succeeded, else what it said.
struct Clients<'a> {
    server: &'a Server,
    dir: &'a Path,
    token: &'a str,
}

impl Clients<'_> {
    fn npm(&self, version: &str) -> Output {
        let alice = NpmUser::new(self.server, &["alice"], Some(self.token));
        alice.npm(&package(self.dir, "@alice/big", version), &["publish"])
    }

    fn twine(&self, version: &str) -> Output {
        let python = crate::pypi::Python::new(&self.dir.join(format!("py-{version}")));
        let wheel = self
            .dir
            .join(format!("tiny_pkg-{version}-py3-none-any.whl"));
        std::fs::write(
            &wheel,
            crate::common::artifacts::wheel_of("tiny-pkg", version),
        )
        .unwrap();
        let url = crate::pypi::upload_url(self.server, "alice");
        python.twine_upload(&url, "__token__", self.token, &[wheel])
    }

    fn mvn(&self, version: &str) -> Output {
        use crate::maven::{deploy, library, local_repository, settings};
        let url = self.server.url("/maven/alice/tiny");
        let local = local_repository(self.dir);
        let alice = settings(self.dir, &url, "alice", Some(self.token));
        deploy(&library(self.dir, version), &alice, &local, &url)
    }

    fn gem(&self, version: &str) -> Output {
        use crate::rubygems::{GemSpec, Ruby, push_host, versioned_lib};
        let ruby = Ruby::new(self.dir, &format!("quota-{version}"));
        let gem = GemSpec {
            name: "biggem",
            version,
            extra: "",
            lib: &versioned_lib("Biggem", version),
        }
        .build(&ruby, self.dir);
        ruby.push(&gem, &push_host(self.server, "alice"), Some(self.token))
    }

    fn nuget(&self, version: &str) -> Output {
        use crate::nuget::{NuGet, feed_config};
        let config = feed_config(self.dir, self.server, "alice", Some(("alice", self.token)));
        let nuget = NuGet::new(self.dir, &format!("quota-{version}"), &config);
        let nupkg = nuget.pack("Big.Quota", version, "");
        nuget.push(&nupkg, self.token)
    }

    fn cargo(&self, version: &str) -> Output {
        let index = format!("sparse+{}", self.server.url("/cargo/alice/index/"));
        let cargo = crate::cargo::Cargo::new(self.dir, &format!("quota-{version}"), &index);
        let project = crate::cargo::library(self.dir, "big_quota", version, "", None);
        cargo.run(
            &project,
            Some(self.token),
            &[
                "publish",
                "--registry",
                "entrepot",
                "--allow-dirty",
                "--no-verify",
            ],
        )
    }

    fn skopeo(&self, tag: &str) -> Output {
        let layout = format!("layout-{tag}");
        if !self.dir.join(&layout).exists() {
            crate::oci::build_image(self.dir, &layout, &format!("a layer for {tag}"));
        }
        let host = self.server.base.trim_start_matches("http://");
        Command::new("skopeo")
            .args([
                "copy",
                "--dest-tls-verify=false",
                "--dest-creds",
                &format!("alice:{}", self.token),
                &format!("oci:{}:1", self.dir.join(&layout).display()),
                &format!("docker://{host}/alice/big:{tag}"),
            ])
            .output()
            .expect("skopeo runs")
    }
}

#[test]
fn every_client_over_the_quota_is_refused_saying_why_and_nothing_stays() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/tiny"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let clients = Clients {
        server: &server,
        dir: dir.path(),
        token: &t,
    };
    let set = server.admin(&["quota", "set", "alice", "--bytes", "10"]);
    assert!(
        String::from_utf8_lossy(&set.stdout).starts_with("alice\tall\t10 B\t"),
        "{set:?}"
    );
    let before = usage(&server);

    let refusals: [(&str, Output); 7] = [
        ("npm", clients.npm("1.0.0")),
        ("twine", clients.twine("1.0.0")),
        ("mvn", clients.mvn("1.0.0")),
        ("gem", clients.gem("1.0.0")),
        ("nuget", clients.nuget("1.0.0")),
        ("cargo", clients.cargo("1.0.0")),
        ("skopeo", clients.skopeo("v1")),
    ];
    for (client, out) in &refusals {
        let said = all_output(out);
        // Shown when the test fails, or with --nocapture.
        eprintln!("--- {client} said:\n{said}");
        assert!(!out.status.success(), "{client} was refused: {said}");
        assert!(
            said.contains("quota exceeded: alice's packages use"),
            "{client} says which quota: {said}"
        );
    }
    assert_eq!(usage(&server), before, "nothing kept");
    server.assert_fsck_clean();

    // With room, the same publishes go through.
    server.admin(&[
        "quota",
        "set",
        "alice",
        "--bytes",
        "100MiB",
        "--versions",
        "1",
    ]);
    for (client, out) in [
        ("npm", clients.npm("1.0.0")),
        ("twine", clients.twine("1.0.0")),
        ("mvn", clients.mvn("1.0.0")),
        ("gem", clients.gem("1.0.0")),
        ("nuget", clients.nuget("1.0.0")),
        ("cargo", clients.cargo("1.0.0")),
        ("skopeo", clients.skopeo("v1")),
    ] {
        assert!(out.status.success(), "{client}: {}", all_output(&out));
    }
    // One version per package: the second is refused, naming the count.
    let second = clients.npm("2.0.0");
    assert!(!second.status.success());
    assert!(
        all_output(&second).contains("has 1 versions"),
        "{}",
        all_output(&second)
    );
    server.assert_fsck_clean();
}
