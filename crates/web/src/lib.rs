//! The web pages: a package's page (README, install instructions from its
//! format, versions, files and download activity), and the lists of an
//! owner's, a repository's and the whole instance's packages. Server-rendered
//! HTML, no JavaScript; private packages are simply not there for those who
//! may not see them.

mod chart;
mod render;

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{TimeDelta, Utc};
use entrepot_core::{Account, AccountKind, Actor, Package, PackageType, Version};
use entrepot_http::{AppState, Caller};
use entrepot_service::ServiceError;
use minijinja::{Environment, context};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search))
        .route("/static/style.css", get(stylesheet))
        .route("/{owner}", get(owner_page))
        .route("/{owner}/{repo}/packages", get(repository_page))
        .route(
            "/users/{owner}/packages/{package_type}/package/{*name}",
            get(package_page),
        )
        .route(
            "/orgs/{owner}/packages/{package_type}/package/{*name}",
            get(package_page),
        )
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // HTML-escape what must be escaped, but leave `/` alone (names
        // like `@owner/name` stay readable and searchable in the source).
        env.set_formatter(|out, _state, value| {
            if value.is_safe() {
                write!(out, "{value}")
                    .map_err(|_| minijinja::Error::from(minijinja::ErrorKind::WriteFailure))
            } else {
                let text = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                out.write_str(&escape_html(&text))
                    .map_err(|_| minijinja::Error::from(minijinja::ErrorKind::WriteFailure))
            }
        });
        for (name, source) in [
            ("base.html", include_str!("templates/base.html")),
            ("package.html", include_str!("templates/package.html")),
            ("list.html", include_str!("templates/list.html")),
        ] {
            env.add_template(name, source).expect("templates parse");
        }
        env
    })
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn page(template: &str, ctx: minijinja::Value) -> Response {
    match templates()
        .get_template(template)
        .and_then(|t| t.render(ctx))
    {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            entrepot_http::error::public_message(&ServiceError::Internal(e.to_string()));
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

fn not_found(viewer: Option<&str>) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found · Entrepot</title>\
         <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main><h1>404</h1>\
         <p>There is nothing here{}.</p><p><a href=\"/\">Entrepot</a></p></main></body></html>",
        if viewer.is_some() {
            ""
        } else {
            ", or you need to sign in to see it"
        }
    );
    (StatusCode::NOT_FOUND, Html(html)).into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("templates/style.css"),
    )
        .into_response()
}

/// The path of a package's page, as INTERFACE.md names it.
pub fn package_path(owner: &Account, package: &Package) -> String {
    let segment = match owner.kind {
        AccountKind::User => "users",
        AccountKind::Organization => "orgs",
    };
    format!(
        "/{segment}/{}/packages/{}/package/{}",
        owner.login, package.package_type, package.name
    )
}

/// The name clients know a package by, as its format writes it.
fn display_name(state: &AppState, package: &Package) -> String {
    state
        .format(package.package_type)
        .map_or_else(|| package.name.clone(), |f| f.full_name(package))
}

fn day(t: &chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn human_size(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", b / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.1} MiB", b / 1_048_576.0),
        _ => format!("{:.2} GiB", b / 1_073_741_824.0),
    }
}

#[derive(Serialize)]
struct VersionRow {
    name: String,
    published: String,
    published_iso: String,
    publisher: Option<String>,
    deprecated: Option<String>,
}

#[derive(Serialize)]
struct FileRow {
    name: String,
    size: String,
    sha256: String,
}

async fn package_page(
    State(state): State<AppState>,
    caller: Result<Caller, entrepot_http::ApiError>,
    Path((owner, package_type, name)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let actor = caller.map_or(Actor::Anonymous, |c| c.0);
    let viewer = actor.login().map(str::to_owned);
    match render_package(
        &state,
        &actor,
        &owner,
        &package_type,
        &name,
        query.get("version"),
    )
    .await
    {
        Ok(Some(ctx)) => page("package.html", ctx),
        Ok(None) => not_found(viewer.as_deref()),
        Err(e) => {
            entrepot_http::error::public_message(&e);
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        }
    }
}

#[expect(clippy::too_many_lines, reason = "one page, assembled in one place")]
async fn render_package(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    package_type: &str,
    name: &str,
    wanted: Option<&String>,
) -> Result<Option<minijinja::Value>, ServiceError> {
    let Ok(package_type) = package_type.parse::<PackageType>() else {
        return Ok(None);
    };
    let registry = &state.registry;
    let package = match registry
        .readable_package(actor, owner, package_type, name)
        .await
    {
        Ok(p) => p,
        Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated) => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = &registry.meta;
    let mut versions = meta.versions(package.id, false).await?;
    versions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let downloads = registry.downloads(&package).await?;
    let mut per_version: HashMap<i64, i64> = HashMap::new();
    for d in &downloads {
        *per_version.entry(d.version_id).or_insert(0) += d.count;
    }
    let total: i64 = per_version.values().sum();
    let mut publishers: HashMap<i64, String> = HashMap::new();
    for v in &versions {
        if let Some(p) = v.publisher_id
            && !publishers.contains_key(&p)
            && let Some(a) = meta.account_by_id(p).await?
        {
            publishers.insert(p, a.login);
        }
    }
    let selected: Option<&Version> = match wanted {
        Some(w) => match versions.iter().find(|v| &v.name == w) {
            Some(v) => Some(v),
            None => return Ok(None),
        },
        None => versions.first(),
    };
    let tags = meta.tags(package.id).await?;
    let version_ctx = match selected {
        Some(v) => {
            let files: Vec<FileRow> = meta
                .files(v.id)
                .await?
                .into_iter()
                .map(|f| FileRow {
                    name: f.name,
                    size: human_size(f.size),
                    sha256: f.sha256,
                })
                .collect();
            Some(context! {
                name => v.name,
                published => day(&v.created_at),
                publisher => v.publisher_id.and_then(|p| publishers.get(&p).cloned()),
                downloads => per_version.get(&v.id).copied().unwrap_or(0),
                tags => tags.iter().filter(|t| t.version_id == v.id).map(|t| t.name.clone()).collect::<Vec<_>>(),
                deprecated => v.metadata.get("deprecated").and_then(|d| d.as_str()).map(str::to_owned),
                files => files,
            })
        }
        None => None,
    };
    let install = state
        .format(package.package_type)
        .map(|f| f.install_instructions(&state.config, &package, selected))
        .unwrap_or_default()
        .into_iter()
        .map(|s| context! { title => s.title, language => s.language, body => s.body })
        .collect::<Vec<_>>();
    let repository = match package.repository_id {
        Some(id) => meta.repository_by_id(id).await?.map(|r| r.full_name()),
        None => None,
    };
    let today = Utc::now().date_naive();
    let daily: HashMap<chrono::NaiveDate, i64> =
        downloads.iter().fold(HashMap::new(), |mut acc, d| {
            *acc.entry(d.day).or_insert(0) += d.count;
            acc
        });
    let series = |days: i64| -> Vec<i64> {
        (0..days)
            .rev()
            .map(|back| {
                daily
                    .get(&(today - TimeDelta::days(back)))
                    .copied()
                    .unwrap_or(0)
            })
            .collect()
    };
    let version_rows: Vec<VersionRow> = versions
        .iter()
        .take(20)
        .map(|v| VersionRow {
            name: v.name.clone(),
            published: day(&v.created_at),
            published_iso: v.created_at.to_rfc3339(),
            publisher: v.publisher_id.and_then(|p| publishers.get(&p).cloned()),
            deprecated: v
                .metadata
                .get("deprecated")
                .and_then(|d| d.as_str())
                .map(str::to_owned),
        })
        .collect();
    Ok(Some(context! {
        viewer => actor.login(),
        package => context! {
            name => package.name,
            display_name => display_name(state, &package),
            owner => package.owner_login,
            type => package.package_type.as_str(),
            visibility => package.visibility.as_str(),
            description => package.description,
            downloads => total,
            repository => repository,
        },
        version => version_ctx,
        versions => version_rows,
        install => install,
        readme => package.readme.as_deref().map(render::markdown),
        chart30 => chart::bars(&series(30), "downloads per day, last 30 days"),
        chart90 => chart::bars(&series(90), "downloads per day, last 90 days"),
    }))
}

#[derive(Serialize)]
struct ListRow {
    url: String,
    display_name: String,
    r#type: &'static str,
    visibility: &'static str,
    description: Option<String>,
    updated: String,
    updated_iso: String,
    downloads: i64,
}

const PER_PAGE: usize = 30;

/// Renders a list of packages the viewer may see, filtered, searched,
/// sorted and paginated by the query.
async fn list(
    state: &AppState,
    actor: &Actor,
    heading: String,
    candidates: Vec<Package>,
    query: &HashMap<String, String>,
    base_path: &str,
) -> Result<Response, ServiceError> {
    let wanted_type = query.get("type").filter(|t| !t.is_empty()).cloned();
    let wanted_visibility = query.get("visibility").filter(|v| !v.is_empty()).cloned();
    let text = query.get("q").map(|q| q.to_lowercase()).unwrap_or_default();
    let sort = query
        .get("sort")
        .cloned()
        .unwrap_or_else(|| "newest".into());
    let mut rows = Vec::new();
    for package in candidates {
        if wanted_type
            .as_deref()
            .is_some_and(|t| t != package.package_type.as_str())
            || wanted_visibility
                .as_deref()
                .is_some_and(|v| v != package.visibility.as_str())
            || (!text.is_empty() && !display_name(state, &package).to_lowercase().contains(&text))
            || !state.registry.can_read(actor, &package).await?
        {
            continue;
        }
        let downloads: i64 = state
            .registry
            .downloads(&package)
            .await?
            .iter()
            .map(|d| d.count)
            .sum();
        rows.push((package, downloads));
    }
    if sort == "downloads" {
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.updated_at.cmp(&a.0.updated_at)));
    } else {
        rows.sort_by_key(|row| std::cmp::Reverse(row.0.updated_at));
    }
    let pages = rows.len().div_ceil(PER_PAGE).max(1);
    let page_no: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let mut shown = Vec::new();
    for (package, downloads) in rows
        .into_iter()
        .skip((page_no - 1) * PER_PAGE)
        .take(PER_PAGE)
    {
        let Some(owner) = state.registry.meta.account_by_id(package.owner_id).await? else {
            continue;
        };
        shown.push(ListRow {
            url: package_path(&owner, &package),
            display_name: display_name(state, &package),
            r#type: package.package_type.as_str(),
            visibility: package.visibility.as_str(),
            description: package.description.clone(),
            updated: day(&package.updated_at),
            updated_iso: package.updated_at.to_rfc3339(),
            downloads,
        });
    }
    let link = |n: usize| {
        let mut params: Vec<String> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "page")
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        params.sort();
        params.push(format!("page={n}"));
        format!("{base_path}?{}", params.join("&"))
    };
    Ok(page(
        "list.html",
        context! {
            viewer => actor.login(),
            heading => heading,
            packages => shown,
            types => PackageType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            type => wanted_type,
            visibility => wanted_visibility,
            query => query.get("q").cloned().unwrap_or_default(),
            sort => sort,
            page => page_no,
            pages => pages,
            prev => (page_no > 1).then(|| link(page_no - 1)),
            next => (page_no < pages).then(|| link(page_no + 1)),
        },
    ))
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn or_error(result: Result<Response, ServiceError>) -> Response {
    result.unwrap_or_else(|e| {
        entrepot_http::error::public_message(&e);
        (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
    })
}

async fn owner_page(
    State(state): State<AppState>,
    caller: Result<Caller, entrepot_http::ApiError>,
    Path(owner): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let actor = caller.map_or(Actor::Anonymous, |c| c.0);
    if !entrepot_core::names::is_valid_login(&owner) {
        return not_found(actor.login());
    }
    let account = match state.registry.meta.account_by_login(&owner).await {
        Ok(Some(a)) => a,
        Ok(None) => return not_found(actor.login()),
        Err(e) => return or_error(Err(e.into())),
    };
    let filter = entrepot_store::PackageFilter {
        owner_id: Some(account.id),
        ..Default::default()
    };
    let candidates = match state.registry.meta.list_packages(filter).await {
        Ok(c) => c,
        Err(e) => return or_error(Err(e.into())),
    };
    let path = format!("/{}", account.login);
    or_error(
        list(
            &state,
            &actor,
            format!("{}'s packages", account.login),
            candidates,
            &query,
            &path,
        )
        .await,
    )
}

async fn repository_page(
    State(state): State<AppState>,
    caller: Result<Caller, entrepot_http::ApiError>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let actor = caller.map_or(Actor::Anonymous, |c| c.0);
    let Ok(repository) = state.registry.repository(&format!("{owner}/{repo}")).await else {
        return not_found(actor.login());
    };
    // A private repository is there only for those with a role on it.
    if repository.visibility != entrepot_core::Visibility::Public {
        let role = state.registry.repository_role(&actor, &repository).await;
        let internal_ok = repository.visibility == entrepot_core::Visibility::Internal
            && actor.user_id().is_some();
        if !internal_ok && !matches!(role, Ok(Some(_))) {
            return not_found(actor.login());
        }
    }
    let filter = entrepot_store::PackageFilter {
        repository_id: Some(repository.id),
        ..Default::default()
    };
    let candidates = match state.registry.meta.list_packages(filter).await {
        Ok(c) => c,
        Err(e) => return or_error(Err(e.into())),
    };
    let path = format!("/{}/packages", repository.full_name());
    or_error(
        list(
            &state,
            &actor,
            format!("Packages of {}", repository.full_name()),
            candidates,
            &query,
            &path,
        )
        .await,
    )
}

async fn search(
    State(state): State<AppState>,
    caller: Result<Caller, entrepot_http::ApiError>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let actor = caller.map_or(Actor::Anonymous, |c| c.0);
    let candidates = match state
        .registry
        .meta
        .list_packages(entrepot_store::PackageFilter::default())
        .await
    {
        Ok(c) => c,
        Err(e) => return or_error(Err(e.into())),
    };
    let heading = match query.get("q").filter(|q| !q.is_empty()) {
        Some(q) => format!("Packages matching “{q}”"),
        None => "All packages".to_owned(),
    };
    or_error(list(&state, &actor, heading, candidates, &query, "/search").await)
}

async fn home(
    state: State<AppState>,
    caller: Result<Caller, entrepot_http::ApiError>,
    query: Query<HashMap<String, String>>,
) -> Response {
    search(state, caller, query).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_but_names_stay_readable() {
        assert_eq!(
            escape_html("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape_html("@alice/hello"), "@alice/hello");
        let rendered = templates()
            .get_template("list.html")
            .unwrap()
            .render(context! { heading => "<b>owner</b>", packages => Vec::<ListRow>::new(), pages => 1, page => 1 })
            .unwrap();
        assert!(rendered.contains("&lt;b&gt;owner&lt;/b&gt;"));
    }
}
