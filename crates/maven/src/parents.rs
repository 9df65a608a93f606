//! A deployed POM's parents, where they are in the registry: each one's
//! `<properties>` and `<dependencyManagement>` give the versions a child's
//! dependencies leave out, as Maven's effective model has them. A parent
//! is looked for in the deploying repository, then among the owner's
//! other Maven packages the deployer may read (so no private POM's facts
//! leak into a version others can see); one that is absent ends the chain.

use std::collections::HashSet;

use entrepot_core::PackageType;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use futures::TryStreamExt;

use crate::error::Result;
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
        let Some(texts) = parent_pom(state, t, &coordinates).await? else {
            break;
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
        None => registry
            .packages()
            .namespace_packages(&t.owner, PackageType::Maven)
            .await?
            .into_iter()
            .find(|p| p.name == name),
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
    let file = format!("{artifact}-{version}.pom");
    let Some(stored) = registry
        .packages()
        .files(v.id)
        .await?
        .into_iter()
        .find(|f| f.name == file)
    else {
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
