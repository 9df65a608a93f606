//! The `[[oidc]]` and `[[ldap]]` tables of the configuration file: the
//! OpenID Connect providers and LDAP directories people may sign in with.
//! They live in the file only (a list has no flag); secrets may come from
//! environment variables instead, to keep them out of the file.

use std::collections::{BTreeMap, HashSet};

use anyhow::{Context, bail};
use entrepot_core::Secret;
use entrepot_core::identity::{GroupMapping, ProviderRules, is_valid_provider_name};
use entrepot_service::ldap::LdapProvider;
use entrepot_service::oidc::OidcProvider;
use serde::Deserialize;

/// One `[[oidc]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The provider's key in URLs and links (`/login/oidc/NAME/callback`).
    pub name: String,
    /// What the sign-in button says [default: the name].
    pub display_name: Option<String>,
    /// The issuer URL; discovery reads its `/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// The environment variable that holds the client secret instead.
    pub client_secret_env: Option<String>,
    /// Scopes asked for besides `openid` [default: profile, email].
    pub scopes: Option<Vec<String>>,
    /// The claim a new account's login comes from [default: `preferred_username`].
    pub login_claim: Option<String>,
    /// The claim listing the person's groups [default: none].
    pub groups_claim: Option<String>,
    /// Give people the registry does not know an account on first sign-in
    /// [default: false: only identities linked from the profile page].
    #[serde(default)]
    pub auto_provision: bool,
    /// Group → `ORG` or `ORG:owner`: membership the group grants, kept in
    /// step at each sign-in.
    #[serde(default)]
    pub groups: BTreeMap<String, String>,
}

impl OidcSettings {
    /// Checked by the rules the site administrators' page uses too.
    fn resolve(self) -> anyhow::Result<OidcProvider> {
        let client_secret = secret("client_secret", self.client_secret, self.client_secret_env)
            .with_context(|| format!("oidc provider `{}`", self.name))?;
        entrepot_service::oidc_admin::OidcSettings {
            name: self.name,
            display_name: self.display_name,
            issuer: self.issuer,
            client_id: self.client_id,
            client_secret: client_secret.map(|s| s.expose().to_owned()),
            scopes: self.scopes,
            login_claim: self.login_claim,
            groups_claim: self.groups_claim,
            auto_provision: self.auto_provision,
            groups: self.groups,
        }
        .resolve()
        .map_err(|e| anyhow::anyhow!("oidc {e}"))
    }
}

/// One `[[ldap]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapSettings {
    /// The directory's key in the links between entries and accounts.
    pub name: String,
    /// How the sign-in page names it [default: the name].
    pub display_name: Option<String>,
    /// `ldap://HOST[:PORT]` or `ldaps://HOST[:PORT]`.
    pub url: String,
    /// Upgrade `ldap://` with StartTLS [default: false].
    #[serde(default)]
    pub starttls: bool,
    /// The service account that searches [default: anonymous].
    pub bind_dn: Option<String>,
    pub bind_password: Option<String>,
    pub bind_password_env: Option<String>,
    /// Where entries are, e.g. `ou=people,dc=example,dc=org`.
    pub user_base: String,
    /// Finds a person's entry; `{login}` is the escaped user name
    /// [default: `(uid={login})`].
    pub user_filter: Option<String>,
    /// [default: `uid`], [default: `cn`], [default: `mail`].
    pub login_attribute: Option<String>,
    pub name_attribute: Option<String>,
    pub email_attribute: Option<String>,
    /// The attribute that identifies an entry for good [default:
    /// `entryUUID`; `objectGUID` on Active Directory].
    pub unique_attribute: Option<String>,
    /// Where groups are [default: none: groups are not read].
    pub group_base: Option<String>,
    /// Finds a person's groups; `{dn}` and `{login}` escaped
    /// [default: `(|(member={dn})(uniqueMember={dn})(memberUid={login}))`].
    pub group_filter: Option<String>,
    /// [default: `cn`].
    pub group_attribute: Option<String>,
    #[serde(default)]
    pub auto_provision: bool,
    #[serde(default)]
    pub groups: BTreeMap<String, String>,
}

/// The rules every provider shares, checked.
fn rules(
    kind: &str,
    name: String,
    display_name: Option<String>,
    auto_provision: bool,
    groups: &BTreeMap<String, String>,
) -> anyhow::Result<ProviderRules> {
    if !is_valid_provider_name(&name) {
        bail!("{kind} provider `{name}`: a name is letters, digits and single hyphens");
    }
    let groups = groups
        .iter()
        .map(|(group, target)| GroupMapping::parse(group, target))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| anyhow::anyhow!("{kind} provider `{name}`: {e}"))?;
    Ok(ProviderRules {
        display_name: display_name.unwrap_or_else(|| name.clone()),
        name,
        auto_provision,
        groups,
    })
}

/// A secret given in the file or named by an environment variable.
fn secret(
    what: &str,
    value: Option<String>,
    env: Option<String>,
) -> anyhow::Result<Option<Secret>> {
    Ok(match (value, env) {
        (Some(_), Some(_)) => bail!("{what} and {what}_env exclude each other"),
        (Some(s), None) => Some(Secret::new(s)),
        (None, Some(var)) => Some(Secret::new(
            std::env::var(&var).with_context(|| format!("environment variable {var}"))?,
        )),
        (None, None) => None,
    })
}

impl LdapSettings {
    fn resolve(self) -> anyhow::Result<LdapProvider> {
        let rules = rules(
            "ldap",
            self.name,
            self.display_name,
            self.auto_provision,
            &self.groups,
        )?;
        let name = &rules.name;
        let url = url::Url::parse(&self.url)
            .with_context(|| format!("ldap provider `{name}`: url `{}`", self.url))?;
        if !matches!(url.scheme(), "ldap" | "ldaps") || url.host_str().is_none() {
            bail!("ldap provider `{name}`: the url is ldap://HOST or ldaps://HOST");
        }
        if self.starttls && url.scheme() == "ldaps" {
            bail!("ldap provider `{name}`: starttls is for ldap:// URLs");
        }
        let bind_password = secret("bind_password", self.bind_password, self.bind_password_env)
            .with_context(|| format!("ldap provider `{name}`"))?;
        if !rules.groups.is_empty() && self.group_base.is_none() {
            bail!(
                "ldap provider `{name}`: groups are mapped but no group_base says where they are"
            );
        }
        if self.bind_dn.is_some() != bind_password.is_some() {
            bail!("ldap provider `{name}`: bind_dn and a bind password go together");
        }
        Ok(LdapProvider {
            url,
            starttls: self.starttls,
            bind_dn: self.bind_dn,
            bind_password,
            user_base: self.user_base,
            user_filter: self.user_filter.unwrap_or_else(|| "(uid={login})".into()),
            login_attribute: self.login_attribute.unwrap_or_else(|| "uid".into()),
            name_attribute: self.name_attribute.unwrap_or_else(|| "cn".into()),
            email_attribute: self.email_attribute.unwrap_or_else(|| "mail".into()),
            unique_attribute: self.unique_attribute.unwrap_or_else(|| "entryUUID".into()),
            group_base: self.group_base,
            group_filter: self
                .group_filter
                .unwrap_or_else(|| "(|(member={dn})(uniqueMember={dn})(memberUid={login}))".into()),
            group_attribute: self.group_attribute.unwrap_or_else(|| "cn".into()),
            rules,
        })
    }
}

/// The providers the file configures, each checked; names are unique
/// across protocols (they key the links to accounts).
pub fn resolve(
    oidc: Option<Vec<OidcSettings>>,
    ldap: Option<Vec<LdapSettings>>,
) -> anyhow::Result<(Vec<OidcProvider>, Vec<LdapProvider>)> {
    let oidc = oidc
        .unwrap_or_default()
        .into_iter()
        .map(OidcSettings::resolve)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let ldap = ldap
        .unwrap_or_default()
        .into_iter()
        .map(LdapSettings::resolve)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut seen = HashSet::new();
    for name in oidc
        .iter()
        .map(|p| &p.rules.name)
        .chain(ldap.iter().map(|p| &p.rules.name))
    {
        if !seen.insert(name.to_lowercase()) {
            bail!("two sign-in providers are named `{name}`");
        }
    }
    Ok((oidc, ldap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Vec<OidcProvider>> {
        #[derive(Deserialize)]
        struct File {
            oidc: Vec<OidcSettings>,
        }
        let file: File = toml::from_str(text)?;
        resolve(Some(file.oidc), None).map(|(oidc, _)| oidc)
    }

    #[test]
    fn a_provider_takes_its_defaults() {
        let got = parse(
            r#"[[oidc]]
name = "corp"
issuer = "https://id.example.com"
client_id = "entrepot"
client_secret = "s"
groups_claim = "groups"
[oidc.groups]
eng = "acme"
leads = "acme:owner"
"#,
        )
        .unwrap();
        let p = &got[0];
        assert_eq!(p.rules.display_name, "corp");
        assert!(!p.rules.auto_provision, "provisioning is opt-in");
        assert_eq!(p.scopes, ["profile", "email"]);
        assert_eq!(p.login_claim, "preferred_username");
        assert_eq!(p.rules.groups.len(), 2);
    }

    #[test]
    fn bad_providers_are_refused_with_their_name() {
        let base = "name = \"corp\"\nissuer = \"https://id.example.com\"\nclient_id = \"c\"\n";
        for (extra, says) in [
            ("[oidc.groups]\neng = \"acme\"\n", "groups_claim"),
            (
                "groups_claim = \"g\"\n[oidc.groups]\neng = \"acme:boss\"\n",
                "not a role",
            ),
            (
                "client_secret = \"a\"\nclient_secret_env = \"B\"\n",
                "exclude",
            ),
            ("surprise = 1\n", "unknown field"),
        ] {
            let error = format!(
                "{:#}",
                parse(&format!("[[oidc]]\n{base}{extra}")).unwrap_err()
            );
            assert!(error.contains(says), "{extra}: {error}");
        }
        let twice = format!("[[oidc]]\n{base}[[oidc]]\n{base}");
        assert!(format!("{:#}", parse(&twice).unwrap_err()).contains("two sign-in providers"));
        let bad_name = "[[oidc]]\nname = \"no way\"\nissuer = \"https://x\"\nclient_id = \"c\"\n";
        assert!(parse(bad_name).is_err());
    }

    #[test]
    fn a_directory_takes_its_defaults_and_refuses_what_cannot_work() {
        #[derive(Deserialize)]
        struct File {
            ldap: Vec<LdapSettings>,
        }
        let parse = |text: &str| -> anyhow::Result<Vec<LdapProvider>> {
            let file: File = toml::from_str(text)?;
            resolve(None, Some(file.ldap)).map(|(_, ldap)| ldap)
        };
        let base = "name = \"dir\"\nuser_base = \"ou=people,dc=example,dc=org\"\n";
        let got = parse(&format!(
            "[[ldap]]\n{base}url = \"ldap://ldap.example.org\"\n"
        ))
        .unwrap();
        assert_eq!(got[0].user_filter, "(uid={login})");
        assert_eq!(got[0].login_attribute, "uid");
        assert!(got[0].group_base.is_none() && got[0].bind_dn.is_none());
        for (extra, says) in [
            ("url = \"https://ldap.example.org\"\n", "ldap://HOST"),
            ("url = \"ldaps://h\"\nstarttls = true\n", "starttls"),
            ("url = \"ldap://h\"\nbind_dn = \"cn=x\"\n", "go together"),
            (
                "url = \"ldap://h\"\n[ldap.groups]\ndev = \"acme\"\n",
                "group_base",
            ),
        ] {
            let error = format!(
                "{:#}",
                parse(&format!("[[ldap]]\n{base}{extra}")).unwrap_err()
            );
            assert!(error.contains(says), "{extra}: {error}");
        }
    }
}
