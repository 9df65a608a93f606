//! The v3 JSON documents: the service index, registrations (index, pages,
//! leaves, catalog entries), the flat container's version list, search and
//! autocomplete, all rendered from the stored versions of a package.

use chrono::{DateTime, Utc};
use entrepot_core::Package;
use serde_json::{Value, json};

use crate::metadata::VersionMetadata;
use crate::version::NuGetVersion;

/// One live version, ready to render.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: i64,
    pub parsed: NuGetVersion,
    pub stored: VersionMetadata,
    pub published: DateTime<Utc>,
    pub downloads: i64,
}

impl Item {
    pub fn lower_version(&self) -> String {
        self.parsed.key()
    }
}

/// URLs under `BASE/nuget/OWNER`.
#[derive(Debug, Clone)]
pub struct Urls {
    pub feed: String,
    pub page: String,
}

/// Which registration hive: the plain one and `-gz` hide SemVer 2 versions
/// from clients that cannot read them; `-semver2` shows everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hive {
    Plain,
    Gzip,
    SemVer2,
}

impl Hive {
    pub fn path(self) -> &'static str {
        match self {
            Hive::Plain => "registration",
            Hive::Gzip => "registration-gz",
            Hive::SemVer2 => "registration-semver2",
        }
    }

    pub fn from_path(p: &str) -> Option<Hive> {
        match p {
            "registration" => Some(Hive::Plain),
            "registration-gz" => Some(Hive::Gzip),
            "registration-semver2" => Some(Hive::SemVer2),
            _ => None,
        }
    }

    pub fn includes(self, v: &NuGetVersion) -> bool {
        self == Hive::SemVer2 || !v.is_semver2()
    }
}

impl Urls {
    pub fn registration(&self, hive: Hive, lid: &str) -> String {
        format!("{}/v3/{}/{lid}/index.json", self.feed, hive.path())
    }

    pub fn leaf(&self, hive: Hive, lid: &str, lver: &str) -> String {
        format!("{}/v3/{}/{lid}/{lver}.json", self.feed, hive.path())
    }

    pub fn content(&self, lid: &str, lver: &str) -> String {
        format!("{}/v3/flat/{lid}/{lver}/{lid}.{lver}.nupkg", self.feed)
    }

    pub fn catalog(&self, lid: &str, lver: &str) -> String {
        format!("{}/v3/catalog/{lid}/{lver}.json", self.feed)
    }
}

const PAGE: usize = 64;
/// Up to this many versions, the registration index inlines every leaf.
const INLINE: usize = 128;

/// The service index.
pub fn service_index(urls: &Urls) -> Value {
    let f = &urls.feed;
    let mut resources = Vec::new();
    let mut add = |id: String, types: &[&str], comment: &str| {
        for t in types {
            resources.push(json!({ "@id": id, "@type": t, "comment": comment }));
        }
    };
    add(
        format!("{f}/api/v2/package"),
        &["PackagePublish/2.0.0"],
        "Push and unlist packages",
    );
    add(
        format!("{f}/api/v2/symbolpackage"),
        &["SymbolPackagePublish/4.9.0"],
        "Push symbol packages",
    );
    add(
        format!("{f}/v3/flat/"),
        &["PackageBaseAddress/3.0.0"],
        "Package contents",
    );
    add(
        format!("{f}/v3/registration/"),
        &[
            "RegistrationsBaseUrl",
            "RegistrationsBaseUrl/3.0.0-beta",
            "RegistrationsBaseUrl/3.0.0-rc",
        ],
        "Package metadata",
    );
    add(
        format!("{f}/v3/registration-gz/"),
        &["RegistrationsBaseUrl/3.4.0"],
        "Package metadata, gzip-compressed",
    );
    add(
        format!("{f}/v3/registration-semver2/"),
        &[
            "RegistrationsBaseUrl/3.6.0",
            "RegistrationsBaseUrl/Versioned",
        ],
        "Package metadata with SemVer 2.0.0 versions, gzip-compressed",
    );
    add(
        format!("{f}/v3/query"),
        &[
            "SearchQueryService",
            "SearchQueryService/3.0.0-beta",
            "SearchQueryService/3.0.0-rc",
            "SearchQueryService/3.5.0",
        ],
        "Search",
    );
    add(
        format!("{f}/v3/autocomplete"),
        &[
            "SearchAutocompleteService",
            "SearchAutocompleteService/3.0.0-beta",
            "SearchAutocompleteService/3.0.0-rc",
            "SearchAutocompleteService/3.5.0",
        ],
        "Package id and version completion",
    );
    add(
        format!("{f}/v3/readme/{{lower_id}}/{{lower_version}}"),
        &["ReadmeUriTemplate/6.13.0"],
        "README of a version",
    );
    add(
        format!(
            "{}?version={{version}}",
            urls.page.replace("PACKAGE_ID", "{id}")
        ),
        &["PackageDetailsUriTemplate/5.1.0"],
        "The package's page",
    );
    add(
        format!("{f}/api/v2"),
        &["LegacyGallery", "LegacyGallery/2.0.0"],
        "The v2 (OData) feed",
    );
    json!({ "version": "3.0.0", "resources": resources })
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// What unlisted versions show as their publication date, as nuget.org does.
const UNLISTED_PUBLISHED: &str = "1900-01-01T00:00:00+00:00";

/// A registration leaf's `catalogEntry`.
pub fn catalog_entry(urls: &Urls, hive: Hive, lid: &str, item: &Item) -> Value {
    let n = &item.stored.nuspec;
    let lver = item.lower_version();
    let groups: Vec<Value> = n
        .dependency_groups
        .iter()
        .map(|g| {
            let deps: Vec<Value> = g
                .dependencies
                .iter()
                .map(|d| {
                    let dlid = d.id.to_ascii_lowercase();
                    json!({
                        "@id": format!("{}#dependency/{dlid}", urls.catalog(lid, &lver)),
                        "@type": "PackageDependency",
                        "id": d.id,
                        "range": d.range,
                        "registration": urls.registration(hive, &dlid),
                    })
                })
                .collect();
            let mut group = json!({
                "@id": format!("{}#dependencygroup/{}", urls.catalog(lid, &lver), g.target_framework.to_ascii_lowercase()),
                "@type": "PackageDependencyGroup",
                "dependencies": deps,
            });
            if !g.target_framework.is_empty() {
                group["targetFramework"] = json!(g.target_framework);
            }
            group
        })
        .collect();
    let icon = match &item.stored.icon_file {
        Some(_) => Some(format!("{}/v3/flat/{lid}/{lver}/icon", urls.feed)),
        None => n.icon_url.clone(),
    };
    json!({
        "@id": urls.catalog(lid, &lver),
        "@type": "PackageDetails",
        "authors": n.authors,
        "dependencyGroups": groups,
        "description": n.description,
        "iconUrl": icon.unwrap_or_default(),
        "id": n.id,
        "language": n.language.clone().unwrap_or_default(),
        "licenseExpression": n.license_expression.clone().unwrap_or_default(),
        "licenseUrl": n.license_url.clone().unwrap_or_default(),
        "listed": item.stored.listed,
        "minClientVersion": n.min_client_version.clone().unwrap_or_default(),
        "packageContent": urls.content(lid, &lver),
        "projectUrl": n.project_url.clone().unwrap_or_default(),
        "published": if item.stored.listed { rfc3339(&item.published) } else { UNLISTED_PUBLISHED.to_owned() },
        "readmeUrl": item.stored.readme_file.as_ref().map(|_| format!("{}/v3/readme/{lid}/{lver}", urls.feed)),
        "requireLicenseAcceptance": n.require_license_acceptance,
        "summary": n.summary.clone().unwrap_or_default(),
        "tags": n.tags,
        "title": n.title.clone().unwrap_or_default(),
        "version": n.version,
    })
}

fn leaf(urls: &Urls, hive: Hive, lid: &str, item: &Item) -> Value {
    let lver = item.lower_version();
    json!({
        "@id": urls.leaf(hive, lid, &lver),
        "@type": "Package",
        "commitId": format!("{:032x}", item.id),
        "commitTimeStamp": rfc3339(&item.published),
        "catalogEntry": catalog_entry(urls, hive, lid, item),
        "packageContent": urls.content(lid, &lver),
        "registration": urls.registration(hive, lid),
    })
}

/// The pages of a registration: `(lower, upper, items)` of at most 64.
fn pages<'a>(items: &'a [&'a Item]) -> Vec<&'a [&'a Item]> {
    items.chunks(PAGE).collect()
}

fn page_url(urls: &Urls, hive: Hive, lid: &str, lower: &str, upper: &str) -> String {
    format!(
        "{}/v3/{}/{lid}/page/{lower}/{upper}.json",
        urls.feed,
        hive.path()
    )
}

fn page(urls: &Urls, hive: Hive, lid: &str, chunk: &[&Item], inline: bool) -> Value {
    let lower = chunk
        .first()
        .map(|i| i.parsed.normalized())
        .unwrap_or_default();
    let upper = chunk
        .last()
        .map(|i| i.parsed.normalized())
        .unwrap_or_default();
    let mut p = json!({
        "@id": if inline {
            format!("{}#page/{lower}/{upper}", urls.registration(hive, lid))
        } else {
            page_url(urls, hive, lid, &lower.to_ascii_lowercase(), &upper.to_ascii_lowercase())
        },
        "@type": "catalog:CatalogPage",
        "count": chunk.len(),
        "lower": lower,
        "upper": upper,
        "parent": urls.registration(hive, lid),
    });
    if inline {
        p["items"] = chunk.iter().map(|i| leaf(urls, hive, lid, i)).collect();
    }
    p
}

/// The registration index of a package: `items` sorted ascending.
pub fn registration_index(urls: &Urls, hive: Hive, lid: &str, items: &[&Item]) -> Value {
    let inline = items.len() <= INLINE;
    let pages: Vec<Value> = pages(items)
        .into_iter()
        .map(|chunk| page(urls, hive, lid, chunk, inline))
        .collect();
    json!({
        "@id": urls.registration(hive, lid),
        "@type": ["catalog:CatalogRoot", "PackageRegistration", "catalog:Permalink"],
        "count": pages.len(),
        "items": pages,
    })
}

/// One registration page requested by its bounds.
pub fn registration_page(
    urls: &Urls,
    hive: Hive,
    lid: &str,
    items: &[&Item],
    lower: &str,
    upper: &str,
) -> Option<Value> {
    pages(items).into_iter().find_map(|chunk| {
        let first = chunk.first()?.lower_version();
        let last = chunk.last()?.lower_version();
        (first == lower && last == upper).then(|| {
            let mut p = page(urls, hive, lid, chunk, true);
            p["@id"] = json!(page_url(urls, hive, lid, lower, upper));
            p
        })
    })
}

/// A registration leaf document.
pub fn registration_leaf(urls: &Urls, hive: Hive, lid: &str, item: &Item) -> Value {
    let lver = item.lower_version();
    json!({
        "@id": urls.leaf(hive, lid, &lver),
        "@type": ["Package", "http://schema.nuget.org/catalog#Permalink"],
        "catalogEntry": urls.catalog(lid, &lver),
        "listed": item.stored.listed,
        "packageContent": urls.content(lid, &lver),
        "published": if item.stored.listed { rfc3339(&item.published) } else { UNLISTED_PUBLISHED.to_owned() },
        "registration": urls.registration(hive, lid),
    })
}

/// One search hit: the package with its matching versions (ascending).
pub fn search_hit(urls: &Urls, package: &Package, items: &[&Item]) -> Option<Value> {
    let latest = items.last()?;
    let n = &latest.stored.nuspec;
    let lid = package.name.as_str();
    let hive = Hive::SemVer2;
    let versions: Vec<Value> = items
        .iter()
        .map(|i| {
            json!({
                "version": i.stored.nuspec.version,
                "downloads": i.downloads,
                "@id": urls.leaf(hive, lid, &i.lower_version()),
            })
        })
        .collect();
    Some(json!({
        "@id": urls.registration(hive, lid),
        "@type": "Package",
        "registration": urls.registration(hive, lid),
        "id": n.id,
        "version": n.version,
        "description": n.description,
        "summary": n.summary.clone().unwrap_or_default(),
        "title": n.title.clone().unwrap_or_else(|| n.id.clone()),
        "iconUrl": n.icon_url.clone().unwrap_or_default(),
        "licenseUrl": n.license_url.clone().unwrap_or_default(),
        "projectUrl": n.project_url.clone().unwrap_or_default(),
        "tags": n.tags,
        "authors": n.authors.split(',').map(str::trim).filter(|a| !a.is_empty()).collect::<Vec<_>>(),
        "owners": [package.owner_login],
        "totalDownloads": items.iter().map(|i| i.downloads).sum::<i64>(),
        "verified": false,
        "packageTypes": if n.package_types.is_empty() {
            vec![json!({ "name": "Dependency" })]
        } else {
            n.package_types.iter().map(|t| json!({ "name": t })).collect()
        },
        "versions": versions,
    }))
}
