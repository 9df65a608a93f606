//! Telling people about dependency alerts, and the alert in GitHub's
//! `dependabot-alert` shape (REST and the `dependabot_alert` webhook).

use chrono::Utc;
use entrepot_core::alert::DependencyAlert;
use entrepot_core::dependency::DependencyKind;
use entrepot_core::webhook::{EVENT_DEPENDABOT_ALERT, new_guid};
use entrepot_core::{Account, AccountKind, Action, Advisory, Ecosystem, Id, Package};
use entrepot_store::NewDelivery;
use serde_json::{Value, json};

use crate::alerts::AlertView;
use crate::format::Catalog;
use crate::webhooks::{account_json, advisory_json, as_user, iso, org_json, repository_json};
use crate::{DependencyAlerts, ServiceError, ServiceResult};

impl DependencyAlerts<'_> {
    /// Tells those `alert` concerns that it was `action` (`created`,
    /// `reintroduced`: a notification to each who may manage the package,
    /// and a mail where wanted; every action: the owner's hooks).
    pub(crate) async fn tell(
        self,
        alert: &DependencyAlert,
        advisory: &Advisory,
        action: &str,
        sender: Option<Id>,
    ) {
        if let Err(e) = self.try_tell(alert, advisory, action, sender).await {
            tracing::warn!(error = %e, alert = alert.id, "could not tell anyone about a dependency alert");
        }
    }

    async fn try_tell(
        self,
        alert: &DependencyAlert,
        advisory: &Advisory,
        action: &str,
        sender: Option<Id>,
    ) -> ServiceResult<()> {
        let Some(package) = self.meta.package_by_id(alert.package_id).await? else {
            return Ok(());
        };
        let Some(owner) = self.meta.account_by_id(package.owner_id).await? else {
            return Ok(());
        };
        let catalog = self.catalog();
        let view = AlertView {
            alert: alert.clone(),
            advisory: advisory.clone(),
            package: package.clone(),
        };
        if matches!(action, "created" | "reintroduced") {
            let users = self.managers(&package, &owner).await?;
            let name = catalog.client_name(&package);
            let fix = if alert.admits_patched {
                "a fresh install takes the patched version"
            } else {
                "its range must change to take the patched version"
            };
            let title = format!(
                "{name} depends on {} {} ({}): {fix}",
                alert.dependency.name, alert.dependency.range, advisory.summary
            );
            let url = alert_html_url(catalog, &view, &owner);
            self.webhooks()
                .notify_security(&users, (&title, &url), (package.id, &advisory.ghsa_id))
                .await?;
        }
        let sender = match sender {
            Some(id) => self.meta.account_by_id(id).await?,
            None => None,
        };
        let dismissed_by = match alert.dismissed_by {
            Some(id) => self.meta.account_by_id(id).await?,
            None => None,
        };
        let mut payload = json!({
            "action": action,
            "alert": alert_json(catalog, &view, &owner, dismissed_by.as_ref()),
            "sender": sender.as_ref().map_or_else(|| account_json(catalog, &owner), |s| account_json(catalog, s)),
        });
        if owner.kind == AccountKind::Organization {
            payload["organization"] = org_json(catalog, &owner);
        }
        if let Some(repo) = match package.repository_id {
            Some(id) => self.meta.repository_by_id(id).await?,
            None => None,
        } {
            payload["repository"] = repository_json(catalog, &repo, &owner);
        }
        let at = Utc::now();
        let deliveries: Vec<NewDelivery> = self
            .meta
            .hooks(owner.id, None)
            .await?
            .into_iter()
            .filter(|h| h.active && h.wants(EVENT_DEPENDABOT_ALERT))
            .map(|hook| NewDelivery {
                guid: new_guid(),
                hook_id: hook.id,
                event: EVENT_DEPENDABOT_ALERT.to_owned(),
                action: Some(action.to_owned()),
                payload: payload.to_string(),
                redelivery: false,
                at,
            })
            .collect();
        if !deliveries.is_empty() {
            self.meta.enqueue_deliveries(&deliveries).await?;
            self.delivery.wake();
        }
        Ok(())
    }

    /// The users who may manage `package`: its owner, or the members of the
    /// organization that owns it who may.
    async fn managers(self, package: &Package, owner: &Account) -> ServiceResult<Vec<Id>> {
        let candidates: Vec<Account> = match owner.kind {
            AccountKind::User => vec![owner.clone()],
            AccountKind::Organization => {
                let mut members = Vec::new();
                for (id, _) in self.meta.org_members(owner.id).await? {
                    if let Some(account) = self.meta.account_by_id(id).await? {
                        members.push(account);
                    }
                }
                members
            }
            AccountKind::Upstream => Vec::new(),
        };
        let mut users = Vec::new();
        for account in candidates {
            match self
                .authorize_package(&as_user(&account), Action::Manage, package)
                .await
            {
                Ok(()) => users.push(account.id),
                Err(ServiceError::Internal(e)) => return Err(ServiceError::Internal(e)),
                Err(_) => {}
            }
        }
        Ok(users)
    }
}

/// Where an alert is seen: the dependent package's page.
pub fn alert_html_url(catalog: &Catalog, view: &AlertView, owner: &Account) -> String {
    catalog.url(&format!(
        "/{}/{}/packages/{}/package/{}",
        owner.kind.url_segment(),
        owner.login,
        view.package.package_type,
        view.package.name
    ))
}

/// GitHub's `dependabot-alert` for `view`, whose package `owner` owns;
/// `dismissed_by` is the account that dismissed it, if any.
pub fn alert_json(
    catalog: &Catalog,
    view: &AlertView,
    owner: &Account,
    dismissed_by: Option<&Account>,
) -> Value {
    let AlertView {
        alert, advisory, ..
    } = view;
    let mut security_advisory = advisory_json(catalog, advisory, &advisory.package_name);
    if let Some(fields) = security_advisory.as_object_mut() {
        fields.remove("html_url");
        if fields.get("severity").is_some_and(Value::is_null) {
            fields.insert("severity".into(), json!("low"));
        }
    }
    let wanted = entrepot_core::dependency::key(alert.dependency.ecosystem, &alert.dependency.name);
    let vulnerability = security_advisory["vulnerabilities"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|v| {
                    v["package"]["name"].as_str().is_some_and(|n| {
                        entrepot_core::dependency::key(alert.dependency.ecosystem, n) == wanted
                    })
                })
                .or_else(|| all.first())
        })
        .cloned()
        .unwrap_or(Value::Null);
    let mut vulnerability = vulnerability;
    if vulnerability["severity"].is_null() {
        vulnerability["severity"] = security_advisory["severity"].clone();
    }
    if let Some(list) = security_advisory["vulnerabilities"].as_array_mut() {
        for v in list {
            if v["severity"].is_null() {
                v["severity"] = json!("low");
            }
        }
    }
    let scope = match alert.dependency.kind {
        DependencyKind::Development => "development",
        _ => "runtime",
    };
    let api = catalog.url(&format!(
        "/api/v3/{}/{}/packages/{}/{}/dependabot/alerts/{}",
        owner.kind.url_segment(),
        owner.login,
        view.package.package_type,
        view.package.name,
        alert.id
    ));
    json!({
        "number": alert.id,
        "state": alert.state.as_str(),
        "dependency": {
            "package": {
                "ecosystem": ecosystem_word(alert.dependency.ecosystem),
                "name": alert.dependency.name,
            },
            "manifest_path": catalog.format(view.package.package_type).map_or("", |f| f.manifest_path()),
            "scope": scope,
            "relationship": "direct",
        },
        "security_advisory": security_advisory,
        "security_vulnerability": vulnerability,
        "url": api,
        "html_url": alert_html_url(catalog, view, owner),
        "created_at": iso(&alert.created_at),
        "updated_at": iso(&alert.updated_at),
        "dismissed_at": alert.dismissed_at.as_ref().map(iso),
        "dismissed_by": dismissed_by.map(|a| account_json(catalog, a)),
        "dismissed_reason": alert.dismissed_reason.map(entrepot_core::DismissedReason::as_str),
        "dismissed_comment": alert.dismissed_comment,
        "fixed_at": alert.fixed_at.as_ref().map(iso),
        "auto_dismissed_at": alert.auto_dismissed_at.as_ref().map(iso),
    })
}

/// GitHub's Dependabot ecosystem words (`pip`, `rust`… as advisories).
fn ecosystem_word(ecosystem: Ecosystem) -> &'static str {
    ecosystem.as_str()
}
