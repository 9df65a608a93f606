//! What a request is about, found once: the repository its URL names,
//! the repository's owner, the artifact's coordinates and, once deployed,
//! its package; and whether the caller may act on it.

use entrepot_core::{Account, Action, Actor, Package, PackageType, Repository};
use entrepot_http::AppState;
use entrepot_service::ServiceError;

use crate::error::Result;
use crate::path::Coordinates;

/// Everything a request is about, resolved once.
pub struct Target {
    pub actor: Actor,
    pub repository: Repository,
    pub owner: Account,
    pub coordinates: Coordinates,
    /// The package in this repository, if one has been deployed.
    pub package: Option<Package>,
}

impl Target {
    /// Finds the repository and the package of `coordinates`. A repository
    /// the caller may not know about answers like nothing there
    /// (`ServiceError::unseen`: 401 to the anonymous, on which Maven signs
    /// in, 404 to the signed in); a package of another repository is not
    /// in this one.
    pub async fn resolve(
        state: &AppState,
        actor: Actor,
        (owner, repo): (&str, &str),
        coordinates: &Coordinates,
    ) -> Result<Target> {
        let registry = &state.registry;
        let unseen = |actor: &Actor| ServiceError::unseen(actor, "Not Found");
        let repository = match registry
            .accounts()
            .repository(&format!("{owner}/{repo}"))
            .await
        {
            Ok(r) => r,
            Err(ServiceError::NotFound(_) | ServiceError::Invalid(_)) => {
                return Err(unseen(&actor).into());
            }
            Err(e) => return Err(e.into()),
        };
        let owner = registry
            .accounts()
            .account_by_id(repository.owner_id)
            .await?
            .ok_or_else(|| unseen(&actor))?;
        let package = registry
            .packages()
            .repository_package(&repository, PackageType::Maven, &coordinates.package_name())
            .await?;
        Ok(Target {
            actor,
            repository,
            owner,
            coordinates: coordinates.clone(),
            package,
        })
    }

    /// GitHub's package name: `groupId.artifactId`.
    pub fn package_name(&self) -> String {
        self.coordinates.package_name()
    }

    /// Checks `action` on the package, or (before it exists) in the
    /// repository it would be created in, where publishing creates it.
    pub async fn allow(&self, state: &AppState, action: Action) -> Result<()> {
        let registry = &state.registry;
        match &self.package {
            Some(p) => registry.authorize_package(&self.actor, action, p).await?,
            None => {
                registry
                    .authorize_namespace(
                        &self.actor,
                        &self.owner,
                        (PackageType::Maven, &self.package_name()),
                        Some(&self.repository),
                        action,
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
