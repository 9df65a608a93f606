//! The permission matrix: actor × visibility × scopes × action × registry kind.
//! Each row is one line so that the table reads like GitHub's documentation.

use super::*;

/// `registry visibility actor scopes action → expected`
///
/// actors: anon, owner (the package's own user), orgowner, member (of the
/// owning org), read/write/admin (a package role on granular registries, a
/// repository permission on repository-scoped ones), stranger, siteadmin.
/// scopes: all, none, r (read), w (write), wd (write+delete), wr (write+repo).
/// expected: ok, 401, 404, 403, or scope:NAME.
const MATRIX: &str = "
granular public   anon      none  read    ok
granular public   anon      none  publish 401
granular public   anon      none  delete  401
granular private  anon      none  read    401
granular internal anon      none  read    401
granular private  owner     all   read    ok
granular private  owner     all   publish ok
granular private  owner     all   delete  ok
granular private  owner     all   restore ok
granular private  owner     all   manage  ok
granular private  owner     r     read    ok
granular private  owner     r     publish scope:write:packages
granular private  owner     w     delete  scope:delete:packages
granular private  owner     wd    delete  ok
granular private  owner     none  read    scope:read:packages
granular public   owner     none  read    ok
granular private  orgowner  all   read    ok
granular private  orgowner  all   delete  ok
granular private  orgowner  all   manage  ok
granular private  member    all   read    404
granular private  member    all   publish 404
granular private  member    all   create  ok
granular private  member    r     create  scope:write:packages
granular internal member    all   read    ok
granular internal member    all   publish 403
granular public   member    all   read    ok
granular public   member    all   publish 403
granular private  read      all   read    ok
granular private  read      all   publish 403
granular private  read      all   delete  403
granular private  write     all   read    ok
granular private  write     all   publish ok
granular private  write     all   delete  403
granular private  write     all   restore 403
granular private  admin     all   delete  ok
granular private  admin     all   restore ok
granular private  admin     all   manage  ok
granular private  stranger  all   read    404
granular private  stranger  all   publish 404
granular private  stranger  all   delete  404
granular private  stranger  all   create  403
granular internal stranger  all   read    ok
granular internal stranger  none  read    scope:read:packages
granular internal stranger  all   publish 403
granular public   stranger  all   read    ok
granular public   stranger  none  read    ok
granular public   stranger  all   publish 403
granular public   stranger  all   delete  403
granular private  siteadmin all   read    ok
granular private  siteadmin all   delete  ok
granular private  siteadmin all   create  ok
repo     public   anon      none  read    ok
repo     public   anon      none  publish 401
repo     private  anon      none  read    401
repo     private  owner     all   read    ok
repo     private  owner     all   publish ok
repo     private  owner     w     publish scope:repo
repo     private  owner     wr    publish ok
repo     private  owner     all   delete  ok
repo     public   owner     w     publish ok
repo     private  orgowner  all   delete  ok
repo     private  member    all   read    ok
repo     private  member    all   publish 403
repo     private  member    all   create  403
repo     public   member    all   create  403
repo     private  read      all   read    ok
repo     private  read      all   publish 403
repo     private  read      all   create  403
repo     private  write     all   publish ok
repo     private  write     all   create  ok
repo     private  write     all   delete  403
repo     private  admin     all   delete  ok
repo     private  admin     all   restore ok
repo     private  stranger  all   read    404
repo     private  stranger  all   create  404
repo     private  stranger  all   publish 404
repo     internal stranger  all   read    ok
repo     internal stranger  all   publish 403
repo     public   stranger  all   read    ok
repo     public   stranger  all   publish 403
repo     private  siteadmin all   delete  ok
";

fn facts(registry: &str, visibility: &str, who: &str) -> Facts {
    let registry = match registry {
        "granular" => RegistryKind::Granular,
        "repo" => RegistryKind::RepositoryScoped,
        other => panic!("registry {other}"),
    };
    let owner = match who {
        "owner" => OwnerRelation::IsOwner,
        "orgowner" => OwnerRelation::OrgOwner,
        "member" => OwnerRelation::OrgMember,
        _ => OwnerRelation::None,
    };
    let granted = match who {
        "read" => Some(Role::Read),
        "write" => Some(Role::Write),
        "admin" => Some(Role::Admin),
        _ => None,
    };
    let (package_role, repository_role) = match registry {
        RegistryKind::Granular => (granted, None),
        RegistryKind::RepositoryScoped => (None, granted),
    };
    Facts {
        registry,
        visibility: visibility.parse().unwrap(),
        owner,
        package_role,
        repository_role,
        inherit_access: false,
        sso: SsoGate::Open,
        archived: false,
    }
}

fn actor(who: &str, scopes: &str) -> Actor {
    if who == "anon" {
        return Actor::Anonymous;
    }
    let scopes = match scopes {
        "all" => Scopes::ALL,
        "none" => Scopes::NONE,
        "r" => Scopes::parse_list("read:packages").unwrap(),
        "w" => Scopes::parse_list("write:packages").unwrap(),
        "wd" => Scopes::parse_list("write:packages,delete:packages").unwrap(),
        "wr" => Scopes::parse_list("write:packages,repo").unwrap(),
        other => panic!("scopes {other}"),
    };
    Actor::User {
        id: 7,
        login: "caller".into(),
        site_admin: who == "siteadmin",
        scopes,
        token_id: Some(1),
        session: None,
        grant: None,
    }
}

fn action(name: &str) -> Action {
    match name {
        "read" => Action::Read,
        "create" => Action::Create,
        "publish" => Action::Publish,
        "delete" => Action::Delete,
        "restore" => Action::Restore,
        "manage" => Action::Manage,
        other => panic!("action {other}"),
    }
}

fn outcome(decision: &Decision) -> String {
    match decision {
        Ok(()) => "ok".into(),
        Err(Denial::Unauthenticated) => "401".into(),
        Err(Denial::NotFound) => "404".into(),
        Err(Denial::Forbidden(_)) => "403".into(),
        Err(Denial::MissingScope(s)) => format!("scope:{s}"),
        Err(Denial::SsoRequired) => "sso".into(),
    }
}

#[test]
fn an_archived_repositorys_packages_are_read_only_for_everyone() {
    let policy = Policy::default();
    for who in ["owner", "siteadmin", "admin"] {
        let mut facts = facts("repo", "private", who);
        facts.archived = true;
        let caller = actor(who, "all");
        assert_eq!(
            outcome(&authorize(&policy, &caller, Action::Read, &facts)),
            "ok"
        );
        for act in ["publish", "delete", "manage"] {
            let got = outcome(&authorize(&policy, &caller, action(act), &facts));
            assert_eq!(got, "403", "{who} {act}");
        }
    }
}

#[test]
fn an_organizations_single_sign_on_guards_all_but_public_reads() {
    let policy = Policy::default();
    let member = actor("member", "all");
    for (visibility, act, closed, passed) in [
        ("public", "read", "ok", "ok"),
        ("public", "publish", "sso", "403"),
        ("internal", "read", "sso", "ok"),
        ("private", "read", "404", "404"),
        ("private", "create", "sso", "ok"),
    ] {
        let mut facts = facts("granular", visibility, "member");
        facts.sso = SsoGate::Closed;
        let got = outcome(&authorize(&policy, &member, action(act), &facts));
        assert_eq!(got, closed, "{visibility} {act}, not through SSO");
        facts.sso = SsoGate::Passed;
        let got = outcome(&authorize(&policy, &member, action(act), &facts));
        assert_eq!(got, passed, "{visibility} {act}, through SSO");
    }
}

#[test]
fn permission_matrix_matches_githubs_rules() {
    let policy = Policy::default();
    let mut failures = Vec::new();
    for line in MATRIX.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [registry, visibility, who, scopes, act, expected] = cols[..] else {
            panic!("bad row {line}");
        };
        let got = outcome(&authorize(
            &policy,
            &actor(who, scopes),
            action(act),
            &facts(registry, visibility, who),
        ));
        if got != expected {
            failures.push(format!("{line}  → got {got}"));
        }
    }
    assert!(failures.is_empty(), "rows failed:\n{}", failures.join("\n"));
}

#[test]
fn require_auth_for_reads_closes_public_packages_to_anonymous_callers() {
    let policy = Policy {
        require_auth_for_reads: true,
    };
    let f = facts("granular", "public", "stranger");
    assert_eq!(
        authorize(&policy, &Actor::Anonymous, Action::Read, &f),
        Err(Denial::Unauthenticated)
    );
    assert_eq!(
        authorize(&policy, &actor("stranger", "all"), Action::Read, &f),
        Ok(())
    );
}

#[test]
fn inheritance_grants_the_repository_permission_on_a_granular_package() {
    let mut f = facts("granular", "private", "stranger");
    f.repository_role = Some(Role::Write);
    let caller = actor("stranger", "all");
    let policy = Policy::default();
    assert_eq!(
        authorize(&policy, &caller, Action::Publish, &f),
        Err(Denial::NotFound)
    );
    f.inherit_access = true;
    assert_eq!(authorize(&policy, &caller, Action::Publish, &f), Ok(()));
    assert!(matches!(
        authorize(&policy, &caller, Action::Delete, &f),
        Err(Denial::Forbidden(_))
    ));
}
