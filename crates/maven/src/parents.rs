//! A deployed POM's parents, where they are in the registry: each one's
//! `<properties>` and `<dependencyManagement>` give the versions a child's
//! dependencies leave out, as Maven's effective model has them. A parent
//! is looked for in the deploying repository, then among the owner's
//! other Maven packages, and read only if the deployer may read it (who
//! may read the child may then see the versions it manages, as anyone who
//! resolves the child sees them). One that is absent, or cannot be read,
//! ends the chain: this is extra knowledge, never a reason to refuse the
//! deploy. A SNAPSHOT parent is read from its newest build.

use std::collections::HashSet;

use entrepot_core::PackageType;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use futures::TryStreamExt;

use crate::error::Result;
use crate::maven_metadata;
use crate::path::Coordinates;
use crate::pom_deps::{self, Inherited};
use crate::stored::version_of;
use crate::target::Target;
use crate::xml::{self, MAX_XML_BYTES};

/// How many generations are read: real projects use two or three.
const MAX_PARENTS: usize = 8;

/// What the parents of a POM whose `<parent>` is `first` pass on, or
/// `None` when the first parent is not here.
pub async fn inherited(
    state: &AppState,
    t: &Target,
    first: &(String, String, String),
) -> Result<Option<Inherited>> {
    let mut chain = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some(first.clone());
    while let Some(coordinates) = next.take() {
        if chain.len() == MAX_PARENTS || !seen.insert(coordinates.clone()) {
            break;
        }
        let texts = match parent_pom(state, t, &coordinates).await {
            Ok(Some(texts)) => texts,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(status = %e.status, error = %e.message, parent = ?coordinates, "could not read a parent POM");
                break;
            }
        };
        next = pom_deps::parent(&texts);
        chain.push(texts);
    }
    if chain.is_empty() {
        return Ok(None);
    }
    // From the farthest ancestor down, each over what its parent passed.
    Ok(Some(
        chain
            .iter()
            .rev()
            .fold(Inherited::default(), |parent, texts| {
                Inherited::of(texts, &parent)
            }),
    ))
}

/// The parent POM `(group, artifact, version)` as `xml::texts` reads it,
/// if the deployer may read it here.
async fn parent_pom(
    state: &AppState,
    t: &Target,
    (group, artifact, version): &(String, String, String),
) -> Result<Option<Vec<(String, String)>>> {
    let registry = &state.registry;
    let name = Coordinates {
        group: group.clone(),
        artifact: artifact.clone(),
    }
    .package_name();
    let package = match registry
        .packages()
        .repository_package(&t.repository, PackageType::Maven, &name)
        .await?
    {
        Some(p) => Some(p),
        None => {
            registry
                .packages()
                .package_named(t.owner.id, PackageType::Maven, &name, false)
                .await?
        }
    };
    let Some(package) = package else {
        return Ok(None);
    };
    if !registry.can_read(&t.actor, &package).await? {
        return Ok(None);
    }
    let Some(v) = version_of(state, &package, version).await? else {
        return Ok(None);
    };
    let files = registry.packages().files(v.id).await?;
    let file = match version.strip_suffix("-SNAPSHOT") {
        Some(base) => {
            let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
            let newest = maven_metadata::build_numbers(&names, artifact, base)
                .first()
                .copied();
            names.into_iter().find(|n| {
                maven_metadata::build(n, artifact, base).is_some_and(|b| {
                    Some(b.number) == newest && b.classifier.is_none() && b.extension == "pom"
                })
            })
        }
        None => Some(format!("{artifact}-{version}.pom")),
    };
    let Some(stored) = file.and_then(|file| files.into_iter().find(|f| f.name == file)) else {
        return Ok(None);
    };
    if stored.size > MAX_XML_BYTES as u64 {
        return Ok(None);
    }
    let read = registry.blobs().read_blob(&stored.sha256, None).await?;
    let chunks: Vec<bytes::Bytes> = read
        .stream
        .try_collect()
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    // A parent deployed before POMs were checked may not parse: it then
    // passes nothing on, as if it were absent.
    Ok(xml::texts(&chunks.concat()).ok())
}
