//! The rule of [`authorize`](super::authorize) for reading, over every
//! package at once: what one caller may read, stated in relations a store
//! can filter by, so that lists and searches page in SQL instead of asking
//! the rule package by package. The store's conformance suite checks its
//! filter against the rule itself.

use crate::model::{Id, OrgRole};
use crate::scope::Scope;

use super::{Actor, Policy, SsoGate};

/// What one caller may read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReadScope {
    /// Nothing: reads need a signed-in caller (`require_auth_for_reads`).
    #[default]
    Nothing,
    /// Public packages only: an anonymous caller.
    Public,
    /// A signed-in user: public packages, and the others as below.
    User(UserReads),
}

/// The non-public packages a signed-in user reads: internal ones, and
/// private ones through the owner, the repository or a grant, as
/// [`effective_role`](super::effective_role) gives them a role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserReads {
    pub user: Id,
    /// A site administrator: every package.
    pub everything: bool,
    /// The credential may read non-public packages at all (`read:packages`).
    pub non_public: bool,
    /// …and those in repository-scoped registries (`repo` besides).
    pub repository_scoped: bool,
    /// The user's own account and the organizations they own: every
    /// package there, and every repository.
    pub owns: Vec<Id>,
    /// Organizations they are a member of: the repository-scoped packages
    /// there, and read access to their repositories.
    pub member_of: Vec<Id>,
    /// Organizations whose single sign-on this credential has not passed:
    /// nothing but their public packages.
    pub sso_closed: Vec<Id>,
}

impl ReadScope {
    /// The scope of `actor`, given the organizations they belong to with
    /// their role and where each one's single sign-on stands.
    #[must_use]
    pub fn of(policy: &Policy, actor: &Actor, orgs: &[(Id, OrgRole, SsoGate)]) -> Self {
        let Actor::User {
            id,
            site_admin,
            scopes,
            grant: None,
            ..
        } = actor
        else {
            // A token minted for some packages lists what anyone may.
            return if policy.require_auth_for_reads {
                ReadScope::Nothing
            } else {
                ReadScope::Public
            };
        };
        let mut reads = UserReads {
            user: *id,
            everything: *site_admin,
            non_public: scopes.contains(Scope::ReadPackages),
            repository_scoped: scopes.contains(Scope::Repo),
            owns: vec![*id],
            ..UserReads::default()
        };
        for (org, role, gate) in orgs {
            match role {
                OrgRole::Owner => reads.owns.push(*org),
                OrgRole::Member => reads.member_of.push(*org),
            }
            if *gate == SsoGate::Closed {
                reads.sso_closed.push(*org);
            }
        }
        ReadScope::User(reads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scopes;

    #[test]
    fn anonymous_callers_read_public_packages_unless_reads_need_a_sign_in() {
        let open = Policy::default();
        let closed = Policy {
            require_auth_for_reads: true,
        };
        assert_eq!(
            ReadScope::of(&open, &Actor::Anonymous, &[]),
            ReadScope::Public
        );
        assert_eq!(
            ReadScope::of(&closed, &Actor::Anonymous, &[]),
            ReadScope::Nothing
        );
    }

    #[test]
    fn a_users_organizations_scopes_and_single_sign_on_are_kept() {
        let actor = Actor::User {
            id: 1,
            login: "alice".into(),
            site_admin: false,
            scopes: Scopes::parse_list("read:packages").unwrap(),
            token_id: None,
            session: None,
            grant: None,
        };
        let orgs = [
            (10, OrgRole::Owner, SsoGate::Open),
            (11, OrgRole::Member, SsoGate::Closed),
            (12, OrgRole::Member, SsoGate::Passed),
        ];
        assert_eq!(
            ReadScope::of(&Policy::default(), &actor, &orgs),
            ReadScope::User(UserReads {
                user: 1,
                everything: false,
                non_public: true,
                repository_scoped: false,
                owns: vec![1, 10],
                member_of: vec![11, 12],
                sso_closed: vec![11],
            })
        );
    }
}
