//! The signing keys section of a container package's settings page: the
//! keys its images must be signed with before they are served, added
//! (pasted) and removed by its administrators.

use entrepot_core::{Account, Package, PackageType};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::{Value, context};

use crate::session::{Fields, Viewer};

/// The keys, as the page lists them; none for other formats.
pub async fn section(
    state: &AppState,
    viewer: &Viewer,
    owner: &Account,
    package: &Package,
) -> Result<Option<Value>, ServiceError> {
    if package.package_type != PackageType::Container {
        return Ok(None);
    }
    let keys = state
        .registry
        .image_signing()
        .keys(Some(&viewer.actor), (&owner.login, &package.name))
        .await?;
    let rows: Vec<Value> = keys
        .iter()
        .map(|k| {
            context! {
                id => k.id,
                kind => match k.kind {
                    entrepot_core::image_signing::KeyKind::Openpgp => "OpenPGP",
                    entrepot_core::image_signing::KeyKind::Cosign => "cosign",
                },
                fingerprint => k.fingerprint,
                note => k.note,
            }
        })
        .collect();
    Ok(Some(context! { rows => rows }))
}

/// `image_key_add` or `image_key_remove`, from the page's forms.
pub async fn apply(
    state: &AppState,
    viewer: &Viewer,
    owner: &Account,
    package: &Package,
    action: &str,
    fields: &Fields,
) -> Result<(), ServiceError> {
    let signing = state.registry.image_signing();
    let image = (owner.login.as_str(), package.name.as_str());
    if action == "image_key_remove" {
        let id = fields
            .get("key_id")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ServiceError::Invalid("no signing key given".into()))?;
        return signing.remove_key(Some(&viewer.actor), image, id).await;
    }
    let key = fields
        .get("public_key")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ServiceError::Invalid("paste the public key".into()))?;
    let note = fields.get("note").map(str::to_owned);
    signing
        .add_key(Some(&viewer.actor), image, key, note)
        .await
        .map(drop)
}
