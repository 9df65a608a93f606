//! `PUT api/v1/crates/new`: the JSON part is read and checked first (name,
//! version, permission, twins, reuse of a version, dependencies), then the
//! `.crate` is streamed into the blob store, read back once, and the
//! version published; a refused crate leaves nothing behind.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use entrepot_core::{Account, Action, Actor, PackageType, Repository};
use entrepot_http::AppState;
use entrepot_service::access::PublishTarget;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_service::{ServiceError, ServiceResult};
use entrepot_store::{BlobInfo, Expected};
use serde_json::json;

use crate::body::BodyReader;
use crate::index::{self, IndexDependency, NewCrate};
use crate::metadata::VersionMetadata;
use crate::names;
use crate::namespace::crates_of;
use crate::reply::{self, CargoError, Result, internal, signed_in};
use crate::tarball;

/// What publishing needs decided before the `.crate` is stored.
struct Plan {
    deps: Vec<IndexDependency>,
    repository: Option<Repository>,
    /// Why the declared repository is not connected, for cargo to show.
    unconnected: Option<String>,
}

/// Publishes the body's crate to `owner`'s registry, which the caller
/// named `login` in the URL.
pub async fn publish(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    login: &str,
    body: Body,
) -> Result<Response> {
    signed_in(actor)?;
    let mut reader = BodyReader::new(body);
    let (krate, crate_len) = reader.head().await?;
    let plan = prepare(state, actor, owner, login, &krate).await?;
    // Before the `.crate` is stored: its declared length must fit the
    // owner's quota.
    state
        .registry
        .governance()
        .check_upload(
            actor,
            owner,
            (PackageType::Cargo, None),
            u64::from(crate_len),
        )
        .await?;
    let blob = state
        .registry
        .blobs()
        .store_blob(
            reader.into_stream(),
            Expected {
                size: Some(u64::from(crate_len)),
                ..Expected::default()
            },
        )
        .await
        .map_err(|e| match e {
            ServiceError::Invalid(m) if m.starts_with("size mismatch") => CargoError::bad(format!(
                "the .crate is not the {crate_len} bytes the body declares"
            )),
            other => other.into(),
        })?;
    let result = publish_crate(state, actor, owner, krate, plan, &blob).await;
    if result.is_err() {
        let _ = state.registry.blobs().discard_upload(&blob.sha256).await;
    }
    result
}

fn already_uploaded(vers: &str) -> CargoError {
    CargoError::new(
        StatusCode::CONFLICT,
        format!("crate version `{vers}` is already uploaded"),
    )
}

/// The checks that need no `.crate`, in the order cargo users hit them.
async fn prepare(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    login: &str,
    krate: &NewCrate,
) -> Result<Plan> {
    if let Some(problem) = names::name_problem(&krate.name) {
        return Err(CargoError::bad(problem));
    }
    let version = semver::Version::parse(&krate.vers).map_err(|e| {
        CargoError::bad(format!(
            "invalid version `{}`: {e}; versions are SemVer 2.0 (1.2.3)",
            krate.vers
        ))
    })?;
    let (repository, unconnected) = declared_repository(state, owner, krate).await?;
    let crates = crates_of(state, owner).await?;
    let canonical = names::canonical(&krate.name);
    if let Some(twin) = crates
        .iter()
        .find(|p| names::canonical(&p.name) == canonical)
        && twin.name != krate.name
    {
        // A twin the caller may not see is named only to those who could
        // create crates here, who would collide with it anyway; everyone
        // else gets what a new name would get.
        if let Err(ServiceError::NotFound(_)) = state
            .registry
            .authorize_package(actor, Action::Read, twin)
            .await
        {
            state
                .registry
                .authorize_namespace(
                    actor,
                    owner,
                    (PackageType::Cargo, &krate.name),
                    repository.as_ref(),
                    Action::Create,
                )
                .await?;
        }
        return Err(CargoError::bad(format!(
            "crate `{}` already exists as `{}`: names that differ only in case, `-` or `_` \
             are the same crate; publish it as `{}`",
            krate.name, twin.name, twin.name
        )));
    }
    let target = state
        .registry
        .publish_target(
            actor,
            owner,
            PackageType::Cargo,
            &krate.name,
            repository.as_ref(),
        )
        .await?;
    match target {
        PublishTarget::Existing(existing) => {
            // Deleted versions count: a version is never reused.
            for v in state
                .registry
                .packages()
                .versions(existing.id, true)
                .await?
            {
                if semver::Version::parse(&v.name).is_ok_and(|v| same_release(&v, &version)) {
                    return Err(already_uploaded(&krate.vers));
                }
            }
        }
        PublishTarget::New => {}
        // Crate names are the owner's: the name is taken, though the
        // caller, who could create crates here, may not see its crate.
        PublishTarget::Hidden => {
            return Err(CargoError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "the name `{}` belongs to a crate of {}'s that you may not publish to",
                    krate.name, owner.login
                ),
            ));
        }
    }
    let own = own_index_urls(state, owner, login);
    let mut deps = Vec::new();
    for dep in &krate.deps {
        let translated = index::dependency(dep, &own).map_err(CargoError::bad)?;
        // Cargo finds a dependency by its lowercase name: it must be there.
        let here = dep.name.to_ascii_lowercase();
        if translated.registry.is_none()
            && names::canonical(&dep.name) != canonical
            && !crates.iter().any(|p| p.name.to_ascii_lowercase() == here)
        {
            return Err(CargoError::bad(format!(
                "dependency `{}` is not in {}'s registry; publish it first",
                dep.name, owner.login
            )));
        }
        deps.push(translated);
    }
    Ok(Plan {
        deps,
        repository,
        unconnected,
    })
}

/// Whether two versions are one in the index's eyes: build metadata
/// does not tell versions apart.
fn same_release(a: &semver::Version, b: &semver::Version) -> bool {
    (a.major, a.minor, a.patch, &a.pre) == (b.major, b.minor, b.patch, &b.pre)
}

/// The URLs by which cargo may name this registry's own index in a
/// dependency (which the index then writes as "this registry").
fn own_index_urls(state: &AppState, owner: &Account, login: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for who in [owner.login.as_str(), login] {
        let index = state.config.url(&format!("/cargo/{who}/index/"));
        urls.push(format!("sparse+{index}"));
        urls.push(index);
    }
    urls
}

/// The repository the crate's `repository` field names, if it is one of
/// the owner's, and why not otherwise (for cargo to show).
async fn declared_repository(
    state: &AppState,
    owner: &Account,
    krate: &NewCrate,
) -> ServiceResult<(Option<Repository>, Option<String>)> {
    Ok(match krate.repository.as_deref() {
        Some(url) => {
            let found = entrepot_http::repo_link::resolve(state, url, &owner.login).await?;
            let why = found.is_none().then(|| {
                format!(
                    "`repository` ({url}) names no repository of {} on this server; \
                     the crate is not connected to one",
                    owner.login
                )
            });
            (found, why)
        }
        // GitHub's default: the owner's repository named like the crate.
        None => (
            state
                .registry
                .accounts()
                .repository_of(owner.id, &krate.name)
                .await?,
            None,
        ),
    })
}

/// Reads the stored `.crate` back (the manifest must agree with the
/// metadata; the README is picked out) and publishes the version.
async fn publish_crate(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    krate: NewCrate,
    plan: Plan,
    blob: &BlobInfo,
) -> Result<Response> {
    let read = state.registry.blobs().read_blob(&blob.sha256, None).await?;
    let reader = tokio_util::io::SyncIoBridge::new_with_handle(
        tokio_util::io::StreamReader::new(read.stream),
        tokio::runtime::Handle::current(),
    );
    let (name, vers) = (krate.name.clone(), krate.vers.clone());
    let contents = {
        let (name, vers, readme_file) = (name.clone(), vers.clone(), krate.readme_file.clone());
        tokio::task::spawn_blocking(move || {
            tarball::read_crate(
                std::io::BufReader::new(reader),
                &name,
                &vers,
                readme_file.as_deref(),
            )
        })
        .await
        .map_err(internal)?
        .map_err(|m| CargoError::new(StatusCode::UNPROCESSABLE_ENTITY, m))?
    };
    let rust_version = contents
        .rust_version
        .clone()
        .or_else(|| krate.rust_version.clone());
    let line = index::line(&krate, plan.deps, &blob.sha256, rust_version);
    let readme = contents
        .readme
        .or_else(|| krate.readme.clone())
        .filter(|r| !r.trim().is_empty());
    let description = krate
        .description
        .clone()
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    let metadata = VersionMetadata::new(krate, line, description.clone());
    let published = state
        .registry
        .packages()
        .publish(
            actor,
            Publication {
                owner: owner.login.clone(),
                package_type: PackageType::Cargo,
                name: name.clone(),
                version: vers.clone(),
                metadata: metadata.to_json().map_err(internal)?,
                files: vec![StagedFile {
                    name: format!("{name}-{vers}.crate"),
                    blob: blob.clone(),
                    content_type: Some("application/gzip".into()),
                }],
                tags: Vec::new(),
                repository: plan.repository.clone(),
                description,
                readme,
            },
        )
        .await;
    let (package, _) = match published {
        Ok(p) => p,
        Err(ServiceError::Conflict(_)) => return Err(already_uploaded(&vers)),
        Err(e) => return Err(e.into()),
    };
    let mut other = Vec::new();
    match plan.repository {
        Some(repo) => {
            state
                .registry
                .packages()
                .connect_repository(&package, &repo)
                .await?;
        }
        None if package.repository_id.is_none() => other.extend(plan.unconnected),
        None => {}
    }
    Ok(reply::ok(
        &json!({ "warnings": { "invalid_categories": [], "invalid_badges": [], "other": other } }),
    ))
}
