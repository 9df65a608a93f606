//! `gem yank`: the version is deleted (restorable for the retention
//! period); yanking the last one deletes the gem.

use std::collections::HashMap;

use axum::body::Body;
use axum::response::Response;

use crate::respond::{GemError, Result, text_response};
use crate::view::View;

/// `DELETE api/v1/gems/yank`, its fields in the query or a form body.
pub async fn yank(
    view: &View<'_>,
    mut fields: HashMap<String, String>,
    body: Body,
) -> Result<Response> {
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| GemError::bad_request("the form is too large"))?;
    fields.extend(entrepot_http::owner::form_fields(&String::from_utf8_lossy(
        &bytes,
    )));
    let field = |k: &str| fields.get(k).map_or("", String::as_str);
    let (name, number, platform) = (field("gem_name"), field("version"), field("platform"));
    if name.is_empty() || number.is_empty() {
        return Err(GemError::bad_request("gem_name and version are required"));
    }
    let package = view.package(name).await?;
    let full = if platform.is_empty() || platform == "ruby" {
        number.to_owned()
    } else {
        format!("{number}-{platform}")
    };
    let deleted = view
        .registry()
        .packages()
        .delete_version_or_package(view.actor, &package, &full)
        .await?;
    if deleted.is_none() {
        return Err(GemError::not_found(format!(
            "The version {full} does not exist for {name}."
        )));
    }
    Ok(text_response(
        false,
        format!("Successfully deleted gem: {name} ({full})"),
    ))
}
