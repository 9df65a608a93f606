//! Organization membership over GitHub's REST shapes: owners add members
//! and change roles with `admin:org`, never leaving the organization
//! without an owner; members see the member list, strangers do not; a
//! member may leave.

use serde_json::{Value, json};

use crate::test_app::TestApp;

#[tokio::test]
async fn owners_manage_members_and_members_may_leave() {
    let app = TestApp::new().await;
    for user in ["alice", "bob", "carol"] {
        app.user(user).await;
    }
    app.org("acme", "alice").await;
    let alice = app.token("alice", "read:packages,admin:org").await;
    let alice_plain = app.token("alice", "read:packages").await;
    let bob = app.token("bob", "read:packages,admin:org").await;
    let carol = app.token("carol", "read:packages").await;
    let put = |token: String, who: &'static str, role: &'static str| {
        let app = &app;
        async move {
            app.put(&format!("/api/v3/orgs/acme/memberships/{who}"))
                .bearer(&token)
                .json(&json!({"role": role}))
                .send()
                .await
        }
    };

    let added = put(alice.clone(), "bob", "member").await;
    assert_eq!(added.status(), 200, "{}", added.text());
    let membership: Value = added.json();
    assert_eq!(membership["state"], "active");
    assert_eq!(membership["role"], "member");
    assert_eq!(membership["user"]["login"], "bob");
    assert_eq!(membership["organization"]["login"], "acme");
    assert_eq!(
        put(alice_plain.clone(), "carol", "member").await.status(),
        403
    );
    assert_eq!(put(bob.clone(), "carol", "member").await.status(), 403);
    assert_eq!(put(carol.clone(), "carol", "member").await.status(), 404);

    let listed = |token: String| {
        let app = &app;
        async move {
            app.get("/api/v3/orgs/acme/members")
                .bearer(&token)
                .send()
                .await
        }
    };
    let members: Vec<Value> = listed(bob.clone()).await.json();
    let logins: Vec<&str> = members
        .iter()
        .map(|m| m["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["alice", "bob"]);
    assert_eq!(listed(carol.clone()).await.status(), 404);

    // Never without an owner.
    let demoted = put(alice.clone(), "alice", "member").await;
    assert_eq!(demoted.status(), 409, "{}", demoted.text());
    let last = app
        .delete("/api/v3/orgs/acme/members/alice")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(last.status(), 409);

    // A member leaves.
    let left = app
        .delete("/api/v3/orgs/acme/memberships/bob")
        .bearer(&bob)
        .send()
        .await;
    assert_eq!(left.status(), 204, "{}", left.text());
    assert_eq!(listed(bob.clone()).await.status(), 404);
    let gone = app
        .get("/api/v3/orgs/acme/memberships/bob")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(gone.status(), 404);
}
