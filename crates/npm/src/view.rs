//! A package as its packument shows it, loaded in a fixed number of
//! queries, and rendered as the full and abbreviated packuments and the
//! version documents; tarball URLs are built from the base URL.

use std::collections::HashMap;

use entrepot_core::{Actor, Id, Package, PackageFile, PackageType, Tag, Version};
use entrepot_service::Registry;
use serde_json::{Map, Value, json};

use crate::error::NpmResult;
use crate::metadata::Manifest;
use crate::name::NpmName;

/// A package with everything its packument shows.
pub struct View {
    pub package: Package,
    pub versions: Vec<(Version, Vec<PackageFile>)>,
    pub tags: Vec<Tag>,
    pub publishers: HashMap<Id, String>,
    /// The registry's keys, which sign each version's `dist`.
    pub keys: std::sync::Arc<entrepot_service::signing::SigningKeys>,
}

/// Fields the abbreviated ("corgi") document keeps per version.
pub(crate) const ABBREVIATED_FIELDS: &[&str] = &[
    "name",
    "version",
    "deprecated",
    "dependencies",
    "optionalDependencies",
    "devDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "bundleDependencies",
    "bundledDependencies",
    "acceptDependencies",
    "bin",
    "directories",
    "engines",
    "_hasShrinkwrap",
    "hasInstallScript",
    "funding",
    "cpu",
    "os",
    "libc",
];

/// Fields of the `latest` version the full packument repeats at its top.
const HOISTED_FIELDS: &[&str] = &[
    "license",
    "repository",
    "homepage",
    "bugs",
    "keywords",
    "author",
];

fn iso(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `dist.signatures` for `name@version:integrity`, signed with the
/// registry's current key (none if signing failed, which is logged).
pub fn sign(
    keys: &entrepot_service::signing::SigningKeys,
    name: &str,
    version: &str,
    integrity: &str,
) -> Option<Value> {
    match keys.sign(&format!("{name}@{version}:{integrity}")) {
        Ok(signature) => Some(json!([signature])),
        Err(e) => {
            tracing::error!(error = %e, "could not sign {name}@{version}");
            None
        }
    }
}

pub fn tarball_url(base: &str, name: &NpmName, version: &str) -> String {
    format!(
        "{}/npm/@{}/{}/-/{}",
        base.trim_end_matches('/'),
        name.scope,
        name.name,
        name.tarball(version)
    )
}

/// The highest version by semver precedence, ignoring prereleases when a
/// release exists; npm requires a `latest` tag, so one is always derived.
pub fn highest<'a>(names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let parsed: Vec<(semver::Version, &str)> = names
        .filter_map(|n| semver::Version::parse(n).ok().map(|v| (v, n)))
        .collect();
    parsed
        .iter()
        .filter(|(v, _)| v.pre.is_empty())
        .max_by(|a, b| a.0.cmp(&b.0))
        .or_else(|| parsed.iter().max_by(|a, b| a.0.cmp(&b.0)))
        .map(|(_, n)| *n)
}

/// The live package `name`, as `actor` may see it.
pub async fn readable(registry: &Registry, actor: &Actor, name: &NpmName) -> NpmResult<Package> {
    Ok(registry
        .packages()
        .readable_package(actor, &name.scope, PackageType::Npm, &name.name)
        .await?)
}

impl View {
    /// The package `name` with everything its packument shows, as `actor`
    /// may see it.
    pub async fn readable(registry: &Registry, actor: &Actor, name: &NpmName) -> NpmResult<View> {
        View::load(registry, readable(registry, actor, name).await?).await
    }

    /// Everything a packument shows, in a fixed number of queries.
    pub async fn load(registry: &Registry, package: Package) -> NpmResult<View> {
        let mut files_by_version: HashMap<i64, Vec<PackageFile>> = HashMap::new();
        for file in registry.packages().package_files(package.id).await? {
            files_by_version
                .entry(file.version_id)
                .or_default()
                .push(file);
        }
        let mut versions = Vec::new();
        let mut publishers = HashMap::new();
        for v in registry.packages().versions(package.id, false).await? {
            if let Some(p) = v.publisher_id
                && !publishers.contains_key(&p)
                && let Some(account) = registry.accounts().account_by_id(p).await?
            {
                publishers.insert(p, account.login);
            }
            let files = files_by_version.remove(&v.id).unwrap_or_default();
            versions.push((v, files));
        }
        let tags = registry.packages().tags(package.id).await?;
        let keys = registry.signing_keys().await?;
        Ok(View {
            package,
            versions,
            tags,
            publishers,
            keys,
        })
    }

    /// The live version called `name`, with its files.
    pub fn version(&self, name: &str) -> Option<&(Version, Vec<PackageFile>)> {
        self.versions.iter().find(|(v, _)| v.name == name)
    }

    pub fn dist_tags(&self) -> Map<String, Value> {
        let by_id: HashMap<Id, &str> = self
            .versions
            .iter()
            .map(|(v, _)| (v.id, v.name.as_str()))
            .collect();
        let mut tags: Map<String, Value> = self
            .tags
            .iter()
            .filter_map(|t| by_id.get(&t.version_id).map(|v| (t.name.clone(), json!(v))))
            .collect();
        if !tags.contains_key("latest")
            && let Some(latest) = highest(self.versions.iter().map(|(v, _)| v.name.as_str()))
        {
            tags.insert("latest".into(), json!(latest));
        }
        tags
    }

    /// One version's manifest as clients see it, `dist` completed.
    pub fn manifest(
        &self,
        base: &str,
        name: &NpmName,
        version: &Version,
        files: &[PackageFile],
    ) -> Value {
        let mut m = Manifest::of(version);
        m.name = Some(name.full());
        m.version = Some(version.name.clone());
        m.fields.insert(
            "_id".into(),
            json!(format!("{}@{}", name.full(), version.name)),
        );
        if let Some(login) = version.publisher_id.and_then(|p| self.publishers.get(&p)) {
            m.fields.insert("_npmUser".into(), json!({ "name": login }));
        }
        m.fields.remove("dist");
        let mut dist = m.dist.take().unwrap_or_default();
        if let Some(file) = files.first() {
            dist.tarball = Some(tarball_url(base, name, &version.name));
            if let Some(sha1) = &file.digests.sha1 {
                dist.shasum = Some(sha1.clone());
            }
            if let Some(sha512) = &file.digests.sha512
                && let Ok(bytes) = hex::decode(sha512)
            {
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                dist.integrity = Some(format!("sha512-{b64}"));
            }
        }
        // The registry's own signature, as npm's registry signs; whatever
        // the publisher sent under that name is not ours to vouch for.
        dist.fields.remove("signatures");
        if let Some(integrity) = &dist.integrity
            && let Some(signature) = sign(&self.keys, &name.full(), &version.name, integrity)
        {
            dist.fields.insert("signatures".into(), signature);
        }
        m.dist = Some(dist);
        m.to_value()
    }

    fn modified(&self) -> chrono::DateTime<chrono::Utc> {
        let versions = self.versions.iter().map(|(v, _)| v.updated_at);
        let tags = self.tags.iter().map(|t| t.updated_at);
        versions
            .chain(tags)
            .fold(self.package.updated_at, std::cmp::Ord::max)
    }

    pub fn last_modified(&self) -> chrono::DateTime<chrono::Utc> {
        self.modified()
    }

    /// A revision that changes whenever the document does.
    pub fn rev(&self) -> String {
        let stamp = self.modified().timestamp_micros();
        format!("{}-{:x}", self.versions.len() + self.tags.len(), stamp)
    }

    pub fn full(&self, base: &str, name: &NpmName) -> Value {
        let mut versions = Map::new();
        let mut time = Map::new();
        time.insert("created".into(), json!(iso(&self.package.created_at)));
        time.insert("modified".into(), json!(iso(&self.modified())));
        for (v, files) in &self.versions {
            versions.insert(v.name.clone(), self.manifest(base, name, v, files));
            time.insert(v.name.clone(), json!(iso(&v.created_at)));
        }
        let latest = self
            .dist_tags()
            .get("latest")
            .and_then(Value::as_str)
            .and_then(|l| self.version(l))
            .map(|(v, _)| Manifest::of(v));
        let mut doc = json!({
            "_id": name.full(),
            "_rev": self.rev(),
            "name": name.full(),
            "dist-tags": self.dist_tags(),
            "versions": versions,
            "time": time,
            "maintainers": [{ "name": self.package.owner_login }],
            "readme": self.package.readme.clone().unwrap_or_default(),
        });
        if let Some(d) = &self.package.description {
            doc["description"] = json!(d);
        }
        for hoisted in HOISTED_FIELDS {
            if let Some(v) = latest.as_ref().and_then(|m| m.fields.get(*hoisted)) {
                doc[*hoisted] = v.clone();
            }
        }
        doc
    }

    pub fn abbreviated(&self, base: &str, name: &NpmName) -> Value {
        let mut versions = Map::new();
        for (v, files) in &self.versions {
            let full = self.manifest(base, name, v, files);
            let mut slim = Map::new();
            for field in ABBREVIATED_FIELDS.iter().chain(&["dist"]) {
                if let Some(value) = full.get(*field) {
                    slim.insert((*field).to_owned(), value.clone());
                }
            }
            versions.insert(v.name.clone(), Value::Object(slim));
        }
        json!({
            "name": name.full(),
            "modified": iso(&self.modified()),
            "dist-tags": self.dist_tags(),
            "versions": versions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_release_wins_over_prereleases() {
        assert_eq!(
            highest(["1.0.0", "1.10.0", "1.9.0", "2.0.0-rc.1"].into_iter()),
            Some("1.10.0")
        );
        assert_eq!(
            highest(["2.0.0-rc.1", "2.0.0-rc.2"].into_iter()),
            Some("2.0.0-rc.2")
        );
        assert_eq!(highest(["not-semver"].into_iter()), None);
    }
}
