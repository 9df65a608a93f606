//! The `[[oidc]]` tables of the configuration file: OpenID Connect
//! providers people may sign in with. They live in the file only (a list
//! has no flag); the client secret may come from an environment variable
//! instead, to keep it out of the file.

use std::collections::{BTreeMap, HashSet};

use anyhow::{Context, bail};
use entrepot_core::Secret;
use entrepot_core::identity::{GroupMapping, ProviderRules, is_valid_provider_name};
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
    fn resolve(self) -> anyhow::Result<OidcProvider> {
        let name = self.name;
        if !is_valid_provider_name(&name) {
            bail!("oidc provider `{name}`: a name is letters, digits and single hyphens");
        }
        let parsed = url::Url::parse(&self.issuer)
            .with_context(|| format!("oidc provider `{name}`: issuer `{}`", self.issuer))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            bail!("oidc provider `{name}`: the issuer is an http(s) URL");
        }
        let client_secret = match (self.client_secret, self.client_secret_env) {
            (Some(_), Some(_)) => {
                bail!(
                    "oidc provider `{name}`: client_secret and client_secret_env exclude each other"
                )
            }
            (Some(s), None) => Some(Secret::new(s)),
            (None, Some(var)) => {
                Some(Secret::new(std::env::var(&var).with_context(|| {
                    format!("oidc provider `{name}`: environment variable {var}")
                })?))
            }
            (None, None) => None,
        };
        let groups = self
            .groups
            .iter()
            .map(|(group, target)| GroupMapping::parse(group, target))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| anyhow::anyhow!("oidc provider `{name}`: {e}"))?;
        if !groups.is_empty() && self.groups_claim.is_none() {
            bail!("oidc provider `{name}`: groups are mapped but no groups_claim names them");
        }
        Ok(OidcProvider {
            rules: ProviderRules {
                display_name: self.display_name.unwrap_or_else(|| name.clone()),
                name,
                auto_provision: self.auto_provision,
                groups,
            },
            issuer: self.issuer,
            client_id: self.client_id,
            client_secret,
            scopes: self
                .scopes
                .unwrap_or_else(|| vec!["profile".into(), "email".into()])
                .into_iter()
                .filter(|s| s != "openid")
                .collect(),
            login_claim: self
                .login_claim
                .unwrap_or_else(|| "preferred_username".into()),
            groups_claim: self.groups_claim,
        })
    }
}

/// The providers the file configures, each checked; names are unique.
pub fn resolve(settings: Option<Vec<OidcSettings>>) -> anyhow::Result<Vec<OidcProvider>> {
    let providers = settings
        .unwrap_or_default()
        .into_iter()
        .map(OidcSettings::resolve)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut seen = HashSet::new();
    for p in &providers {
        if !seen.insert(p.rules.name.to_lowercase()) {
            bail!("two oidc providers are named `{}`", p.rules.name);
        }
    }
    Ok(providers)
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
        resolve(Some(file.oidc))
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
        assert!(format!("{:#}", parse(&twice).unwrap_err()).contains("two oidc providers"));
        let bad_name = "[[oidc]]\nname = \"no way\"\nissuer = \"https://x\"\nclient_id = \"c\"\n";
        assert!(parse(bad_name).is_err());
    }
}
