//! The v2 feed's documents: Atom entries with the `V2FeedPackage`
//! properties, the service document and `$metadata`.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use entrepot_core::Package;
use quick_xml::escape::escape;

use crate::feed::{Item, Urls};

use super::filter;

/// One row of the feed: a package version with its place among its peers.
pub struct Row<'a> {
    pub package: &'a Package,
    pub item: &'a Item,
    pub latest: bool,
    pub absolute_latest: bool,
}

#[derive(Clone, Copy)]
enum Edm {
    Str,
    Bool,
    Int32,
    Int64,
    DateTime,
}

impl Edm {
    fn name(self) -> &'static str {
        match self {
            Edm::Str => "Edm.String",
            Edm::Bool => "Edm.Boolean",
            Edm::Int32 => "Edm.Int32",
            Edm::Int64 => "Edm.Int64",
            Edm::DateTime => "Edm.DateTime",
        }
    }
}

/// The entity's properties, in the order `$metadata` and entries list them.
const PROPERTIES: &[(&str, Edm)] = &[
    ("Id", Edm::Str),
    ("Version", Edm::Str),
    ("NormalizedVersion", Edm::Str),
    ("Authors", Edm::Str),
    ("Copyright", Edm::Str),
    ("Created", Edm::DateTime),
    ("Dependencies", Edm::Str),
    ("Description", Edm::Str),
    ("DownloadCount", Edm::Int32),
    ("GalleryDetailsUrl", Edm::Str),
    ("IconUrl", Edm::Str),
    ("IsLatestVersion", Edm::Bool),
    ("IsAbsoluteLatestVersion", Edm::Bool),
    ("IsPrerelease", Edm::Bool),
    ("Language", Edm::Str),
    ("LastUpdated", Edm::DateTime),
    ("Published", Edm::DateTime),
    ("PackageHash", Edm::Str),
    ("PackageHashAlgorithm", Edm::Str),
    ("PackageSize", Edm::Int64),
    ("ProjectUrl", Edm::Str),
    ("ReleaseNotes", Edm::Str),
    ("RequireLicenseAcceptance", Edm::Bool),
    ("Summary", Edm::Str),
    ("Tags", Edm::Str),
    ("Title", Edm::Str),
    ("VersionDownloadCount", Edm::Int32),
    ("MinClientVersion", Edm::Str),
    ("LastEdited", Edm::DateTime),
    ("LicenseUrl", Edm::Str),
    ("Listed", Edm::Bool),
];

fn edm_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

fn value_of(row: &Row, name: &str, urls: &Urls, total_downloads: i64) -> Option<String> {
    let item = row.item;
    let n = &item.stored.nuspec;
    let opt = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    Some(match name {
        "Id" => n.id.clone(),
        "Version" => n.version.clone(),
        "NormalizedVersion" => item.parsed.normalized(),
        "Authors" => n.authors.clone(),
        "Copyright" => return opt(&n.copyright),
        "Created" | "LastUpdated" | "LastEdited" => edm_time(&item.published),
        "Published" => {
            if item.stored.listed {
                edm_time(&item.published)
            } else {
                "1900-01-01T00:00:00".into()
            }
        }
        "Dependencies" => {
            let mut parts = Vec::new();
            for g in &n.dependency_groups {
                if g.dependencies.is_empty() {
                    parts.push(format!("::{}", g.target_framework));
                }
                for d in &g.dependencies {
                    parts.push(format!("{}:{}:{}", d.id, d.range, g.target_framework));
                }
            }
            parts.join("|")
        }
        "Description" => n.description.clone(),
        "DownloadCount" => total_downloads.to_string(),
        "VersionDownloadCount" => item.downloads.to_string(),
        "GalleryDetailsUrl" => urls.page.replace("PACKAGE_ID", &row.package.name),
        "IconUrl" => return opt(&n.icon_url),
        "IsLatestVersion" => row.latest.to_string(),
        "IsAbsoluteLatestVersion" => row.absolute_latest.to_string(),
        "IsPrerelease" => item.parsed.is_prerelease().to_string(),
        "Language" => return opt(&n.language),
        "PackageHash" => {
            let bytes = hex::decode(&item.stored.sha512).ok()?;
            base64::engine::general_purpose::STANDARD.encode(bytes)
        }
        "PackageHashAlgorithm" => "SHA512".into(),
        "PackageSize" => item.stored.size.to_string(),
        "ProjectUrl" => return opt(&n.project_url),
        "ReleaseNotes" => return opt(&n.release_notes),
        "RequireLicenseAcceptance" => n.require_license_acceptance.to_string(),
        "Summary" => return opt(&n.summary),
        "Tags" => Some(n.tags.join(" ")).filter(|t| !t.is_empty())?,
        "Title" => return opt(&n.title),
        "MinClientVersion" => return opt(&n.min_client_version),
        "LicenseUrl" => return opt(&n.license_url),
        "Listed" => item.stored.listed.to_string(),
        _ => return None,
    })
}

fn entry_url(urls: &Urls, row: &Row) -> String {
    format!(
        "{}/api/v2/Packages(Id='{}',Version='{}')",
        urls.feed,
        row.item.stored.nuspec.id,
        row.item.parsed.normalized()
    )
}

fn entry(out: &mut String, urls: &Urls, row: &Row, totals: &HashMap<i64, i64>) {
    let n = &row.item.stored.nuspec;
    let url = entry_url(urls, row);
    let content = format!(
        "{}/api/v2/package/{}/{}",
        urls.feed,
        n.id,
        row.item.parsed.normalized()
    );
    let _ = write!(
        out,
        "<entry><id>{url}</id><category term=\"NuGetGallery.OData.V2FeedPackage\" scheme=\"http://schemas.microsoft.com/ado/2007/08/dataservices/scheme\" />\
<link rel=\"edit\" href=\"{url}\" /><link rel=\"self\" href=\"{url}\" />\
<title type=\"text\">{}</title><summary type=\"text\">{}</summary><updated>{}Z</updated>\
<author><name>{}</name></author><content type=\"application/zip\" src=\"{}\" /><m:properties>",
        escape(n.id.as_str()),
        escape(n.summary.clone().unwrap_or_default().as_str()),
        edm_time(&row.item.published),
        escape(n.authors.as_str()),
        escape(content.as_str()),
    );
    let total = totals.get(&row.package.id).copied().unwrap_or(0);
    for (name, edm) in PROPERTIES {
        match (value_of(row, name, urls, total), edm) {
            (None, _) => {
                let _ = write!(out, "<d:{name} m:null=\"true\" />");
            }
            (Some(v), Edm::Str) => {
                let _ = write!(out, "<d:{name}>{}</d:{name}>", escape(v.as_str()));
            }
            (Some(v), edm) => {
                let _ = write!(
                    out,
                    "<d:{name} m:type=\"{}\">{}</d:{name}>",
                    edm.name(),
                    escape(v.as_str())
                );
            }
        }
    }
    out.push_str("</m:properties></entry>");
}

const NAMESPACES: &str = "xmlns=\"http://www.w3.org/2005/Atom\" xmlns:d=\"http://schemas.microsoft.com/ado/2007/08/dataservices\" xmlns:m=\"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata\"";

/// A document of `content_type` in `OData` version `version`.
fn document(body: String, content_type: &'static str, version: &'static str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert("dataserviceversion", HeaderValue::from_static(version));
    r
}

fn atom(body: String) -> Response {
    document(body, "application/atom+xml;type=feed;charset=utf-8", "2.0;")
}

/// An XML document of the service (`$metadata`, the service document).
pub fn xml(body: String) -> Response {
    document(body, "application/xml;charset=utf-8", "1.0;")
}

pub fn service_document(urls: &Urls) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><service xml:base=\"{}/api/v2/\" xmlns=\"http://www.w3.org/2007/app\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><workspace><atom:title>Default</atom:title><collection href=\"Packages\"><atom:title>Packages</atom:title></collection></workspace></service>",
        urls.feed
    )
}

pub fn metadata_document() -> String {
    let mut props = String::new();
    for (name, edm) in PROPERTIES {
        let nullable = if matches!(name, &"Id" | &"Version") || !matches!(edm, Edm::Str) {
            "false"
        } else {
            "true"
        };
        let _ = write!(
            props,
            "<Property Name=\"{name}\" Type=\"{}\" Nullable=\"{nullable}\" />",
            edm.name()
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\
<edmx:Edmx Version=\"1.0\" xmlns:edmx=\"http://schemas.microsoft.com/ado/2007/06/edmx\">\
<edmx:DataServices xmlns:m=\"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata\" m:DataServiceVersion=\"2.0\">\
<Schema Namespace=\"NuGetGallery.OData\" xmlns:d=\"http://schemas.microsoft.com/ado/2007/08/dataservices\" xmlns:m=\"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata\" xmlns=\"http://schemas.microsoft.com/ado/2006/04/edm\">\
<EntityType Name=\"V2FeedPackage\" m:HasStream=\"true\"><Key><PropertyRef Name=\"Id\" /><PropertyRef Name=\"Version\" /></Key>{props}</EntityType>\
</Schema>\
<Schema Namespace=\"NuGetGallery\" xmlns:d=\"http://schemas.microsoft.com/ado/2007/08/dataservices\" xmlns:m=\"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata\" xmlns=\"http://schemas.microsoft.com/ado/2006/04/edm\">\
<EntityContainer Name=\"V2FeedContext\" m:IsDefaultEntityContainer=\"true\">\
<EntitySet Name=\"Packages\" EntityType=\"NuGetGallery.OData.V2FeedPackage\" />\
<FunctionImport Name=\"Search\" EntitySet=\"Packages\" ReturnType=\"Collection(NuGetGallery.OData.V2FeedPackage)\" m:HttpMethod=\"GET\">\
<Parameter Name=\"searchTerm\" Type=\"Edm.String\" Mode=\"In\" /><Parameter Name=\"targetFramework\" Type=\"Edm.String\" Mode=\"In\" /><Parameter Name=\"includePrerelease\" Type=\"Edm.Boolean\" Mode=\"In\" /></FunctionImport>\
<FunctionImport Name=\"FindPackagesById\" EntitySet=\"Packages\" ReturnType=\"Collection(NuGetGallery.OData.V2FeedPackage)\" m:HttpMethod=\"GET\">\
<Parameter Name=\"id\" Type=\"Edm.String\" Mode=\"In\" /></FunctionImport>\
<FunctionImport Name=\"GetUpdates\" EntitySet=\"Packages\" ReturnType=\"Collection(NuGetGallery.OData.V2FeedPackage)\" m:HttpMethod=\"GET\">\
<Parameter Name=\"packageIds\" Type=\"Edm.String\" Mode=\"In\" /><Parameter Name=\"versions\" Type=\"Edm.String\" Mode=\"In\" /><Parameter Name=\"includePrerelease\" Type=\"Edm.Boolean\" Mode=\"In\" /><Parameter Name=\"includeAllVersions\" Type=\"Edm.Boolean\" Mode=\"In\" /><Parameter Name=\"targetFrameworks\" Type=\"Edm.String\" Mode=\"In\" /><Parameter Name=\"versionConstraints\" Type=\"Edm.String\" Mode=\"In\" /></FunctionImport>\
</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    )
}

/// A property of `row` as `$filter` compares it.
pub fn row_value(row: &Row, urls: &Urls, name: &str) -> Option<filter::Value> {
    let edm = PROPERTIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, e)| *e)?;
    let v = value_of(row, name, urls, 0)?;
    Some(match edm {
        Edm::Bool => filter::Value::Bool(v == "true"),
        _ => filter::Value::Str(v),
    })
}

fn page_size(fields: &HashMap<String, String>) -> (usize, usize) {
    let skip = fields
        .get("$skip")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let top = fields
        .get("$top")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100usize)
        .min(1000);
    (skip, top)
}

/// A feed of `rows` (or their number, with `count`), the page the query
/// asks for, linking to the next.
pub fn feed(
    urls: &Urls,
    title: &str,
    rows: &[Row],
    fields: &HashMap<String, String>,
    totals: &HashMap<i64, i64>,
    count: bool,
) -> Response {
    if count {
        return (StatusCode::OK, rows.len().to_string()).into_response();
    }
    let (skip, top) = page_size(fields);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xml:base=\"{}/api/v2/\" {NAMESPACES}><id>{}/api/v2/{title}</id><title type=\"text\">{title}</title><updated>{}Z</updated><link rel=\"self\" title=\"{title}\" href=\"{title}\" />",
        urls.feed,
        urls.feed,
        edm_time(&chrono::Utc::now()),
    );
    if fields.get("$inlinecount").is_some_and(|v| v == "allpages") {
        let _ = write!(out, "<m:count>{}</m:count>", rows.len());
    }
    for row in rows.iter().skip(skip).take(top) {
        entry(&mut out, urls, row, totals);
    }
    if skip + top < rows.len() {
        let mut next: Vec<String> = fields
            .iter()
            .filter(|(k, _)| k.as_str() != "$skip")
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    k,
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        next.push(format!("$skip={}", skip + top));
        let _ = write!(
            out,
            "<link rel=\"next\" href=\"{}/api/v2/{title}?{}\" />",
            urls.feed,
            escape(next.join("&").as_str())
        );
    }
    out.push_str("</feed>");
    atom(out)
}

/// One entry as the document's root, with the namespaces on it.
pub fn entry_document(urls: &Urls, row: &Row, totals: &HashMap<i64, i64>) -> Response {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    let mut e = String::new();
    entry(&mut e, urls, row, totals);
    out.push_str(&e.replacen(
        "<entry>",
        &format!("<entry xml:base=\"{}/api/v2/\" {NAMESPACES}>", urls.feed),
        1,
    ));
    document(out, "application/atom+xml;type=entry;charset=utf-8", "2.0;")
}
