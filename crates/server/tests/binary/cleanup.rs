//! Cleanup rules through `entrepot admin cleanup` with the real npm CLI
//! before and after: the preview names what the run removes, and npm then
//! installs the kept versions and not the removed ones; and an immutable
//! dist-tag npm cannot move.

use crate::common::npm::{NpmUser, package, project};
use crate::common::{Server, token};

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_rule_previewed_then_run_leaves_npm_the_kept_versions() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let alice = NpmUser::new(&server, &["alice"], Some(&t));
    let work = alice.dir.path();
    for version in ["1.0.0", "1.1.0", "2.0.0", "2.1.0", "3.0.0"] {
        alice.npm_ok(&package(work, "@alice/snap", version), &["publish"]);
    }
    alice.npm_ok(&package(work, "@alice/other", "1.0.0"), &["publish"]);

    let added = stdout(&server.admin(&[
        "cleanup",
        "rule",
        "add",
        "alice",
        "--format",
        "npm",
        "--pattern",
        "@alice/snap",
        "--keep-newest",
        "2",
        "--keep-pattern",
        r"1\.0\.0",
    ]));
    assert!(
        added.contains(
            "npm packages matching `@alice/snap`: keep the 2 newest and versions matching"
        ),
        "{added}"
    );
    let listed = stdout(&server.admin(&["cleanup", "rule", "list", "alice"]));
    assert_eq!(listed, added);
    let preview = stdout(&server.admin(&["cleanup", "preview", "alice"]));
    assert!(
        preview.ends_with(
            "all rules together remove 2:\n  npm @alice/snap 2.0.0\n  npm @alice/snap 1.1.0\n"
        ),
        "{preview}"
    );
    let run = stdout(&server.admin(&["cleanup", "run", "alice"]));
    assert_eq!(
        run,
        "removed alice npm @alice/snap 2.0.0\nremoved alice npm @alice/snap 1.1.0\n"
    );

    let consumer = NpmUser::new(&server, &["alice"], Some(&t));
    let app = project(consumer.dir.path(), "app");
    for kept in ["1.0.0", "2.1.0", "3.0.0"] {
        consumer.npm_ok(&app, &["install", &format!("@alice/snap@{kept}")]);
    }
    let removed = consumer.npm(&app, &["install", "@alice/snap@1.1.0"]);
    assert!(!removed.status.success(), "1.1.0 was removed");
    consumer.npm_ok(&app, &["install", "@alice/other@1.0.0"]);

    // npm lists the kept versions only, and nothing is left to remove.
    let view = consumer.npm_ok(&app, &["view", "@alice/snap", "versions", "--json"]);
    assert_eq!(
        view.split_whitespace().collect::<String>(),
        r#"["1.0.0","2.1.0","3.0.0"]"#
    );
    let again = stdout(&server.admin(&["cleanup", "preview", "alice"]));
    assert!(again.ends_with("all rules together remove 0:\n"), "{again}");

    // An immutable dist-tag: set once, then npm cannot move or remove it.
    let rule = stdout(&server.admin(&[
        "immutable-tags",
        "add",
        "alice",
        "--format",
        "npm",
        "stable*",
    ]));
    assert!(rule.ends_with("\talice\tnpm\tstable*\n"), "{rule}");
    alice.npm_ok(work, &["dist-tag", "add", "@alice/snap@2.1.0", "stable"]);
    for refused in [
        vec!["dist-tag", "add", "@alice/snap@3.0.0", "stable"],
        vec!["dist-tag", "rm", "@alice/snap", "stable"],
    ] {
        let out = alice.npm(work, &refused);
        assert!(!out.status.success(), "{refused:?}");
        assert!(
            crate::common::process::text(&out).contains("immutable"),
            "{refused:?}: {}",
            crate::common::process::text(&out)
        );
    }
    let tags = alice.npm_ok(work, &["dist-tag", "ls", "@alice/snap"]);
    assert!(tags.contains("stable: 2.1.0"), "{tags}");
}
