//! A RubyGems mirror with the real clients: a second Entrepot holds
//! alice's private gems, and the first mirrors it as the upstream
//! `gems-up` (with alice's credentials). Bundler, pointed at the mirror in
//! place of rubygems.org (`bundle config mirror.https://rubygems.org`),
//! and `gem` install through it; and again, with fresh caches, once the
//! upstream is stopped.

use std::path::Path;

use crate::common::process::text;
use crate::common::{Server, token};
use crate::rubygems::{GemSpec, Ruby, get, project, push_host, used_compact_index, versioned_lib};

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

    // The upstream stops: fresh clients install the same from the mirror.
    upstream.sigterm();
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
