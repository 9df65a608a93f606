//! Generic packages at `BASE/generic/OWNER/NAME/VERSION/FILE`, as GitLab's
//! and Gitea's: any files, uploaded with `PUT` and downloaded with `GET`
//! (curl and wget are the clients), several per version, each written
//! once. Packages belong to their owner (granular), private at first.

mod download;
mod endpoint;
mod error;
pub mod fuzzing;
mod install;
mod upload;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::{Package, PackageType, Version};
use entrepot_http::format::{FormatSpec, Snippet};
use entrepot_http::owner::{OwnerRequest, owner_routes};
use entrepot_http::{ApiError, AppState, Caller, PackageFormat};
use entrepot_service::site::Site;

pub use endpoint::Endpoint;
use error::GenericError;

/// The generic format, registered by the server binary.
pub struct Generic;

impl FormatSpec for Generic {
    fn package_type(&self) -> PackageType {
        PackageType::Generic
    }

    fn display_name(&self) -> &'static str {
        "Generic"
    }

    /// Files are fetched by their names: the page links each.
    fn file_url(
        &self,
        site: &Site,
        package: &Package,
        version: &Version,
        file: &str,
    ) -> Option<String> {
        Some(site.url(&format!(
            "/generic/{}/{}/{}/{file}",
            package.owner_login, package.name, version.name
        )))
    }

    fn install_instructions(
        &self,
        site: &Site,
        package: &Package,
        version: Option<&Version>,
        _tags: &[String],
    ) -> Vec<Snippet> {
        install::snippets(site, package, version)
    }
}

impl PackageFormat for Generic {
    fn router(&self) -> Router<AppState> {
        owner_routes("generic", handle)
    }

    /// Clients read the stored files themselves: there is no index to
    /// compare with the metadata.
    fn check_indexes(
        &self,
        _state: &AppState,
        _package: &Package,
        _versions: &[Version],
    ) -> futures::future::BoxFuture<'static, entrepot_service::ServiceResult<Vec<String>>> {
        Box::pin(std::future::ready(Ok(Vec::new())))
    }
}

async fn handle(
    state: AppState,
    caller: Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Response {
    let actor = match caller {
        Ok(Caller(actor)) => actor,
        Err(e) => return GenericError::from(e.0).into_response(),
    };
    let OwnerRequest {
        method,
        owner,
        path,
        headers,
        body,
        ..
    } = request;
    let (state, actor, owner) = (&state, &actor, owner.as_str());
    let result = match Endpoint::parse(&method, &path) {
        Endpoint::Upload(file) => {
            upload::upload(state, actor, owner, &file, (&headers, body)).await
        }
        Endpoint::Download { file, head } => {
            download::download(state, actor, owner, (&file, head), &headers).await
        }
        Endpoint::DeleteVersion { name, version } => {
            download::delete_version(state, actor, owner, (&name, &version)).await
        }
        Endpoint::Unknown => Err(GenericError::not_found(
            "not found: files are at /generic/OWNER/NAME/VERSION/FILE",
        )),
        Endpoint::NotAllowed => Err(GenericError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "files take PUT, GET and HEAD; versions take DELETE",
        )),
        Endpoint::Invalid(why) => Err(GenericError::bad_request(why)),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}
