//! Cleanup rules over the REST API: a preview (of saved rules and of one
//! not saved yet) names exactly what a run then removes, the removed
//! versions are gone from the client's index and restorable, and only the
//! owner changes its rules.

use serde_json::{Value, json};

use crate::common::artifacts::{gem_of, gemspec};
use crate::test_app::TestApp;

/// alice's gems: `snap` 1.0.0 to 4.0.0 and `keep` 1.0.0 and 2.0.0.
pub async fn app_with_gems() -> (TestApp, String) {
    let app = TestApp::new().await;
    app.user("alice").await;
    app.user("bob").await;
    let alice = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    for (name, version) in [
        ("snap", "1.0.0"),
        ("snap", "2.0.0"),
        ("snap", "3.0.0"),
        ("snap", "4.0.0"),
        ("keep", "1.0.0"),
        ("keep", "2.0.0"),
    ] {
        let pushed = app
            .post("/rubygems/alice/api/v1/gems")
            .header("authorization", &alice)
            .body(gem_of(&gemspec(name, version, None), false))
            .send()
            .await;
        assert_eq!(pushed.status(), 200, "{}", pushed.text());
    }
    (app, alice)
}

/// `package version` of each removal listed.
fn names(removals: &Value) -> Vec<String> {
    removals
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["package"].as_str().unwrap(),
                r["version"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preview_names_what_a_run_removes_and_it_can_be_restored() {
    let (app, alice) = app_with_gems().await;
    let unsaved = json!({"pattern": "snap", "keep_newest": 2});
    let before: Value = app
        .post("/api/v3/user/cleanup/preview")
        .bearer(&alice)
        .json(&unsaved)
        .send()
        .await
        .json();
    assert_eq!(before["rules"][0]["id"], 0, "the unsaved rule: {before}");
    assert_eq!(names(&before["all"]), ["snap 2.0.0", "snap 1.0.0"]);

    for rule in [
        unsaved,
        json!({"format": "rubygems", "keep_pattern": "2\\..*", "older_than": "1d"}),
    ] {
        let added = app
            .post("/api/v3/user/cleanup/rules")
            .bearer(&alice)
            .json(&rule)
            .send()
            .await;
        assert_eq!(added.status(), 201, "{}", added.text());
    }
    let rules: Value = app
        .get("/api/v3/user/cleanup/rules")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(
        rules[0]["description"],
        "all packages matching `snap`: keep the 2 newest; remove the rest"
    );
    assert_eq!(rules[1]["older_than"], "1d");
    let preview: Value = app
        .post("/api/v3/user/cleanup/preview")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(names(&preview["all"]), ["snap 2.0.0", "snap 1.0.0"]);
    assert!(
        preview["rules"][1]["removes"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing is a day old: {preview}"
    );

    let run: Value = app
        .post("/api/v3/user/cleanup/run")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(
        run["removed"], preview["all"],
        "the run removes the preview"
    );
    let info = app
        .get("/rubygems/alice/info/snap")
        .bearer(&alice)
        .send()
        .await
        .text();
    assert!(
        !info.contains("\n1.0.0 ") && info.contains("\n3.0.0 "),
        "{info}"
    );
    let again: Value = app
        .post("/api/v3/user/cleanup/preview")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert!(again["all"].as_array().unwrap().is_empty(), "{again}");

    let id = preview["all"][1]["version_id"].as_i64().unwrap();
    let restored = app
        .post(&format!(
            "/api/v3/user/packages/rubygems/snap/versions/{id}/restore"
        ))
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(restored.status(), 204, "{}", restored.text());
    let info = app
        .get("/rubygems/alice/info/snap")
        .bearer(&alice)
        .send()
        .await
        .text();
    assert!(info.contains("\n1.0.0 "), "restored: {info}");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_owner_changes_its_rules_and_bad_rules_are_refused() {
    let (app, alice) = app_with_gems().await;
    let bob = app.token("bob", "read:packages,write:packages").await;
    let rule = json!({"keep_newest": 1});
    let refused = app
        .post("/api/v3/users/alice/cleanup/rules")
        .bearer(&bob)
        .json(&rule)
        .send()
        .await;
    assert_eq!(refused.status(), 403, "{}", refused.text());
    let run = app
        .post("/api/v3/users/alice/cleanup/run")
        .bearer(&bob)
        .send()
        .await;
    assert_eq!(run.status(), 403, "{}", run.text());
    let anonymous = app.get("/api/v3/users/alice/cleanup/rules").send().await;
    assert_eq!(anonymous.status(), 401);
    let read_only = app.token("alice", "read:packages").await;
    let scoped = app
        .post("/api/v3/user/cleanup/rules")
        .bearer(&read_only)
        .json(&rule)
        .send()
        .await;
    assert_eq!(scoped.status(), 403, "{}", scoped.text());

    for (bad, said) in [
        (json!({}), "something to decide by"),
        (
            json!({"pattern": "(", "keep_newest": 1}),
            "not a regular expression",
        ),
        (json!({"older_than": "soon"}), "not a lifetime"),
        (
            json!({"format": "floppy", "keep_newest": 1}),
            "not a package format",
        ),
        (json!({"keep_newest": 1, "colour": "red"}), "colour"),
    ] {
        let answer = app
            .post("/api/v3/user/cleanup/rules")
            .bearer(&alice)
            .json(&bad)
            .send()
            .await;
        assert_eq!(answer.status(), 422, "{bad}: {}", answer.text());
        assert!(answer.text().contains(said), "{bad}: {}", answer.text());
    }
    let added: Value = app
        .post("/api/v3/user/cleanup/rules")
        .bearer(&alice)
        .json(&rule)
        .send()
        .await
        .json();
    let path = format!("/api/v3/user/cleanup/rules/{}", added["id"]);
    assert_eq!(app.delete(&path).bearer(&alice).send().await.status(), 204);
    assert_eq!(app.delete(&path).bearer(&alice).send().await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn many_versions_are_deleted_and_restored_at_once_after_a_dry_run() {
    let (app, alice) = app_with_gems().await;
    let listed: Value = app
        .get("/api/v3/user/packages/rubygems/snap/versions")
        .bearer(&alice)
        .send()
        .await
        .json();
    let id_of = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (one, two) = (id_of("1.0.0"), id_of("2.0.0"));
    let bulk = |body: Value| {
        app.post("/api/v3/user/packages/rubygems/snap/versions/bulk")
            .bearer(&alice)
            .json(&body)
            .send()
    };
    let info = || async {
        app.get("/rubygems/alice/info/snap")
            .bearer(&alice)
            .send()
            .await
            .text()
    };
    let dry: Value = bulk(json!({"action": "delete", "version_ids": [one, two], "dry_run": true}))
        .await
        .json();
    let dry_names: Vec<&str> = dry["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(dry_names, ["1.0.0", "2.0.0"]);
    assert!(
        info().await.contains("\n1.0.0 "),
        "a dry run removes nothing"
    );
    let done = bulk(json!({"action": "delete", "version_ids": [one, two]})).await;
    assert_eq!(done.status(), 200, "{}", done.text());
    let text = info().await;
    assert!(
        !text.contains("\n1.0.0 ") && !text.contains("\n2.0.0 "),
        "{text}"
    );

    let (three, four) = (id_of("3.0.0"), id_of("4.0.0"));
    let every = bulk(json!({"action": "delete", "version_ids": [three, four]})).await;
    assert_eq!(every.status(), 422, "{}", every.text());
    assert!(
        every.text().contains("keep at least one"),
        "{}",
        every.text()
    );
    let twice = bulk(json!({"action": "delete", "version_ids": [one]})).await;
    assert_eq!(twice.status(), 422, "{}", twice.text());
    let unknown = bulk(json!({"action": "delete", "version_ids": [999_999]})).await;
    assert_eq!(unknown.status(), 404, "{}", unknown.text());

    let restored = bulk(json!({"action": "restore", "version_ids": [one, two]})).await;
    assert_eq!(restored.status(), 200, "{}", restored.text());
    let text = info().await;
    assert!(
        text.contains("\n1.0.0 ") && text.contains("\n2.0.0 "),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_deletion_by_filter_takes_what_the_rule_would() {
    let (app, alice) = app_with_gems().await;
    let bulk = |body: Value| {
        app.post("/api/v3/user/packages/rubygems/snap/versions/bulk")
            .bearer(&alice)
            .json(&body)
            .send()
    };
    let filter = json!({"keep_newest": 2, "keep_pattern": "1\\..*"});
    let dry: Value = bulk(json!({"action": "delete", "filter": filter, "dry_run": true}))
        .await
        .json();
    let names: Vec<&str> = dry["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2.0.0"], "{dry}");
    for (body, said) in [
        (
            json!({"action": "delete", "filter": {"pattern": "snap", "keep_newest": 1}}),
            "takes no `format`, `pattern`",
        ),
        (
            json!({"action": "restore", "filter": {"keep_newest": 1}}),
            "restore by `version_ids`",
        ),
        (
            json!({"action": "delete", "filter": {"keep_newest": 1}, "version_ids": [1]}),
            "not both",
        ),
        (
            json!({"action": "delete", "filter": {"keep_newest": 10}}),
            "no version matches",
        ),
        (
            json!({"action": "delete", "filter": {"keep_newest": 0}}),
            "keep at least the newest",
        ),
    ] {
        let answer = bulk(body.clone()).await;
        assert_eq!(answer.status(), 422, "{body}: {}", answer.text());
        assert!(answer.text().contains(said), "{body}: {}", answer.text());
    }
    let done = bulk(json!({"action": "delete", "filter": filter})).await;
    assert_eq!(done.status(), 200, "{}", done.text());
    let info = app
        .get("/rubygems/alice/info/snap")
        .bearer(&alice)
        .send()
        .await
        .text();
    assert!(!info.contains("\n2.0.0 "), "{info}");
    assert!(
        info.contains("\n1.0.0 ") && info.contains("\n4.0.0 "),
        "{info}"
    );

    // Only who may delete the package learns what the filter matches.
    let bob = app
        .token("bob", "read:packages,write:packages,delete:packages")
        .await;
    let other = app
        .post("/api/v3/users/alice/packages/rubygems/snap/versions/bulk")
        .bearer(&bob)
        .json(&json!({"action": "delete", "filter": {"keep_newest": 1}, "dry_run": true}))
        .send()
        .await;
    assert_eq!(other.status(), 404, "{}", other.text());
}
