//! Personal-access-token scopes, as GitHub names them for packages;
//! `read:org`, which GitHub's CLI wants of every token (reading
//! organizations and their members is open to every signed-in user here,
//! so it grants nothing more); `admin:org`, which managing an
//! organization's members wants, as on GitHub; and `site_admin`, which
//! GitHub Enterprise Server's administration endpoints want of a site
//! administrator's token.

use std::fmt;
use std::str::FromStr;

/// A classic PAT scope relevant to packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    ReadPackages,
    WritePackages,
    DeletePackages,
    Repo,
    ReadOrg,
    AdminOrg,
    SiteAdmin,
}

impl Scope {
    pub const ALL: [Scope; 7] = [
        Scope::ReadPackages,
        Scope::WritePackages,
        Scope::DeletePackages,
        Scope::Repo,
        Scope::ReadOrg,
        Scope::AdminOrg,
        Scope::SiteAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadPackages => "read:packages",
            Scope::WritePackages => "write:packages",
            Scope::DeletePackages => "delete:packages",
            Scope::Repo => "repo",
            Scope::ReadOrg => "read:org",
            Scope::AdminOrg => "admin:org",
            Scope::SiteAdmin => "site_admin",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Scope::ReadPackages => 1,
            Scope::WritePackages => 2,
            Scope::DeletePackages => 4,
            Scope::Repo => 8,
            Scope::ReadOrg => 16,
            Scope::SiteAdmin => 32,
            Scope::AdminOrg => 64,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "unknown scope `{0}` (known: read:packages, write:packages, delete:packages, repo, read:org, admin:org, site_admin)"
)]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s.trim())
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

/// The set of scopes a token carries.
///
/// `write:packages` implies `read:packages`, as on GitHub, where ticking the
/// first ticks the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Scopes(u8);

impl Scopes {
    pub const NONE: Scopes = Scopes(0);
    pub const ALL: Scopes = Scopes(127);

    /// Whether the scope is held, or implied as GitHub implies it:
    /// `write:packages` gives `read:packages`, `admin:org` gives `read:org`.
    pub fn contains(self, scope: Scope) -> bool {
        let mut bits = self.0;
        if bits & Scope::WritePackages.bit() != 0 {
            bits |= Scope::ReadPackages.bit();
        }
        if bits & Scope::AdminOrg.bit() != 0 {
            bits |= Scope::ReadOrg.bit();
        }
        bits & scope.bit() != 0
    }

    #[must_use]
    pub fn with(self, scope: Scope) -> Scopes {
        Scopes(self.0 | scope.bit())
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .into_iter()
            .filter(move |s| self.0 & s.bit() != 0)
    }

    /// Comma-separated, as GitHub's `X-OAuth-Scopes` header lists them.
    pub fn to_header(self) -> String {
        self.iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Parses a comma- or space-separated list.
    pub fn parse_list(list: &str) -> Result<Scopes, UnknownScope> {
        list.split([',', ' '])
            .filter(|s| !s.trim().is_empty())
            .try_fold(Scopes::NONE, |acc, s| Ok(acc.with(s.parse()?)))
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        iter.into_iter().fold(Scopes::NONE, Scopes::with)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<_> = self.iter().map(Scope::as_str).collect();
        f.write_str(&list.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_implies_read_but_not_delete() {
        let s = Scopes::parse_list("write:packages").unwrap();
        assert!(s.contains(Scope::ReadPackages));
        assert!(s.contains(Scope::WritePackages));
        assert!(!s.contains(Scope::DeletePackages));
    }

    #[test]
    fn lists_round_trip_and_unknown_scopes_are_refused() {
        let s = Scopes::parse_list("read:packages, delete:packages,repo").unwrap();
        assert_eq!(s.to_string(), "read:packages,delete:packages,repo");
        assert_eq!(Scopes::parse_list(&s.to_string()).unwrap(), s);
        assert!(Scopes::parse_list("admin:repo_hook").is_err());
    }

    #[test]
    fn admin_org_implies_read_org() {
        let s = Scopes::parse_list("admin:org").unwrap();
        assert!(s.contains(Scope::ReadOrg) && s.contains(Scope::AdminOrg));
        assert!(
            !Scopes::parse_list("read:org")
                .unwrap()
                .contains(Scope::AdminOrg)
        );
    }
}
