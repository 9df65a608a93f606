//! A package's page (`/{users|orgs}/OWNER/packages/TYPE/package/NAME`):
//! one version (the latest, or `?version=`) with its files, install
//! instructions from its format, the README, download figures and chart,
//! dist-tags and the most recent versions. It reads one page of versions
//! and summed downloads from the store, so a package with thousands of
//! versions costs what one with twenty does; all of them are on
//! `versions.rs`'s page.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{NaiveDate, TimeDelta, Utc};
use entrepot_core::{Account, Action, Actor, Lifecycle, Package, PackageType, Version};
use entrepot_http::AppState;
use entrepot_http::format::{Details, VersionView, Weight};
use entrepot_service::ServiceError;
use minijinja::context;
use serde::Serialize;

use crate::session::Viewer;
use crate::{
    advisories, chart, day, details, display_name, human_size, not_found, notifications,
    package_path, packaged, page, render, server_error, settings_path,
};

/// The versions the package page lists.
const RECENT: u32 = 20;
/// The tags the side column lists (a container may have thousands).
const TAGS_SHOWN: usize = 10;
/// The days of the longer chart.
const CHART_DAYS: i64 = 90;

#[derive(Serialize)]
pub(crate) struct VersionRow {
    pub name: String,
    /// How the page names it (see [`version_label`]).
    pub label: String,
    pub published: String,
    pub published_iso: String,
    pub publisher: Option<String>,
    /// A badge for a deprecated, yanked or unlisted version.
    pub status: Option<&'static str>,
    /// A published advisory covers it.
    pub vulnerable: bool,
    pub downloads: i64,
    pub tags: Vec<String>,
}

#[derive(Serialize)]
struct FileRow {
    name: String,
    size: String,
    sha256: String,
    /// Where its client downloads it, where the format says.
    url: Option<String>,
}

/// The logins of the versions' publishers.
pub(crate) async fn publishers(
    state: &AppState,
    versions: &[&Version],
) -> Result<HashMap<i64, String>, ServiceError> {
    let mut found = HashMap::new();
    for id in versions.iter().filter_map(|v| v.publisher_id) {
        if !found.contains_key(&id)
            && let Some(a) = state.registry.accounts().account_by_id(id).await?
        {
            found.insert(id, a.login);
        }
    }
    Ok(found)
}

/// Rows for `versions`, with their publishers, downloads, tags and
/// badges.
pub(crate) fn version_rows(
    state: &AppState,
    package: &Package,
    versions: &[Version],
    publishers: &HashMap<i64, String>,
    downloads: &HashMap<i64, i64>,
    tags: &[entrepot_core::Tag],
    advisories: &[advisories::AdvisoryRow],
) -> Vec<VersionRow> {
    let format = state.format(package.package_type);
    versions
        .iter()
        .map(|v| {
            let tags: Vec<String> = tags
                .iter()
                .filter(|t| t.version_id == v.id)
                .map(|t| t.name.clone())
                .collect();
            VersionRow {
                name: v.name.clone(),
                label: version_label(&v.name, &tags),
                published: day(&v.created_at),
                published_iso: v.created_at.to_rfc3339(),
                publisher: v.publisher_id.and_then(|p| publishers.get(&p).cloned()),
                status: format
                    .map_or(Lifecycle::Available, |f| f.lifecycle(v))
                    .label(),
                vulnerable: advisories.iter().any(|a| a.affected.contains(&v.name)),
                downloads: downloads.get(&v.id).copied().unwrap_or(0),
                tags,
            }
        })
        .collect()
}

/// How a page names a version: by its number, or an image's by its tag
/// (`latest` first) and else by the first 12 digits of its digest, as
/// `docker images` does: a whole digest makes a heading no one reads.
pub(crate) fn version_label(name: &str, tags: &[String]) -> String {
    let Some((algorithm, hex)) = name.split_once(':') else {
        return name.to_owned();
    };
    if !algorithm.starts_with("sha") || hex.len() < 32 {
        return name.to_owned();
    }
    match tags
        .iter()
        .find(|t| *t == "latest")
        .or_else(|| tags.first())
    {
        Some(tag) => tag.clone(),
        None => format!("{algorithm}:{}", hex.chars().take(12).collect::<String>()),
    }
}

/// The path of a package's versions page (GitHub's: no `/package/`).
pub(crate) fn versions_path(owner: &Account, package: &Package) -> String {
    format!(
        "/{}/{}/packages/{}/{}/versions",
        crate::owner_segment(owner),
        owner.login,
        package.package_type,
        package.name
    )
}

pub(crate) async fn package_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((owner, package_type, name)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some((name, rest)) = name.split_once(packaged::SEPARATOR) {
        return packaged::serve(&state, &viewer, (&owner, &package_type, name), rest).await;
    }
    match render_package(
        &state,
        &viewer.actor,
        &owner,
        &package_type,
        &name,
        query.get("version"),
    )
    .await
    {
        Ok(Some(ctx)) => page(&viewer, "package.html", ctx),
        Ok(None) => not_found(&viewer),
        Err(e) => server_error(&e),
    }
}

/// The package `actor` may read, or `None` for a 404.
pub(crate) async fn readable(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    package_type: &str,
    name: &str,
) -> Result<Option<Package>, ServiceError> {
    let Ok(package_type) = package_type.parse::<PackageType>() else {
        return Ok(None);
    };
    match state
        .registry
        .packages()
        .readable_package(actor, owner, package_type, name)
        .await
    {
        Ok(p) => Ok(Some(p)),
        Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Where a README's relative links lead inside the package: the files of
/// its latest version, for a format that ships them in an archive.
async fn packaged_files(
    state: &AppState,
    owner: Option<&Account>,
    package: &Package,
    latest: Option<&str>,
) -> Result<Option<render::LinkBase>, ServiceError> {
    let (Some(owner), Some(latest), Some(format)) =
        (owner, latest, state.format(package.package_type))
    else {
        return Ok(None);
    };
    let packages = state.registry.packages();
    let Some(version) = packages.version(package.id, latest).await? else {
        return Ok(None);
    };
    if format.archive(&packages.files(version.id).await?).is_none() {
        return Ok(None);
    }
    Ok(packaged::files_base(owner, package, latest)
        .map(|files| render::LinkBase::of_files(package_path(owner, package), files)))
}

/// Download figures: in all, and over the last 30 days, 7 days and today.
fn figures(total: i64, daily: &HashMap<NaiveDate, i64>, today: NaiveDate) -> minijinja::Value {
    let since = |days: i64| -> i64 {
        (0..days)
            .filter_map(|back| daily.get(&(today - TimeDelta::days(back))))
            .sum()
    };
    context! {
        total => total,
        month => since(30),
        week => since(7),
        today => since(1),
    }
}

/// The version a package's page shows unless one is asked for: the one
/// tagged `latest` (as npm's site and GitHub's image pages do), else the
/// newest that is not attached to another (an image's signature or SBOM).
async fn default_version(
    state: &AppState,
    package: &Package,
    recent: &[Version],
    tagged: &[(String, String)],
) -> Result<Option<Version>, ServiceError> {
    if let Some((_, name)) = tagged.iter().find(|(tag, _)| tag == "latest") {
        if let Some(v) = recent.iter().find(|v| &v.name == name) {
            return Ok(Some(v.clone()));
        }
        // Tagged long ago, beyond the page's recent versions.
        if let Some(v) = state.registry.packages().version(package.id, name).await?
            && v.deleted_at.is_none()
        {
            return Ok(Some(v));
        }
    }
    let format = state.format(package.package_type);
    Ok(recent
        .iter()
        .find(|v| {
            let named: Vec<&str> = tagged
                .iter()
                .filter(|(_, version)| *version == v.name)
                .map(|(tag, _)| tag.as_str())
                .collect();
            !format.is_some_and(|f| f.is_attachment(v, &named))
        })
        .or(recent.first())
        .cloned())
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
    let Some(package) = readable(state, actor, owner, package_type, name).await? else {
        return Ok(None);
    };
    let registry = &state.registry;
    let packages = registry.packages();
    let (recent, count) = packages.versions_page(package.id, RECENT, 0).await?;
    let tagged = packages.tagged_versions(package.id).await?;
    let selected: Option<Version> = match wanted {
        Some(w) => match recent.iter().find(|v| &v.name == w) {
            Some(v) => Some(v.clone()),
            // Only a live version has a view.
            None => match packages.version(package.id, w).await? {
                Some(v) if v.deleted_at.is_none() => Some(v),
                _ => return Ok(None),
            },
        },
        None => default_version(state, &package, &recent, &tagged).await?,
    };
    // The latest is what the `latest` tag says where there is one (npm's
    // may point at a backport), else the newest.
    let latest = tagged
        .iter()
        .find(|(tag, _)| tag == "latest")
        .map(|(_, version)| version.clone())
        .or_else(|| recent.first().map(|v| v.name.clone()));
    let today = Utc::now().date_naive();
    let mut shown: Vec<&Version> = recent.iter().collect();
    shown.extend(selected.as_ref());
    let shown_ids: Vec<i64> = shown.iter().map(|v| v.id).collect();
    let summary = packages
        .download_summary(
            &package,
            today - TimeDelta::days(CHART_DAYS - 1),
            &shown_ids,
        )
        .await?;
    let per_version: HashMap<i64, i64> = summary.by_version.iter().copied().collect();
    let daily: HashMap<NaiveDate, i64> = summary.by_day.iter().copied().collect();
    let publishers = publishers(state, &shown).await?;
    let tags = packages.tags(package.id).await?;
    let advisories = advisories::package_advisories(state, actor, &package).await?;
    let format = state.format(package.package_type);
    let mut manifest = match (&selected, format) {
        (Some(v), Some(f)) => f.details(v).bounded(),
        _ => Details::default(),
    };
    let dependency_paths =
        crate::dependency_links::resolve(state, actor, &package, selected.as_ref(), &mut manifest)
            .await?;
    let mut size = None;
    let version_tags: Vec<String> = selected.as_ref().map_or_else(Vec::new, |v| {
        tagged
            .iter()
            .filter(|(_, version)| *version == v.name)
            .map(|(tag, _)| tag.clone())
            .collect()
    });
    let version_ctx = match &selected {
        Some(v) => {
            let view = match format {
                Some(f) => f.version_view(registry, &package, v).await?,
                None => VersionView::default(),
            };
            let status = format.map_or(Lifecycle::Available, |f| f.lifecycle(v));
            let stored = packages.files(v.id).await?;
            let via = registry.trusted().published_via(v.id).await?;
            let files_size: u64 = stored.iter().map(|f| f.size).sum();
            let files: Vec<FileRow> = stored
                .into_iter()
                .map(|f| FileRow {
                    url: format
                        .and_then(|spec| spec.file_url(&state.config.site, &package, v, &f.name)),
                    name: f.name,
                    size: human_size(f.size),
                    sha256: f.sha256,
                })
                .collect();
            size = match view.weight {
                Weight::Files => Some(human_size(files_size)),
                Weight::Bytes(bytes) => Some(human_size(bytes)),
                Weight::Unshown => None,
            };
            Some(context! {
                name => v.name,
                label => version_label(&v.name, &version_tags),
                sections => view.sections.into_iter().map(|s| context! { title => s.title, columns => s.columns, rows => s.rows }).collect::<Vec<_>>(),
                published => day(&v.created_at),
                publisher => v.publisher_id.and_then(|p| publishers.get(&p).cloned()),
                via => via,
                downloads => per_version.get(&v.id).copied().unwrap_or(0),
                tags => version_tags,
                status => status.label(),
                status_detail => status.reason(),
                advisories => advisories.iter().filter(|a| a.affected.contains(&v.name)).map(|a| a.banner(&v.name)).collect::<Vec<_>>(),
                files => files,
                // Not the newest: say which is.
                newer => latest.as_ref().filter(|l| **l != v.name),
            })
        }
        None => None,
    };
    let install = format
        .map(|f| {
            f.install_instructions(
                &state.config.site,
                &package,
                selected.as_ref(),
                &version_tags,
            )
        })
        .unwrap_or_default()
        .into_iter()
        .map(|s| context! { title => s.title, language => s.language, body => s.body })
        .collect::<Vec<_>>();
    let connected = match package.repository_id {
        Some(id) => registry.accounts().repository_by_id(id).await?,
        None => None,
    };
    let repository = connected.as_ref().map(entrepot_core::Repository::full_name);
    let code_url = connected.and_then(|r| r.code_url);
    let owner_account = registry.accounts().account_by_id(package.owner_id).await?;
    let settings = match registry
        .authorize_package(actor, Action::Manage, &package)
        .await
    {
        Ok(()) => owner_account.as_ref().map(|o| settings_path(o, &package)),
        Err(ServiceError::Internal(e)) => return Err(ServiceError::Internal(e)),
        Err(_) => None,
    };
    let watching = notifications::watching(state, actor, package.id).await?;
    let used_by = crate::used_by::section(state, actor, &package).await?;
    let alerts = crate::alerts_section::section(state, actor, &package, settings.is_some()).await?;
    let self_path = owner_account
        .as_ref()
        .map_or_else(|| "/".to_owned(), |o| package_path(o, &package));
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
    let version_rows = version_rows(
        state,
        &package,
        &recent,
        &publishers,
        &per_version,
        &tags,
        &advisories,
    );
    let dist_tags: Vec<_> = tagged
        .iter()
        .take(TAGS_SHOWN)
        .map(|(name, version)| context! { name => name, version => version, label => version_label(version, &[]) })
        .collect();
    // Relative links in the README lead into the code it was written in,
    // or else to the files the package ships.
    let links = match details::link_base(code_url.as_deref(), &manifest) {
        Some(base) => Some(base),
        None => packaged_files(state, owner_account.as_ref(), &package, latest.as_deref()).await?,
    };
    let source = details::source_url(code_url.as_deref(), &manifest);
    let mut maintainers: Vec<&String> = publishers.values().collect();
    maintainers.sort();
    maintainers.dedup();
    let facts = context! {
        size => size,
        versions => count,
        last_published => recent.first().map(|v| day(&v.created_at)),
        publishers => maintainers,
    };
    let readme = match package.readme.clone() {
        Some(source) => Some(render::html(source, links).await?),
        None => None,
    };
    Ok(Some(context! {
        settings => settings,
        can_watch => watching.shown(),
        watching => watching.subscription(),
        self_path => self_path,
        versions_path => owner_account.as_ref().map(|o| versions_path(o, &package)),
        package => context! {
            name => package.name,
            display_name => display_name(state, &package),
            cached => package.owner_is_upstream,
            owner => package.owner_login,
            type => package.package_type.as_str(),
            visibility => package.visibility.as_str(),
            description => package.description,
            repository => repository,
            code_url => code_url,
        },
        downloads => figures(summary.total, &daily, today),
        details => details::panel(&manifest, &dependency_paths, source.as_deref(), &facts),
        version => version_ctx,
        versions => version_rows,
        version_count => count,
        dist_tags => dist_tags,
        more_tags => tagged.len().saturating_sub(TAGS_SHOWN),
        advisories => advisories,
        used_by => used_by,
        alerts => alerts,
        install => install,
        readme => readme.as_deref(),
        chart30 => chart::bars(&series(30), today, "Downloads a day"),
        chart90 => chart::bars(&series(CHART_DAYS), today, "Downloads a day"),
    }))
}
