//! The v2 (`OData`, Atom) feed under `api/v2`, for `NuGet` 2.x and for
//! `nuget list`, which reaches it through the service index's
//! `LegacyGallery`: `Packages`, `Packages(Id=,Version=)`,
//! `FindPackagesById()`, `Search()`, `$count` and `$metadata`, with the
//! `$filter` expressions those clients write.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use entrepot_core::{Account, Actor, Package};
use quick_xml::escape::escape;

use crate::feed::{Item, Urls};
use crate::handlers::{NuGetError, Result, items_of, shown, visible};
use entrepot_http::AppState;

/// One row of the feed: a package version with its place among its peers.
struct Row<'a> {
    package: &'a Package,
    item: &'a Item,
    latest: bool,
    absolute_latest: bool,
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

fn atom(body: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml;type=feed;charset=utf-8"),
    );
    r.headers_mut()
        .insert("dataserviceversion", HeaderValue::from_static("2.0;"));
    r
}

fn xml(body: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml;charset=utf-8"),
    );
    r.headers_mut()
        .insert("dataserviceversion", HeaderValue::from_static("1.0;"));
    r
}

fn service_document(urls: &Urls) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><service xml:base=\"{}/api/v2/\" xmlns=\"http://www.w3.org/2007/app\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><workspace><atom:title>Default</atom:title><collection href=\"Packages\"><atom:title>Packages</atom:title></collection></workspace></service>",
        urls.feed
    )
}

fn metadata_document() -> String {
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

/// An OData string literal `'…'` (quotes doubled inside), or the text.
fn literal(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => s.to_owned(),
    }
}

/// The `$filter` subset clients write: property names (booleans),
/// `eq`/`ne` between properties (optionally in `tolower`/`toupper`) and
/// literals, `not`, `and`, `or` and parentheses.
pub(crate) mod filter {
    #[derive(Debug, Clone, PartialEq)]
    pub enum Expr {
        Prop(String),
        Lower(Box<Expr>),
        Upper(Box<Expr>),
        Str(String),
        Bool(bool),
        Eq(Box<Expr>, Box<Expr>),
        Ne(Box<Expr>, Box<Expr>),
        Not(Box<Expr>),
        And(Box<Expr>, Box<Expr>),
        Or(Box<Expr>, Box<Expr>),
    }

    fn tokens(text: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_whitespace() {
                i += 1;
            } else if c == '(' || c == ')' || c == ',' {
                out.push(c.to_string());
                i += 1;
            } else if c == '\'' {
                let mut s = String::from("'");
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string in $filter".into()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push_str("''");
                            i += 2;
                        }
                        Some('\'') => {
                            s.push('\'');
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            s.push(c);
                            i += 1;
                        }
                    }
                }
                out.push(s);
            } else {
                let mut s = String::new();
                while let Some(&c) = chars.get(i) {
                    if c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == '\'' {
                        break;
                    }
                    s.push(c);
                    i += 1;
                }
                out.push(s);
            }
        }
        Ok(out)
    }

    struct Parser {
        tokens: Vec<String>,
        at: usize,
    }

    impl Parser {
        fn peek(&self) -> Option<&str> {
            self.tokens.get(self.at).map(String::as_str)
        }

        fn next(&mut self) -> Option<String> {
            let t = self.tokens.get(self.at).cloned();
            self.at += 1;
            t
        }

        fn expect(&mut self, t: &str) -> Result<(), String> {
            match self.next() {
                Some(x) if x == t => Ok(()),
                other => Err(format!("expected {t} in $filter, found {other:?}")),
            }
        }

        fn or(&mut self, depth: usize) -> Result<Expr, String> {
            let mut left = self.and(depth)?;
            while self.peek() == Some("or") {
                self.next();
                left = Expr::Or(Box::new(left), Box::new(self.and(depth)?));
            }
            Ok(left)
        }

        fn and(&mut self, depth: usize) -> Result<Expr, String> {
            let mut left = self.comparison(depth)?;
            while self.peek() == Some("and") {
                self.next();
                left = Expr::And(Box::new(left), Box::new(self.comparison(depth)?));
            }
            Ok(left)
        }

        fn comparison(&mut self, depth: usize) -> Result<Expr, String> {
            let left = self.unary(depth)?;
            match self.peek() {
                Some("eq") => {
                    self.next();
                    Ok(Expr::Eq(Box::new(left), Box::new(self.unary(depth)?)))
                }
                Some("ne") => {
                    self.next();
                    Ok(Expr::Ne(Box::new(left), Box::new(self.unary(depth)?)))
                }
                _ => Ok(left),
            }
        }

        fn unary(&mut self, depth: usize) -> Result<Expr, String> {
            if depth > 32 {
                return Err("$filter nests too deeply".into());
            }
            let t = self.next().ok_or("$filter ends early")?;
            match t.as_str() {
                "(" => {
                    let e = self.or(depth + 1)?;
                    self.expect(")")?;
                    Ok(e)
                }
                "not" => Ok(Expr::Not(Box::new(self.unary(depth + 1)?))),
                "tolower" | "toupper" => {
                    self.expect("(")?;
                    let e = self.or(depth + 1)?;
                    self.expect(")")?;
                    Ok(if t == "tolower" {
                        Expr::Lower(Box::new(e))
                    } else {
                        Expr::Upper(Box::new(e))
                    })
                }
                "true" => Ok(Expr::Bool(true)),
                "false" => Ok(Expr::Bool(false)),
                s if s.starts_with('\'') => Ok(Expr::Str(super::literal(s))),
                s if s.chars().all(|c| c.is_ascii_alphanumeric()) => Ok(Expr::Prop(s.to_owned())),
                other => Err(format!("unsupported $filter term {other}")),
            }
        }
    }

    pub fn parse(text: &str) -> Result<Expr, String> {
        let mut p = Parser {
            tokens: tokens(text)?,
            at: 0,
        };
        let e = p.or(0)?;
        if p.at != p.tokens.len() {
            return Err("unsupported $filter".into());
        }
        Ok(e)
    }

    #[derive(Debug, PartialEq)]
    pub enum Value {
        Str(String),
        Bool(bool),
    }

    pub fn eval(e: &Expr, prop: &dyn Fn(&str) -> Option<Value>) -> Value {
        let truth = |e: &Expr| matches!(eval(e, prop), Value::Bool(true));
        match e {
            Expr::Prop(p) => prop(p).unwrap_or(Value::Bool(false)),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Lower(x) => match eval(x, prop) {
                Value::Str(s) => Value::Str(s.to_lowercase()),
                v @ Value::Bool(_) => v,
            },
            Expr::Upper(x) => match eval(x, prop) {
                Value::Str(s) => Value::Str(s.to_uppercase()),
                v @ Value::Bool(_) => v,
            },
            Expr::Eq(a, b) => Value::Bool(eval(a, prop) == eval(b, prop)),
            Expr::Ne(a, b) => Value::Bool(eval(a, prop) != eval(b, prop)),
            Expr::Not(x) => Value::Bool(!truth(x)),
            Expr::And(a, b) => Value::Bool(truth(a) && truth(b)),
            Expr::Or(a, b) => Value::Bool(truth(a) || truth(b)),
        }
    }
}

fn row_value(row: &Row, urls: &Urls, name: &str) -> Option<filter::Value> {
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

/// Every version of the visible packages with its latest flags.
async fn all_rows(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    only: Option<&str>,
) -> Result<Vec<(Package, Vec<Item>)>> {
    let mut out = Vec::new();
    for package in visible(state, actor, owner).await? {
        if only.is_some_and(|id| !package.name.eq_ignore_ascii_case(id)) {
            continue;
        }
        let items = items_of(state, &package).await?;
        out.push((package, items));
    }
    Ok(out)
}

fn rows_of(packages: &[(Package, Vec<Item>)]) -> Vec<Row<'_>> {
    let mut rows = Vec::new();
    for (package, items) in packages {
        let latest = items
            .iter()
            .rev()
            .find(|i| i.stored.listed && !i.parsed.is_prerelease())
            .map(|i| i.id);
        let absolute = items.iter().rev().find(|i| i.stored.listed).map(|i| i.id);
        for item in items {
            rows.push(Row {
                package,
                item,
                latest: Some(item.id) == latest,
                absolute_latest: Some(item.id) == absolute,
            });
        }
    }
    rows
}

#[allow(clippy::too_many_arguments)]
fn feed_response(
    urls: &Urls,
    title: &str,
    self_path: &str,
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
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xml:base=\"{}/api/v2/\" {NAMESPACES}><id>{}/api/v2/{self_path}</id><title type=\"text\">{title}</title><updated>{}Z</updated><link rel=\"self\" title=\"{title}\" href=\"{self_path}\" />",
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
            "<link rel=\"next\" href=\"{}/api/v2/{self_path}?{}\" />",
            urls.feed,
            escape(next.join("&").as_str())
        );
    }
    out.push_str("</feed>");
    atom(out)
}

fn totals_of(packages: &[(Package, Vec<Item>)]) -> HashMap<i64, i64> {
    packages
        .iter()
        .map(|(p, items)| (p.id, items.iter().map(|i| i.downloads).sum()))
        .collect()
}

fn apply_filter<'a>(
    rows: Vec<Row<'a>>,
    urls: &Urls,
    fields: &HashMap<String, String>,
) -> Result<Vec<Row<'a>>> {
    let Some(text) = fields.get("$filter").filter(|f| !f.trim().is_empty()) else {
        return Ok(rows);
    };
    let expr = filter::parse(text).map_err(|m| NuGetError::new(StatusCode::BAD_REQUEST, m))?;
    Ok(rows
        .into_iter()
        .filter(|row| {
            filter::eval(&expr, &|name| row_value(row, urls, name)) == filter::Value::Bool(true)
        })
        .collect())
}

fn bool_param(fields: &HashMap<String, String>, name: &str) -> bool {
    fields
        .get(name)
        .is_some_and(|v| literal(v).eq_ignore_ascii_case("true"))
}

/// `Packages(Id='…',Version='…')`: one entry, as the document's root.
async fn single_entry(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    urls: &Urls,
    key: &str,
) -> Result<Response> {
    let mut id = None;
    let mut version = None;
    for part in key.split(',') {
        match part.split_once('=') {
            Some(("Id", v)) => id = Some(literal(v)),
            Some(("Version", v)) => version = Some(literal(v)),
            _ => {}
        }
    }
    let (Some(id), Some(version)) = (id, version) else {
        return Err(NuGetError::new(
            StatusCode::BAD_REQUEST,
            "Packages(Id='…',Version='…')",
        ));
    };
    let want = crate::version::NuGetVersion::parse(&version)
        .ok_or_else(|| NuGetError::new(StatusCode::NOT_FOUND, "no such version"))?;
    let packages = all_rows(state, actor, owner, Some(&id)).await?;
    let totals = totals_of(&packages);
    let rows: Vec<Row> = rows_of(&packages)
        .into_iter()
        .filter(|r| r.item.parsed.key() == want.key())
        .collect();
    let Some(row) = rows.first() else {
        return Err(crate::handlers::missing(actor));
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    let mut e = String::new();
    entry(&mut e, urls, row, &totals);
    // A single entry is the root, with the namespaces on it.
    out.push_str(&e.replacen(
        "<entry>",
        &format!("<entry xml:base=\"{}/api/v2/\" {NAMESPACES}>", urls.feed),
        1,
    ));
    let mut r = atom(out);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml;type=entry;charset=utf-8"),
    );
    Ok(r)
}

pub async fn handle(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    urls: &Urls,
    rest: &[&str],
    fields: &HashMap<String, String>,
) -> Result<Response> {
    let (resource, count) = match rest {
        [] => return Ok(xml(service_document(urls))),
        ["$metadata"] => return Ok(xml(metadata_document())),
        [r] => (*r, false),
        [r, "$count"] => (*r, true),
        _ => return Err(NuGetError::new(StatusCode::NOT_FOUND, "Not Found")),
    };
    let semver2 = fields
        .get("semVerLevel")
        .is_some_and(|v| v.starts_with('2'));
    if let Some(key) = resource
        .strip_prefix("Packages(")
        .and_then(|r| r.strip_suffix(')'))
        .filter(|k| !k.is_empty())
    {
        return single_entry(state, actor, owner, urls, key).await;
    }
    match resource {
        "Packages" | "Packages()" => {
            let packages = all_rows(state, actor, owner, None).await?;
            let totals = totals_of(&packages);
            let rows: Vec<Row> = rows_of(&packages)
                .into_iter()
                .filter(|r| semver2 || !r.item.parsed.is_semver2())
                .collect();
            let rows = apply_filter(rows, urls, fields)?;
            Ok(feed_response(
                urls, "Packages", "Packages", &rows, fields, &totals, count,
            ))
        }
        "FindPackagesById()" | "FindPackagesById" => {
            let id = literal(fields.get("id").map_or("", String::as_str));
            let packages = all_rows(state, actor, owner, Some(&id)).await?;
            let totals = totals_of(&packages);
            let rows: Vec<Row> = rows_of(&packages)
                .into_iter()
                .filter(|r| semver2 || !r.item.parsed.is_semver2())
                .collect();
            let rows = apply_filter(rows, urls, fields)?;
            Ok(feed_response(
                urls,
                "FindPackagesById",
                "FindPackagesById",
                &rows,
                fields,
                &totals,
                count,
            ))
        }
        "Search()" | "Search" => {
            let term = literal(fields.get("searchTerm").map_or("", String::as_str)).to_lowercase();
            let prerelease = bool_param(fields, "includePrerelease");
            let packages = all_rows(state, actor, owner, None).await?;
            let totals = totals_of(&packages);
            let rows: Vec<Row> = rows_of(&packages)
                .into_iter()
                .filter(|r| shown(r.item, prerelease, semver2))
                .filter(|r| {
                    let n = &r.item.stored.nuspec;
                    let hay = format!(
                        "{} {} {} {}",
                        n.id,
                        n.title.clone().unwrap_or_default(),
                        n.description,
                        n.tags.join(" ")
                    )
                    .to_lowercase();
                    term.split_whitespace().all(|t| hay.contains(t))
                })
                .collect();
            let rows = apply_filter(rows, urls, fields)?;
            Ok(feed_response(
                urls, "Search", "Search", &rows, fields, &totals, count,
            ))
        }
        "GetUpdates()" | "GetUpdates" => Ok(feed_response(
            urls,
            "GetUpdates",
            "GetUpdates",
            &[],
            fields,
            &HashMap::new(),
            count,
        )),
        _ => Err(NuGetError::new(StatusCode::NOT_FOUND, "Not Found")),
    }
}

#[cfg(test)]
mod tests {
    use super::filter::{Value, eval, parse};

    #[test]
    fn the_filters_clients_write_are_understood() {
        let props = |name: &str| match name {
            "Id" => Some(Value::Str("Tiny.Demo".into())),
            "Version" => Some(Value::Str("1.0.0".into())),
            "IsLatestVersion" => Some(Value::Bool(true)),
            "IsPrerelease" => Some(Value::Bool(false)),
            _ => None,
        };
        for (text, want) in [
            ("IsLatestVersion", true),
            ("tolower(Id) eq 'tiny.demo'", true),
            (
                "(tolower(Id) eq 'tiny.demo') and (Version eq '1.0.0')",
                true,
            ),
            ("Id eq 'Other' or IsPrerelease", false),
            ("not IsPrerelease and IsLatestVersion", true),
            ("Id ne 'It''s'", true),
        ] {
            let e = parse(text).unwrap();
            assert_eq!(eval(&e, &props), Value::Bool(want), "{text}");
        }
        assert!(parse("substringof('a', Id) eq true extra").is_err());
    }
}
