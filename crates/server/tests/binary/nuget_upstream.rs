//! A NuGet mirror with the real NuGet.exe: a second Entrepot holds
//! alice's private packages, and the first mirrors its feed as the
//! upstream `nuget-up` (with alice's credentials). NuGet.exe installs a
//! package and its dependency through the mirror alone; installs alice's
//! own package, whose dependencies come from the upstream her feed falls
//! through to; and all again, with a fresh home, once the upstream is
//! stopped.

use crate::common::process::text;
use crate::common::{Server, server_with_alice, token};
use crate::nuget::{NuGet, assert_said, feed_config, readme};

/// alice's feed on `server` falls through to the upstream, and holds her
/// own `Own.Lib`, which depends on the upstream's `App.Lib`; its
/// `nuget.config`.
fn fall_through_for_alice(server: &Server, work: &std::path::Path) -> std::path::PathBuf {
    server.admin(&[
        "owner",
        "fallthrough",
        "alice",
        "--format",
        "nuget",
        "--upstream",
        "nuget-up",
    ]);
    let alice = token(server, "alice", "read:packages,write:packages");
    let config = feed_config(work, server, "alice", Some(("alice", &alice)));
    let pusher = NuGet::new(work, "own-pusher", &config);
    let dependent = r#"<dependencies><dependency id="App.Lib" version="2.0.0" /></dependencies>"#;
    let own = pusher.pack("Own.Lib", "1.0.0", dependent);
    assert_said(&pusher.push(&own, &alice), "Your package was pushed.");
    config
}

/// NuGet.exe with a fresh home installs alice's own package from her feed,
/// its dependencies through the fall-through.
fn install_from_alices_feed(work: &std::path::Path, name: &str, config: &std::path::Path) {
    let nuget = NuGet::new(work, name, config);
    assert_said(
        &nuget.install("Own.Lib", &[]),
        "Successfully installed 'Own.Lib 1.0.0'",
    );
    assert_eq!(
        nuget.installed(),
        ["App.Lib.2.0.0", "Base.Lib.1.0.0", "Own.Lib.1.0.0"]
    );
}

#[test]
fn nuget_exe_installs_through_a_mirror_and_again_with_the_upstream_down() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    std::fs::create_dir_all(work.join("upstream")).unwrap();
    let (mut upstream, t) = server_with_alice(&work.join("upstream"));
    let config = feed_config(work, &upstream, "alice", Some(("alice", &t)));
    let pusher = NuGet::new(work, "pusher", &config);
    let base = pusher.pack("Base.Lib", "1.0.0", "");
    assert_said(&pusher.push(&base, &t), "Your package was pushed.");
    let dependent = r#"<dependencies><dependency id="Base.Lib" version="1.0.0" /></dependencies>"#;
    let app = pusher.pack("App.Lib", "2.0.0", dependent);
    assert_said(&pusher.push(&app, &t), "Your package was pushed.");

    std::fs::create_dir_all(work.join("mirror")).unwrap();
    let (server, _) = server_with_alice(&work.join("mirror"));
    server.admin_input(
        &[
            "upstream",
            "add",
            "nuget-up",
            "--format",
            "nuget",
            "--url",
            &upstream.url("/nuget/alice/"),
            "--username",
            "alice",
            "--password-stdin",
            "--metadata-ttl",
            "0",
        ],
        Some(&t),
    );
    let mirror = feed_config(work, &server, "nuget-up", None);
    let consumer = NuGet::new(work, "consumer", &mirror);
    assert_said(
        &consumer.install("App.Lib", &[]),
        "Successfully installed 'App.Lib 2.0.0'",
    );
    assert_eq!(consumer.installed(), ["App.Lib.2.0.0", "Base.Lib.1.0.0"]);
    assert_eq!(
        readme(&consumer.inst(), "Base.Lib.1.0.0"),
        "Base.Lib 1.0.0\n"
    );

    // Nothing is pushed to a mirror: its service index offers no push.
    let alice = token(&server, "alice", "read:packages,write:packages");
    let refused = NuGet::new(work, "refused", &mirror).push(&base, &alice);
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("does not support updating packages"),
        "{}",
        text(&refused)
    );

    let own = fall_through_for_alice(&server, work);
    install_from_alices_feed(work, "own", &own);

    // The upstream stops: a fresh home installs the same from the mirror.
    upstream.sigterm();
    install_from_alices_feed(work, "own-later", &own);
    let later = NuGet::new(work, "later", &mirror);
    assert_said(
        &later.install("App.Lib", &[]),
        "Successfully installed 'App.Lib 2.0.0'",
    );
    assert_eq!(later.installed(), ["App.Lib.2.0.0", "Base.Lib.1.0.0"]);
    let ghost = later.install("Ghost.Lib", &[]);
    assert!(
        !ghost.status.success(),
        "an uncached package is not invented"
    );
}
