//! The request bodies of the hook endpoints (a hook, or its `config`),
//! read into the service's changes.

use entrepot_core::HookContentType;
use entrepot_service::webhooks::HookChanges;
use serde::Deserialize;
use serde_json::Value;

use crate::shared::{UnprocessableResult as Result, unprocessable};

/// GitHub's hook `config` object in a request.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ConfigBody {
    url: Option<String>,
    content_type: Option<String>,
    secret: Option<String>,
    /// `"0"`/`"1"` as GitHub documents, or a number.
    insecure_ssl: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct HookBody {
    #[serde(default)]
    config: Option<ConfigBody>,
    events: Option<Vec<String>>,
    #[serde(default)]
    add_events: Vec<String>,
    #[serde(default)]
    remove_events: Vec<String>,
    active: Option<bool>,
    name: Option<String>,
}

pub(super) fn config_changes(config: ConfigBody, changes: &mut HookChanges) -> Result<()> {
    changes.url = config.url;
    if let Some(secret) = config.secret {
        changes.secret = Some(Some(secret));
    }
    if let Some(ct) = config.content_type {
        changes.content_type = Some(match ct.as_str() {
            "json" => HookContentType::Json,
            "form" => HookContentType::Form,
            other => {
                return Err(unprocessable(format!(
                    "`{other}` is not a content type: json or form"
                )));
            }
        });
    }
    if let Some(insecure) = config.insecure_ssl {
        changes.insecure_ssl = Some(match insecure {
            Value::String(s) if s == "0" => false,
            Value::String(s) if s == "1" => true,
            Value::Number(n) if n.as_u64() == Some(0) => false,
            Value::Number(n) if n.as_u64() == Some(1) => true,
            other => {
                return Err(unprocessable(format!(
                    "`{other}` is not an insecure_ssl value: \"0\" or \"1\""
                )));
            }
        });
    }
    Ok(())
}

pub(super) fn changes_of(body: HookBody) -> Result<HookChanges> {
    if body.name.as_deref().is_some_and(|n| n != "web") {
        return Err(unprocessable("hooks are named `web`"));
    }
    let mut changes = HookChanges {
        events: body.events,
        add_events: body.add_events,
        remove_events: body.remove_events,
        active: body.active,
        ..HookChanges::default()
    };
    if let Some(config) = body.config {
        config_changes(config, &mut changes)?;
    }
    Ok(changes)
}
