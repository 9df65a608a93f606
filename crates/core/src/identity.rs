//! Sign-in through an external identity provider (OpenID Connect now, LDAP
//! next): what the provider's answer means for the registry. Which login a
//! new account takes from the provider's claims, and which organizations a
//! person belongs to given the provider's groups. The protocols themselves
//! live in the service; these rules are theirs to share.

use std::collections::BTreeMap;

use crate::OrgRole;
use crate::names::is_valid_login;

/// What a site administrator says about one provider, whatever its
/// protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRules {
    /// The provider's key: letters, digits and hyphens. It names the
    /// provider in URLs and in the links between identities and accounts,
    /// so changing it unlinks everyone.
    pub name: String,
    /// What the sign-in button says ("Sign in with …").
    pub display_name: String,
    /// Whether a person the registry does not know yet gets an account on
    /// their first sign-in. Otherwise only identities already linked to an
    /// account (from the profile page) sign in.
    pub auto_provision: bool,
    /// Organization membership each group of the provider's grants.
    pub groups: Vec<GroupMapping>,
}

/// One group of the provider and the membership it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMapping {
    pub group: String,
    pub org: String,
    pub role: OrgRole,
}

impl GroupMapping {
    /// Parses a mapping's target: `ORG` (a member) or `ORG:owner`.
    pub fn parse(group: &str, target: &str) -> Result<GroupMapping, String> {
        let (org, role) = match target.split_once(':') {
            None => (target, OrgRole::Member),
            Some((org, role)) => (
                org,
                role.parse::<OrgRole>().map_err(|_| {
                    format!("group `{group}`: `{role}` is not a role (member or owner)")
                })?,
            ),
        };
        if !is_valid_login(org) {
            return Err(format!(
                "group `{group}`: `{org}` is not an organization name"
            ));
        }
        Ok(GroupMapping {
            group: group.to_owned(),
            org: org.to_owned(),
            role,
        })
    }
}

impl ProviderRules {
    /// The memberships a person in `groups` has, by organization: the
    /// highest role any of their groups grants. Organizations that some
    /// group maps to but none of theirs does are absent, and the caller
    /// removes the person from those (`managed_orgs`).
    pub fn memberships(&self, groups: &[String]) -> BTreeMap<String, OrgRole> {
        let mut found = BTreeMap::new();
        for mapping in &self.groups {
            // Directories compare names without case (`cn`); so does this.
            if groups
                .iter()
                .any(|g| g.eq_ignore_ascii_case(&mapping.group))
            {
                let role = found.entry(mapping.org.clone()).or_insert(mapping.role);
                if mapping.role == OrgRole::Owner {
                    *role = OrgRole::Owner;
                }
            }
        }
        found
    }

    /// The organizations whose membership this provider decides.
    pub fn managed_orgs(&self) -> Vec<&str> {
        let mut orgs: Vec<&str> = self.groups.iter().map(|m| m.org.as_str()).collect();
        orgs.sort_unstable();
        orgs.dedup();
        orgs
    }
}

/// Whether a provider's name can key it: what a login may be.
pub fn is_valid_provider_name(name: &str) -> bool {
    is_valid_login(name)
}

/// The login an account made from a claim takes: the claim itself when it
/// is a valid login, else the part before an `@`, lowercased, with every
/// run of other characters (dots, underscores, spaces) turned into one
/// hyphen and cut to 39 characters. `None` when nothing usable is left.
pub fn login_from_claim(claim: &str) -> Option<String> {
    let claim = claim.trim();
    if is_valid_login(claim) {
        return Some(claim.to_owned());
    }
    let local = claim.split('@').next().unwrap_or_default();
    let mut login = String::with_capacity(local.len().min(39));
    for c in local.chars() {
        if c.is_ascii_alphanumeric() {
            login.push(c.to_ascii_lowercase());
        } else if !login.is_empty() && !login.ends_with('-') {
            login.push('-');
        }
        if login.len() >= 39 {
            break;
        }
    }
    let login = login.trim_end_matches('-').to_owned();
    is_valid_login(&login).then_some(login)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(groups: &[(&str, &str)]) -> ProviderRules {
        ProviderRules {
            name: "corp".into(),
            display_name: "Corp".into(),
            auto_provision: true,
            groups: groups
                .iter()
                .map(|(g, t)| GroupMapping::parse(g, t).unwrap())
                .collect(),
        }
    }

    #[test]
    fn a_claim_that_is_a_login_is_kept_as_it_is() {
        assert_eq!(login_from_claim("Carol-1").as_deref(), Some("Carol-1"));
    }

    #[test]
    fn other_claims_become_the_nearest_login() {
        assert_eq!(
            login_from_claim("carol.smith@example.com").as_deref(),
            Some("carol-smith")
        );
        assert_eq!(login_from_claim("a__b  c.").as_deref(), Some("a-b-c"));
        assert_eq!(login_from_claim("x".repeat(60).as_str()).unwrap().len(), 39);
        assert_eq!(
            login_from_claim(&format!("{}.b", "a".repeat(38))).as_deref(),
            Some("a".repeat(38).as_str())
        );
        assert_eq!(login_from_claim("..."), None);
        assert_eq!(login_from_claim("élodie").as_deref(), Some("lodie"));
        assert_eq!(login_from_claim(""), None);
    }

    #[test]
    fn the_highest_role_any_group_grants_wins() {
        let rules = rules(&[("eng", "acme"), ("leads", "acme:owner"), ("ops", "infra")]);
        let got = rules.memberships(&["leads".into(), "eng".into()]);
        assert_eq!(got.get("acme"), Some(&OrgRole::Owner));
        assert_eq!(got.get("infra"), None);
        let got = rules.memberships(&["ENG".into()]);
        assert_eq!(got.get("acme"), Some(&OrgRole::Member), "case aside");
        assert_eq!(rules.managed_orgs(), ["acme", "infra"]);
    }

    #[test]
    fn a_mapping_names_an_organization_and_a_known_role() {
        assert!(GroupMapping::parse("g", "acme:admin").is_err());
        assert!(GroupMapping::parse("g", "not an org").is_err());
        assert_eq!(
            GroupMapping::parse("g", "acme:owner").unwrap().role,
            OrgRole::Owner
        );
    }
}
