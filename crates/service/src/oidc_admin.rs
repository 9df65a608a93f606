//! OpenID Connect providers site administrators add in the pages, beside
//! those of the configuration file: kept as one instance setting (so every
//! node reads the same list), checked by the same rules as the file's, and
//! read afresh at each use, so a change takes effect at once everywhere.
//! The file's providers cannot be changed here, and names stay unique
//! across both and the directories (they key the links to accounts).

use std::collections::BTreeMap;

use entrepot_core::Actor;
use entrepot_core::Secret;
use entrepot_core::identity::{GroupMapping, ProviderRules, is_valid_provider_name};
use serde::{Deserialize, Serialize};

use crate::administration::require_site_admin;
use crate::oidc::OidcProvider;
use crate::{Identity, ServiceError, ServiceResult};

/// The instance setting holding the providers added in the pages.
const SETTING: &str = "identity.oidc_providers";

/// An OpenID Connect provider's settings, as the file's `[[oidc]]` table
/// or a site administrator's form gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcSettings {
    pub name: String,
    pub display_name: Option<String>,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Asked for besides `openid` [default: profile, email].
    pub scopes: Option<Vec<String>>,
    pub login_claim: Option<String>,
    pub groups_claim: Option<String>,
    #[serde(default)]
    pub auto_provision: bool,
    /// Group → `ORG` or `ORG:owner`.
    #[serde(default)]
    pub groups: BTreeMap<String, String>,
}

impl OidcSettings {
    /// The provider these settings describe, checked.
    pub fn resolve(self) -> Result<OidcProvider, String> {
        let name = self.name;
        if !is_valid_provider_name(&name) {
            return Err(format!(
                "provider `{name}`: a name is letters, digits and single hyphens"
            ));
        }
        if name.eq_ignore_ascii_case(crate::saml::PROVIDER) {
            return Err(format!(
                "provider `{name}`: the name is reserved for organizations' SAML providers"
            ));
        }
        let groups = self
            .groups
            .iter()
            .map(|(group, target)| GroupMapping::parse(group, target))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| format!("provider `{name}`: {e}"))?;
        match url::Url::parse(&self.issuer) {
            Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => {}
            _ => return Err(format!("provider `{name}`: the issuer is an http(s) URL")),
        }
        if self.client_id.trim().is_empty() {
            return Err(format!("provider `{name}`: a client ID is needed"));
        }
        if !groups.is_empty() && self.groups_claim.is_none() {
            return Err(format!(
                "provider `{name}`: groups are mapped but no groups claim (`groups_claim`) names them"
            ));
        }
        Ok(OidcProvider {
            rules: ProviderRules {
                display_name: self
                    .display_name
                    .filter(|d| !d.trim().is_empty())
                    .unwrap_or_else(|| name.clone()),
                name,
                auto_provision: self.auto_provision,
                groups,
            },
            issuer: self.issuer,
            client_id: self.client_id,
            client_secret: self
                .client_secret
                .filter(|s| !s.is_empty())
                .map(Secret::new),
            scopes: self
                .scopes
                .unwrap_or_else(|| vec!["profile".into(), "email".into()])
                .into_iter()
                .filter(|s| s != "openid")
                .collect(),
            login_claim: self
                .login_claim
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| "preferred_username".into()),
            groups_claim: self.groups_claim.filter(|c| !c.trim().is_empty()),
        })
    }
}

/// A provider as the site administrators' page lists it.
#[derive(Debug, Clone)]
pub struct ListedProvider {
    pub provider: OidcProvider,
    /// Its settings when added in the pages (`None`: from the file).
    pub settings: Option<OidcSettings>,
}

impl Identity<'_> {
    /// The providers added in the pages, as stored.
    async fn stored_oidc(self) -> ServiceResult<Vec<OidcSettings>> {
        let Some(json) = self.meta.setting(SETTING).await? else {
            return Ok(Vec::new());
        };
        serde_json::from_str(&json).map_err(|e| ServiceError::Internal(format!("{SETTING}: {e}")))
    }

    /// Every OpenID Connect provider: the file's, then those added in the
    /// pages (one that no longer passes the checks is left out, logged).
    pub async fn oidc_providers(self) -> ServiceResult<Vec<OidcProvider>> {
        let mut all = self.identity_providers.oidc.clone();
        for settings in self.stored_oidc().await? {
            let name = settings.name.clone();
            match settings.resolve() {
                Ok(p)
                    if !all
                        .iter()
                        .any(|f| f.rules.name.eq_ignore_ascii_case(&p.rules.name)) =>
                {
                    all.push(p);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(provider = %name, error = %e, "provider left out"),
            }
        }
        Ok(all)
    }

    /// Every OpenID Connect provider, for site administrators.
    pub async fn listed_oidc_providers_as(
        self,
        actor: &Actor,
    ) -> ServiceResult<Vec<ListedProvider>> {
        require_site_admin(actor)?;
        let stored = self.stored_oidc().await?;
        let mut out: Vec<ListedProvider> = self
            .identity_providers
            .oidc
            .iter()
            .map(|p| ListedProvider {
                provider: p.clone(),
                settings: None,
            })
            .collect();
        for settings in stored {
            if let Ok(provider) = settings.clone().resolve() {
                out.push(ListedProvider {
                    provider,
                    settings: Some(settings),
                });
            }
        }
        Ok(out)
    }

    /// Adds a provider, or changes one added in the pages (an empty client
    /// secret keeps the one stored); site administrators.
    pub async fn save_oidc_provider_as(
        self,
        actor: &Actor,
        mut settings: OidcSettings,
    ) -> ServiceResult<()> {
        require_site_admin(actor)?;
        let name = settings.name.clone();
        let taken = |other: &str| other.eq_ignore_ascii_case(&name);
        let files = &self.identity_providers;
        let from_file = files.oidc.iter().any(|p| taken(&p.rules.name))
            || files.ldap.iter().any(|p| taken(&p.rules.name));
        if from_file {
            return Err(ServiceError::Conflict(format!(
                "`{name}` is a provider of the configuration file; change it there"
            )));
        }
        let mut stored = self.stored_oidc().await?;
        let existing = stored.iter().position(|s| taken(&s.name));
        if settings.client_secret.as_deref().is_none_or(str::is_empty)
            && let Some(at) = existing
        {
            settings.client_secret = stored[at].client_secret.clone();
        }
        settings.clone().resolve().map_err(ServiceError::Invalid)?;
        match existing {
            Some(at) => stored[at] = settings,
            None => stored.push(settings),
        }
        self.store_oidc(&stored).await
    }

    /// Removes a provider added in the pages; site administrators. The
    /// identities linked through it stay, and sign in again if it is added
    /// back under the same name.
    pub async fn delete_oidc_provider_as(self, actor: &Actor, name: &str) -> ServiceResult<()> {
        require_site_admin(actor)?;
        let mut stored = self.stored_oidc().await?;
        let before = stored.len();
        stored.retain(|s| s.name != name);
        if stored.len() == before {
            return Err(ServiceError::not_found(format!(
                "no provider `{name}` was added in the pages"
            )));
        }
        self.store_oidc(&stored).await
    }

    async fn store_oidc(self, stored: &[OidcSettings]) -> ServiceResult<()> {
        let json =
            serde_json::to_string(stored).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.meta.set_setting(SETTING, Some(&json)).await?;
        Ok(())
    }
}
