//! Organization membership over GitHub's REST shapes: owners invite
//! people (who accept, or decline) and change roles with `admin:org`,
//! never leaving the organization without an owner; members see the
//! member list, strangers do not; a member may leave. The same on the
//! organization's people page and the invitation's page.

use serde_json::{Value, json};

use crate::test_app::TestApp;
use crate::web::Browser;

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one scenario")]
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

    let invited = put(alice.clone(), "bob", "member").await;
    assert_eq!(invited.status(), 200, "{}", invited.text());
    let membership: Value = invited.json();
    assert_eq!(membership["state"], "pending");
    assert_eq!(membership["role"], "member");
    assert_eq!(membership["user"]["login"], "bob");
    assert_eq!(membership["organization"]["login"], "acme");
    let pending: Value = app
        .get("/api/v3/orgs/acme/invitations")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(pending[0]["login"], "bob", "{pending}");
    assert_eq!(pending[0]["role"], "direct_member");
    assert_eq!(pending[0]["inviter"]["login"], "alice");
    // Invited is not a member yet.
    assert_eq!(
        app.get("/api/v3/orgs/acme/members")
            .bearer(&bob)
            .send()
            .await
            .status(),
        404
    );
    let mine: Value = app
        .get("/api/v3/user/memberships/orgs/acme")
        .bearer(&bob)
        .send()
        .await
        .json();
    assert_eq!(mine["state"], "pending", "{mine}");
    let refused = app
        .patch("/api/v3/user/memberships/orgs/acme")
        .bearer(&bob)
        .json(&json!({"state": "pending"}))
        .send()
        .await;
    assert_eq!(refused.status(), 422);
    for _ in 0..2 {
        let accepted = app
            .patch("/api/v3/user/memberships/orgs/acme")
            .bearer(&bob)
            .json(&json!({"state": "active"}))
            .send()
            .await;
        assert_eq!(accepted.status(), 200, "{}", accepted.text());
        assert_eq!(accepted.json::<Value>()["state"], "active");
    }
    let none: Value = app
        .get("/api/v3/orgs/acme/invitations")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(none, json!([]));
    let orgs: Value = app
        .get("/api/v3/user/orgs")
        .bearer(&bob)
        .send()
        .await
        .json();
    assert_eq!(orgs[0]["login"], "acme", "{orgs}");
    let memberships: Value = app
        .get("/api/v3/user/memberships/orgs")
        .bearer(&bob)
        .send()
        .await
        .json();
    assert_eq!(memberships[0]["role"], "member", "{memberships}");
    assert_eq!(memberships[0]["state"], "active");
    // An invitation overtaken by a membership made another way is gone:
    // accepting it later changes no role.
    assert_eq!(put(alice.clone(), "carol", "admin").await.status(), 200);
    app.org_member("acme", "carol", entrepot_core::OrgRole::Member)
        .await;
    let late = app
        .patch("/api/v3/user/memberships/orgs/acme")
        .bearer(&carol)
        .json(&json!({"state": "active"}))
        .send()
        .await;
    assert_eq!(late.json::<Value>()["role"], "member");
    let withdrawn = app
        .delete("/api/v3/orgs/acme/memberships/carol")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(withdrawn.status(), 204);
    // A pending invitation is withdrawn by deleting the membership.
    assert_eq!(put(alice.clone(), "carol", "member").await.status(), 200);
    let withdrawn = app
        .delete("/api/v3/orgs/acme/memberships/carol")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(withdrawn.status(), 204);
    assert_eq!(
        app.get("/api/v3/orgs/acme/invitations")
            .bearer(&alice)
            .send()
            .await
            .json::<Value>(),
        json!([])
    );
    // Promoting a member is at once.
    let promoted = put(alice.clone(), "bob", "admin").await;
    assert_eq!(promoted.json::<Value>()["state"], "active");
    assert_eq!(put(alice.clone(), "bob", "member").await.status(), 200);
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

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one scenario")]
async fn the_people_page_invites_and_the_invitee_answers_on_the_invitation_page() {
    let app = TestApp::new().await;
    for user in ["alice", "bob", "carol", "dave"] {
        app.user_with_password(user, "correct horse battery").await;
    }
    app.org("acme", "alice").await;
    let alice_token = app.token("alice", "read:packages,admin:org").await;
    let signed_in = |who: &'static str| {
        let app = &app;
        async move {
            let browser = Browser::new(app);
            assert_eq!(
                browser.sign_in(who, "correct horse battery").await.status(),
                303
            );
            browser
        }
    };
    let alice = signed_in("alice").await;
    let bob = signed_in("bob").await;
    let carol = signed_in("carol").await;
    let dave = signed_in("dave").await;
    let people = "/orgs/acme/people";

    let anonymous = Browser::new(&app).get_response(people).await;
    assert_eq!(anonymous.status(), 303, "anyone else signs in first");
    assert_eq!(dave.get(people).await.0, 404, "a stranger sees nothing");
    let (status, page) = alice.get(people).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Invite someone"), "{page}");
    assert!(
        page.contains("/acme") && alice.get("/acme").await.1.contains(people),
        "the organization's page links its people for members"
    );

    let act = |browser: &'static str, fields: Vec<(&'static str, String)>| {
        let (alice, bob, carol) = (&alice, &bob, &carol);
        async move {
            let browser = match browser {
                "alice" => alice,
                "bob" => bob,
                _ => carol,
            };
            let csrf = browser.csrf(people).await;
            let mut form = vec![("csrf", csrf)];
            form.extend(fields);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.post(people, &form).await
        }
    };
    let no_csrf = alice
        .post(people, &[("action", "invite"), ("login", "bob")])
        .await;
    assert_eq!(no_csrf.status(), 400, "forms carry their CSRF token");
    let invite = |who: &'static str, role: &'static str| {
        act(
            "alice",
            vec![
                ("action", "invite".into()),
                ("login", who.into()),
                ("role", role.into()),
            ],
        )
    };
    let invited = invite("bob", "member").await;
    assert_eq!(invited.status(), 303, "{}", invited.text());
    let (_, page) = alice.get(people).await;
    assert!(page.contains("Pending invitations"), "{page}");
    let nobody = invite("nobody-here", "member").await;
    assert_eq!(nobody.status(), 422, "{}", nobody.text());

    // carol's invitation is withdrawn before she answers.
    assert_eq!(invite("carol", "owner").await.status(), 303);
    let pending: Vec<Value> = app
        .get("/api/v3/orgs/acme/invitations")
        .bearer(&alice_token)
        .send()
        .await
        .json();
    let carols = pending.iter().find(|i| i["login"] == "carol").unwrap();
    assert_eq!(carols["role"], "admin");
    let (status, page) = carol.get("/orgs/acme/invitation").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("as an owner"), "{page}");
    let withdrawn = act(
        "alice",
        vec![
            ("action", "cancel".into()),
            ("invitation", carols["id"].to_string()),
        ],
    )
    .await;
    assert_eq!(withdrawn.status(), 303, "{}", withdrawn.text());
    assert_eq!(carol.get("/orgs/acme/invitation").await.0, 404);

    // bob accepts on the invitation's page.
    let (status, page) = bob.get("/orgs/acme/invitation").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("invited you"), "{page}");
    let csrf = bob.csrf("/orgs/acme/invitation").await;
    let accepted = bob
        .post(
            "/orgs/acme/invitation",
            &[("csrf", csrf.as_str()), ("action", "accept")],
        )
        .await;
    assert_eq!(accepted.status(), 303, "{}", accepted.text());
    let (status, page) = bob.get(people).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Leave acme") && !page.contains("Invite someone"));
    assert_eq!(
        bob.get_response("/orgs/acme/invitation").await.status(),
        303,
        "a member is sent to the people page"
    );

    // carol, invited again, declines.
    assert_eq!(invite("carol", "member").await.status(), 303);
    let csrf = carol.csrf("/orgs/acme/invitation").await;
    let declined = carol
        .post(
            "/orgs/acme/invitation",
            &[("csrf", csrf.as_str()), ("action", "decline")],
        )
        .await;
    assert_eq!(declined.status(), 303);
    assert_eq!(carol.get(people).await.0, 404);
    let none: Value = app
        .get("/api/v3/orgs/acme/invitations")
        .bearer(&alice_token)
        .send()
        .await
        .json();
    assert_eq!(none, json!([]));

    // Roles change at once; the last owner stays.
    let promoted = act(
        "alice",
        vec![
            ("action", "role".into()),
            ("login", "bob".into()),
            ("role", "owner".into()),
        ],
    )
    .await;
    assert_eq!(promoted.status(), 303);
    assert!(bob.get(people).await.1.contains("Invite someone"));
    let demoted = act(
        "bob",
        vec![
            ("action", "role".into()),
            ("login", "alice".into()),
            ("role", "member".into()),
        ],
    )
    .await;
    assert_eq!(demoted.status(), 303);
    let alone = act("bob", vec![("action", "leave".into())]).await;
    assert_eq!(alone.status(), 422, "the last owner cannot leave");
    let removed = act(
        "bob",
        vec![("action", "remove".into()), ("login", "alice".into())],
    )
    .await;
    assert_eq!(removed.status(), 303);
    assert_eq!(alice.get(people).await.0, 404, "alice is gone");
}
