//! A NuGet request as a value: the method, the path under
//! `BASE/nuget/OWNER/` and, for the searches and the v2 feed, the query,
//! read into the endpoint they name before anything is looked up. Ids are
//! case-insensitive, so they are lowercased here; what a path names but
//! cannot be (a version that does not parse) is refused here too, and the
//! refusal is answered once the owner is known.

use axum::http::Method;
use entrepot_http::owner::form_fields;

use crate::feed::Hive;
use crate::odata::request::V2Request;
use crate::respond::{NuGetError, Result};
use crate::search::Query;
use crate::version::NuGetVersion;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `index.json`: the service index.
    ServiceIndex,
    /// `PUT api/v2/package`, or `PUT api/v2/symbolpackage` for symbols.
    Push { symbols: bool },
    /// `DELETE api/v2/package/ID/VERSION` unlists, `POST` lists again.
    SetListed {
        lid: String,
        lver: String,
        listed: bool,
    },
    /// `v3/flat/ID/index.json`: the flat container's version list.
    Versions { lid: String },
    /// A file of a version: `v3/flat/ID/VERSION/FILE`, the README at
    /// `v3/readme/ID/VERSION`, or the v2 download at
    /// `api/v2/package/ID/VERSION`.
    File {
        lid: String,
        lver: String,
        file: FileName,
    },
    /// `v3/registration*/ID/…`: a registration index, page or leaf.
    Registration {
        hive: Hive,
        lid: String,
        document: Document,
    },
    /// `v3/catalog/ID/VERSION.json`.
    CatalogEntry { lid: String, lver: String },
    /// `v3/query`.
    Search(Query),
    /// `v3/autocomplete`.
    Autocomplete(Query),
    /// `api/v2/…`: the v2 (`OData`) feed.
    V2(V2Request),
}

/// A file of a version, by the name the client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileName {
    /// `ID.VERSION.nupkg`, the package (its downloads are counted).
    Nupkg,
    /// `ID.VERSION.snupkg`, the symbol package.
    Snupkg,
    /// `ID.nuspec`.
    Nuspec,
    /// `icon`, whatever the icon's own name.
    Icon,
    /// `readme`.
    Readme,
    /// A name no file of a version has.
    Other(String),
}

impl FileName {
    fn parse(lid: &str, lver: &str, file: &str) -> FileName {
        [
            FileName::Nupkg,
            FileName::Snupkg,
            FileName::Nuspec,
            FileName::Icon,
            FileName::Readme,
        ]
        .into_iter()
        .find(|f| f.name(lid, lver) == file)
        .unwrap_or_else(|| FileName::Other(file.to_owned()))
    }

    /// The name as the client writes it.
    pub fn name(&self, lid: &str, lver: &str) -> String {
        match self {
            FileName::Nupkg => format!("{lid}.{lver}.nupkg"),
            FileName::Snupkg => format!("{lid}.{lver}.snupkg"),
            FileName::Nuspec => format!("{lid}.nuspec"),
            FileName::Icon => "icon".to_owned(),
            FileName::Readme => "readme".to_owned(),
            FileName::Other(name) => name.clone(),
        }
    }
}

/// Which document of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// `index.json`.
    Index,
    /// `page/LOWER/UPPER.json`.
    Page { lower: String, upper: String },
    /// `VERSION.json`.
    Leaf { lver: String },
    /// Anything else, which is not found once the package is.
    Unknown,
}

/// A version in a path, as the key versions are stored under.
fn version_key(text: &str) -> Result<String> {
    NuGetVersion::key_of(text).ok_or_else(|| NuGetError::not_found("no such version"))
}

fn lower_json_stem(name: &str) -> String {
    name.strip_suffix(".json")
        .unwrap_or(name)
        .to_ascii_lowercase()
}

impl Endpoint {
    /// The endpoint `method` and `path` (what follows the owner) name, with
    /// the `query` where it matters; paths are read segment by segment,
    /// empty segments skipped.
    pub fn parse(method: &Method, path: &str, query: Option<&str>) -> Result<Endpoint> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let read = *method == Method::GET || *method == Method::HEAD;
        let fields = || form_fields(query.unwrap_or(""));
        let lower = |s: &str| s.to_ascii_lowercase();
        Ok(match segments.as_slice() {
            ["index.json"] if read => Endpoint::ServiceIndex,
            ["api", "v2", "package"] if *method == Method::PUT => Endpoint::Push { symbols: false },
            ["api", "v2", "symbolpackage"] if *method == Method::PUT => {
                Endpoint::Push { symbols: true }
            }
            ["api", "v2", "package", id, version]
                if *method == Method::DELETE || *method == Method::POST =>
            {
                Endpoint::SetListed {
                    lid: lower(id),
                    lver: version_key(version)?,
                    listed: *method == Method::POST,
                }
            }
            ["api", "v2", "package", id, version] if read => {
                let lver = version_key(version)?;
                Endpoint::File {
                    lid: lower(id),
                    lver,
                    file: FileName::Nupkg,
                }
            }
            ["api", "v2", rest @ ..] if read => Endpoint::V2(V2Request::parse(rest, fields())?),
            ["v3", "flat", id, "index.json"] if read => Endpoint::Versions { lid: lower(id) },
            ["v3", "flat", id, version, file] if read => {
                let (lid, lver) = (lower(id), lower(version));
                let file = FileName::parse(&lid, &lver, file);
                Endpoint::File { lid, lver, file }
            }
            ["v3", hive, id, rest @ ..] if read && Hive::from_path(hive).is_some() => {
                Endpoint::Registration {
                    hive: Hive::from_path(hive).expect("checked"),
                    lid: lower(id),
                    document: Document::parse(rest),
                }
            }
            ["v3", "catalog", id, leaf] if read => Endpoint::CatalogEntry {
                lid: lower(id),
                lver: lower_json_stem(leaf),
            },
            ["v3", "readme", id, version] if read => Endpoint::File {
                lid: lower(id),
                lver: lower(version),
                file: FileName::Readme,
            },
            ["v3", "query"] if read => Endpoint::Search(Query::parse(&fields())),
            ["v3", "autocomplete"] if read => Endpoint::Autocomplete(Query::parse(&fields())),
            _ => return Err(NuGetError::not_found("Not Found")),
        })
    }
}

impl Document {
    fn parse(rest: &[&str]) -> Document {
        match rest {
            ["index.json"] => Document::Index,
            ["page", lower, upper] => Document::Page {
                lower: (*lower).to_owned(),
                upper: upper.strip_suffix(".json").unwrap_or(upper).to_owned(),
            },
            [leaf] => Document::Leaf {
                lver: lower_json_stem(leaf),
            },
            _ => Document::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn get(path: &str) -> Result<Endpoint> {
        Endpoint::parse(&Method::GET, path, None)
    }

    fn status(r: Result<Endpoint>) -> StatusCode {
        r.expect_err("refused").status
    }

    fn file(lid: &str, lver: &str, file: FileName) -> Endpoint {
        let (lid, lver) = (lid.to_owned(), lver.to_owned());
        Endpoint::File { lid, lver, file }
    }

    fn registration(hive: Hive, lid: &str, document: Document) -> Endpoint {
        let lid = lid.to_owned();
        Endpoint::Registration {
            hive,
            lid,
            document,
        }
    }

    #[test]
    fn each_resource_is_named_by_its_method_and_path() {
        let page = Document::Page {
            lower: "1.0.0".into(),
            upper: "2.0.0".into(),
        };
        let leaf = Document::Leaf {
            lver: "1.0.0-beta".into(),
        };
        let catalog = Endpoint::CatalogEntry {
            lid: "tiny.demo".into(),
            lver: "1.0.0".into(),
        };
        let unlist = Endpoint::SetListed {
            lid: "tiny.demo".into(),
            lver: "1.0.0".into(),
            listed: false,
        };
        let nupkg = file("tiny.demo", "1.0.0", FileName::Nupkg);
        for (method, path, want) in [
            (Method::GET, "index.json", Endpoint::ServiceIndex),
            (
                Method::GET,
                "v3/flat/Tiny.Demo/index.json",
                Endpoint::Versions {
                    lid: "tiny.demo".into(),
                },
            ),
            (
                Method::GET,
                "v3/flat/Tiny.Demo/1.0.0/tiny.demo.1.0.0.nupkg",
                nupkg.clone(),
            ),
            (
                Method::GET,
                "v3/flat/Tiny.Demo/1.0.0/tiny.demo.nuspec",
                file("tiny.demo", "1.0.0", FileName::Nuspec),
            ),
            (
                Method::GET,
                "v3/readme/Tiny.Demo/1.0.0",
                file("tiny.demo", "1.0.0", FileName::Readme),
            ),
            (
                Method::GET,
                "v3/registration-semver2/Tiny.Demo/page/1.0.0/2.0.0.json",
                registration(Hive::SemVer2, "tiny.demo", page),
            ),
            (
                Method::GET,
                "v3/registration/tiny.demo/1.0.0-Beta.json",
                registration(Hive::Plain, "tiny.demo", leaf),
            ),
            (Method::GET, "v3/catalog/Tiny.Demo/1.0.0.json", catalog),
            (
                Method::PUT,
                "api/v2/package",
                Endpoint::Push { symbols: false },
            ),
            (
                Method::PUT,
                "api/v2/symbolpackage/",
                Endpoint::Push { symbols: true },
            ),
            (Method::DELETE, "api/v2/package/Tiny.Demo/1.0", unlist),
            (Method::HEAD, "api/v2/package/Tiny.Demo/1.0", nupkg),
        ] {
            assert_eq!(
                Endpoint::parse(&method, path, None).unwrap(),
                want,
                "{path}"
            );
        }
        for (method, path) in [
            (Method::POST, "api/v2/package/x/not-a-version"),
            (Method::PUT, "index.json"),
            (Method::PATCH, "api/v2/package/x/1.0"),
        ] {
            let refused = Endpoint::parse(&method, path, None);
            assert_eq!(status(refused), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[test]
    fn searches_read_their_query() {
        let Endpoint::Search(q) = Endpoint::parse(
            &Method::GET,
            "v3/query",
            Some("q=tiny&skip=2&take=5000&prerelease=TRUE&semVerLevel=2.0.0"),
        )
        .unwrap() else {
            panic!("a search")
        };
        assert_eq!((q.q.as_str(), q.skip, q.take), ("tiny", 2, 1000));
        assert!(q.prerelease && q.semver2);
        let Endpoint::Autocomplete(q) =
            Endpoint::parse(&Method::GET, "v3/autocomplete", Some("id=Tiny.Demo")).unwrap()
        else {
            panic!("an autocomplete")
        };
        assert_eq!(q.id.as_deref(), Some("tiny.demo"));
        assert_eq!((q.skip, q.take), (0, 20));
    }

    #[test]
    fn the_v2_feed_is_everything_read_under_api_v2() {
        let Endpoint::V2(request) = Endpoint::parse(
            &Method::GET,
            "api/v2/Packages()/$count",
            Some("semVerLevel=2.0.0"),
        )
        .unwrap() else {
            panic!("the v2 feed")
        };
        assert!(request.count && request.semver2);
        assert_eq!(
            status(Endpoint::parse(&Method::GET, "api/v2/Nope", None)),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(Endpoint::parse(&Method::PUT, "api/v2/Packages", None)),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn hostile_paths_name_nothing_or_stay_inside_one_segment() {
        for path in [
            "",
            "/",
            "..",
            "../index.json/x",
            "v3",
            "v3/flat",
            "v3/unknown/x/index.json",
            "v3/flat/a/b/c/d",
            "api/v3/package",
            "v3/query/extra",
        ] {
            assert_eq!(status(get(path)), StatusCode::NOT_FOUND, "{path}");
        }
        // Empty segments are skipped, and a file name never holds a slash.
        assert_eq!(get("//index.json//").unwrap(), Endpoint::ServiceIndex);
        assert_eq!(
            get("v3/flat/../../etc%00").unwrap(),
            file("..", "..", FileName::Other("etc%00".into()))
        );
        assert_eq!(
            get("v3/flat/../x/passwd").unwrap(),
            file("..", "x", FileName::Other("passwd".into()))
        );
        assert_eq!(
            get(&format!("v3/flat/{}/index.json", "A".repeat(10_000))).unwrap(),
            Endpoint::Versions {
                lid: "a".repeat(10_000)
            }
        );
        assert_eq!(
            get("v3/registration/x/a/b/c").unwrap(),
            registration(Hive::Plain, "x", Document::Unknown)
        );
    }
}
