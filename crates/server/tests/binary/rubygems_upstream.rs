//! A RubyGems mirror with the real clients: a second Entrepot holds
//! alice's private gems, and the first mirrors it as the upstream
//! `gems-up` (with alice's credentials). Bundler, pointed at the mirror in
//! place of rubygems.org (`bundle config mirror.https://rubygems.org`),
//! and `gem` install through it; Bundler installs bob's own gem, whose
//! dependencies come from the upstream his source falls through to; and
//! all again, with fresh caches, once the upstream is stopped.

use std::path::Path;

use crate::common::process::text;
use crate::common::{Server, token};
use crate::rubygems::{
    GemSpec, Ruby, get, project, push_host, source, used_compact_index, versioned_lib,
};

/// Bundler with the mirror standing in for rubygems.org; the Gemfile
/// names rubygems.org.
fn bundler_on_mirror(work: &Path, name: &str, mirror: &str) -> (Ruby, std::path::PathBuf) {
    let bundler = Ruby::new(work, name);
    bundler.ok(
        work,
        "bundle",
        &[
            "config",
            "set",
            "--global",
            "mirror.https://rubygems.org",
            mirror,
        ],
    );
    let app = project(
        &bundler,
        work,
        &format!("{name}-app"),
        "https://rubygems.org",
        &["appgem"],
    );
    (bundler, app)
}

/// Bundler on bob's own source, which falls through to the upstream:
/// bob's `bobgem` depends on the upstream's `appgem`.
fn bundle_bobs_project(server: &Server, work: &Path, name: &str, bob: &str) {
    let bundler = Ruby::new(work, name);
    let url = source(server, "bob", None);
    bundler.ok(
        work,
        "bundle",
        &["config", "set", "--global", &url, &format!("bob:{bob}")],
    );
    let app = project(&bundler, work, &format!("{name}-app"), &url, &["bobgem"]);
    bundler.ok(&app, "bundle", &["install"]);
    let lock = std::fs::read_to_string(app.join("Gemfile.lock")).unwrap();
    assert!(
        lock.contains("    bobgem (1.0.0)\n      appgem (~> 1.0)\n")
            && lock.contains("    basegem (1.0.0)\n"),
        "{lock}"
    );
    let hi = ["exec", "ruby", "-e", "require 'bobgem'; print Bobgem.hi"];
    assert_eq!(
        bundler.ok(&app, "bundle", &hi),
        "bob and hi from appgem on basegem 1.0.0"
    );
}

/// bob's source falls through to the upstream, and bob pushes a gem of
/// his own that depends on the upstream's.
fn fall_through_for_bob(server: &Server, work: &Path, pusher: &Ruby) -> String {
    server.admin(&[
        "owner",
        "fallthrough",
        "bob",
        "--format",
        "rubygems",
        "--upstream",
        "gems-up",
    ]);
    let bob = token(server, "bob", "read:packages,write:packages");
    let spec = GemSpec {
        name: "bobgem",
        version: "1.0.0",
        extra: r#"  spec.add_dependency "appgem", "~> 1.0""#,
        lib: "require \"appgem\"\n\nmodule Bobgem\n  def self.hi\n    \"bob and \" + Appgem.hi\n  end\nend\n",
    };
    let out = pusher.push(
        &spec.build(pusher, work),
        &push_host(server, "bob"),
        Some(&bob),
    );
    assert!(out.status.success(), "{}", text(&out));
    bob
}

#[test]
fn bundler_and_gem_install_through_a_mirror_and_again_with_the_upstream_down() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    std::fs::create_dir_all(work.join("upstream")).unwrap();
    let mut upstream = Server::start(&work.join("upstream"));
    upstream.admin(&["user", "create", "alice"]);
    let t = token(&upstream, "alice", "read:packages,write:packages");
    let pusher = Ruby::new(work, "pusher");
    let host = push_host(&upstream, "alice");
    for spec in [
        GemSpec {
            name: "basegem",
            version: "1.0.0",
            extra: "",
            lib: &versioned_lib("Basegem", "1.0.0"),
        },
        GemSpec {
            name: "appgem",
            version: "1.0.0",
            extra: r#"  spec.add_dependency "basegem", "~> 1.0""#,
            lib: "require \"basegem\"\n\nmodule Appgem\n  def self.hi\n    \"hi from appgem on basegem \" + Basegem::VERSION\n  end\nend\n",
        },
    ] {
        let out = pusher.push(&spec.build(&pusher, work), &host, Some(&t));
        assert!(out.status.success(), "{}", text(&out));
    }

    std::fs::create_dir_all(work.join("mirror")).unwrap();
    let server = Server::start(&work.join("mirror"));
    server.admin(&["user", "create", "bob"]);
    server.admin_input(
        &[
            "upstream",
            "add",
            "gems-up",
            "--format",
            "rubygems",
            "--url",
            &upstream.url("/rubygems/alice/"),
            "--username",
            "alice",
            "--password-stdin",
            "--metadata-ttl",
            "0",
        ],
        Some(&t),
    );
    let mirror = server.url("/rubygems/gems-up/");

    // The compact index goes out as the upstream wrote it.
    let (_, _, theirs) = get(
        &upstream.url("/rubygems/alice/info/appgem"),
        Some(("alice", &t)),
    );
    let (status, headers, ours) = get(&server.url("/rubygems/gems-up/info/appgem"), None);
    assert_eq!(status, 200);
    assert_eq!(ours, theirs, "byte for byte");
    let md5 = format!("\"{}\"", hex::encode(md5_of(&ours)));
    assert_eq!(headers["etag"], md5.as_str(), "the ETag Bundler checks");

    let (bundler, app) = bundler_on_mirror(work, "bundler", &mirror);
    bundler.ok(&app, "bundle", &["install"]);
    let lock = std::fs::read_to_string(app.join("Gemfile.lock")).unwrap();
    assert!(
        lock.contains("    appgem (1.0.0)\n      basegem (~> 1.0)\n"),
        "{lock}"
    );
    assert!(used_compact_index(&bundler), "Bundler read /versions");
    let hi = ["exec", "ruby", "-e", "require 'appgem'; print Appgem.hi"];
    assert_eq!(
        bundler.ok(&app, "bundle", &hi),
        "hi from appgem on basegem 1.0.0"
    );
    let gem_user = Ruby::new(work, "gem-user");
    let out = gem_user.install("appgem", &mirror, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(gem_user.installed(), ["appgem-1.0.0", "basegem-1.0.0"]);

    // Nothing is pushed to a mirror.
    let refused = pusher.push(
        &GemSpec {
            name: "mine",
            version: "1.0.0",
            extra: "",
            lib: &versioned_lib("Mine", "1.0.0"),
        }
        .build(&pusher, work),
        &push_host(&server, "gems-up"),
        Some(&token(&server, "bob", "read:packages,write:packages")),
    );
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(text(&refused).contains("read-only"), "{}", text(&refused));

    // bob's own source, falling through to the upstream for the rest.
    let bob = fall_through_for_bob(&server, work, &pusher);
    bundle_bobs_project(&server, work, "bob-bundler", &bob);

    // The upstream stops: fresh clients install the same from the mirror.
    upstream.sigterm();
    bundle_bobs_project(&server, work, "bob-later", &bob);
    let (later, app) = bundler_on_mirror(work, "later", &mirror);
    later.ok(&app, "bundle", &["install"]);
    assert_eq!(
        later.ok(&app, "bundle", &hi),
        "hi from appgem on basegem 1.0.0"
    );
    let gem_later = Ruby::new(work, "gem-later");
    let out = gem_later.install("appgem", &mirror, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let out = gem_later.install("ghostgem", &mirror, &[]);
    assert!(!out.status.success(), "an uncached gem is not invented");
}

fn md5_of(bytes: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(bytes).into()
}
