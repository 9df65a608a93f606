//! A request to the v2 feed as a value: the resource the path after
//! `api/v2` names (`Packages`, one entry's key, `FindPackagesById()`,
//! `Search()`, …), whether its `$count` is asked, and the query's fields.

use std::collections::HashMap;

use axum::http::StatusCode;

use crate::respond::{NuGetError, Result};
use crate::version::NuGetVersion;

/// A request to the v2 feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Request {
    pub resource: V2Resource,
    /// `…/$count`: the number of entries instead of the entries.
    pub count: bool,
    pub semver2: bool,
    /// The query's fields (`$filter`, `$skip`, `$top`, …), which the next
    /// page's link repeats.
    pub fields: HashMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V2Resource {
    /// `api/v2`: the service document.
    ServiceDocument,
    /// `$metadata`.
    Metadata,
    /// `Packages(Id='…',Version='…')`: one entry.
    Entry { id: String, lver: String },
    /// `Packages`: every version.
    Packages,
    /// `FindPackagesById()?id='…'`.
    FindPackagesById { id: String },
    /// `Search()?searchTerm='…'`.
    Search { term: String, prerelease: bool },
    /// `GetUpdates()`, always empty.
    GetUpdates,
}

/// Whether the client reads SemVer 2.0.0 versions (`semVerLevel=2…`).
pub fn semver2(fields: &HashMap<String, String>) -> bool {
    fields
        .get("semVerLevel")
        .is_some_and(|v| v.starts_with('2'))
}

/// An `OData` string literal `'…'` (quotes doubled inside), or the text.
pub fn literal(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => s.to_owned(),
    }
}

impl V2Request {
    /// The request `rest` (the path after `api/v2`) and the query's
    /// `fields` make.
    pub fn parse(rest: &[&str], fields: HashMap<String, String>) -> Result<V2Request> {
        let not_found = || NuGetError::not_found("Not Found");
        let (resource, count) = match rest {
            [] => (V2Resource::ServiceDocument, false),
            ["$metadata"] => (V2Resource::Metadata, false),
            [r] => (V2Resource::parse(r, &fields)?.ok_or_else(not_found)?, false),
            [r, "$count"] => (V2Resource::parse(r, &fields)?.ok_or_else(not_found)?, true),
            _ => return Err(not_found()),
        };
        Ok(V2Request {
            resource,
            count,
            semver2: semver2(&fields),
            fields,
        })
    }
}

impl V2Resource {
    fn parse(resource: &str, fields: &HashMap<String, String>) -> Result<Option<V2Resource>> {
        if let Some(key) = resource
            .strip_prefix("Packages(")
            .and_then(|r| r.strip_suffix(')'))
            .filter(|k| !k.is_empty())
        {
            return Self::entry(key).map(Some);
        }
        let field = |name: &str| literal(fields.get(name).map_or("", String::as_str));
        Ok(match resource {
            "Packages" | "Packages()" => Some(V2Resource::Packages),
            "FindPackagesById()" | "FindPackagesById" => {
                Some(V2Resource::FindPackagesById { id: field("id") })
            }
            "Search()" | "Search" => Some(V2Resource::Search {
                term: field("searchTerm").to_lowercase(),
                prerelease: fields
                    .get("includePrerelease")
                    .is_some_and(|v| literal(v).eq_ignore_ascii_case("true")),
            }),
            "GetUpdates()" | "GetUpdates" => Some(V2Resource::GetUpdates),
            _ => None,
        })
    }

    /// `Id='…',Version='…'`, the key of one entry.
    fn entry(key: &str) -> Result<V2Resource> {
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
        let lver = NuGetVersion::key_of(&version)
            .ok_or_else(|| NuGetError::not_found("no such version"))?;
        Ok(V2Resource::Entry { id, lver })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_v2_feed_reads_its_resources_and_keys() {
        let v2 = |rest: &str, query: &str| {
            let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
            V2Request::parse(&segments, entrepot_http::owner::form_fields(query))
                .map(|r| (r.resource, r.count))
                .map_err(|e| e.status)
        };
        assert_eq!(v2("", ""), Ok((V2Resource::ServiceDocument, false)));
        assert_eq!(
            v2("Packages(Id='It''s',Version='1.0')", ""),
            Ok((
                V2Resource::Entry {
                    id: "It's".into(),
                    lver: "1.0.0".into()
                },
                false
            ))
        );
        assert_eq!(
            v2(
                "Search()/$count",
                "searchTerm='Tiny'&includePrerelease=true"
            ),
            Ok((
                V2Resource::Search {
                    term: "tiny".into(),
                    prerelease: true
                },
                true
            ))
        );
        assert_eq!(v2("Packages(Id='x')", ""), Err(StatusCode::BAD_REQUEST));
        assert_eq!(
            v2("Packages(Id='x',Version='nope')", ""),
            Err(StatusCode::NOT_FOUND)
        );
        assert_eq!(v2("Other", ""), Err(StatusCode::NOT_FOUND));
        assert_eq!(v2("Packages/a/b", ""), Err(StatusCode::NOT_FOUND));
    }
}
