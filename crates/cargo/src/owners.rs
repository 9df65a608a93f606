//! `cargo owner`: a crate's owners are its admins, the owning account
//! first, then everyone granted admin on the crate (the package settings'
//! access list).

use axum::body::Body;
use axum::response::Response;
use entrepot_core::{Account, Actor, Role};
use entrepot_http::AppState;
use serde_json::{Value, json};

use crate::namespace::readable_crate;
use crate::reply::{self, CargoError, Result, signed_in};

/// The largest owners request (a list of logins).
const MAX_OWNERS_BODY: usize = 64 * 1024;

fn user_json(account: &Account) -> Value {
    json!({ "id": account.id, "login": account.login, "name": account.name })
}

/// `cargo owner --list`.
pub async fn list_owners(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    name: &str,
) -> Result<Response> {
    let package = readable_crate(state, actor, owner, name).await?;
    let mut users = vec![user_json(owner)];
    for (user_id, role) in state.registry.packages().package_roles(package.id).await? {
        if role == Role::Admin
            && user_id != owner.id
            && let Some(account) = state.registry.accounts().account_by_id(user_id).await?
        {
            users.push(user_json(&account));
        }
    }
    Ok(reply::ok(&json!({ "users": users })))
}

#[derive(serde::Deserialize)]
struct OwnersRequest {
    users: Vec<String>,
}

/// `cargo owner --add` and `--remove`: grants or takes back admin on the
/// crate. The owning account is an owner by ownership and cannot be
/// removed.
pub async fn change_owners(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    name: &str,
    body: Body,
    add: bool,
) -> Result<Response> {
    signed_in(actor)?;
    let package = readable_crate(state, actor, owner, name).await?;
    let bytes = axum::body::to_bytes(body, MAX_OWNERS_BODY)
        .await
        .map_err(|_| CargoError::bad("the owners request is too large"))?;
    let request: OwnersRequest = serde_json::from_slice(&bytes)
        .map_err(|e| CargoError::bad(format!("the owners request is not valid: {e}")))?;
    if request.users.is_empty() {
        return Err(CargoError::bad("no users named"));
    }
    for user in &request.users {
        if user.eq_ignore_ascii_case(&owner.login) {
            if add {
                continue;
            }
            return Err(CargoError::bad(format!(
                "`{}` owns the registry `{}` and stays an owner of its crates",
                owner.login, owner.login
            )));
        }
        state
            .registry
            .packages()
            .set_package_access(actor, &package, user, add.then_some(Role::Admin))
            .await?;
    }
    // Cargo prints the message after "Owner".
    let msg = format!(
        "{} {} crate `{}` (admin on the package)",
        request.users.join(", "),
        if add { "added to" } else { "removed from" },
        package.name
    );
    Ok(reply::ok(&json!({ "ok": true, "msg": msg })))
}
