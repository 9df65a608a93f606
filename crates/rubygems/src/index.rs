//! The indexes of one owner's gems, rendered from what is stored: the
//! compact index (`/versions`, `/info/NAME`, `/names`) that Bundler and
//! newer `gem` read, and the legacy Marshal indexes older paths still use.
//!
//! `/versions` is built as an append-only log: one line per publication or
//! yank, in the order they happened, each carrying the MD5 of the gem's
//! `/info` file as it was right after that event. New events only ever add
//! lines at the end, so Bundler's `Range` requests fetch just the tail.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use chrono::{DateTime, Utc};
use md5::{Digest, Md5};

use crate::marshal::{self, Value};
use crate::metadata::GemSpec;
use crate::spec::requirement_text;
use crate::version::{compare, is_prerelease};

/// One stored version of a gem, yanked or not.
#[derive(Debug, Clone)]
pub struct Entry {
    pub spec: GemSpec,
    pub id: i64,
    pub published_at: DateTime<Utc>,
    pub yanked_at: Option<DateTime<Utc>>,
}

impl Entry {
    pub fn live(&self) -> bool {
        self.yanked_at.is_none()
    }
}

/// Every gem an owner has that the caller may see, by name, with its
/// versions in publication order.
#[derive(Debug, Default)]
pub struct Index {
    pub since: Option<DateTime<Utc>>,
    pub gems: BTreeMap<String, Vec<Entry>>,
}

/// One line of `/info/NAME`.
pub fn info_line(spec: &GemSpec) -> String {
    let deps: Vec<String> = spec
        .runtime_dependencies()
        .map(|d| format!("{}:{}", d.name, requirement_text(&d.requirements, "&")))
        .collect();
    let mut line = format!(
        "{} {}|checksum:{}",
        spec.full_version(),
        deps.join(","),
        spec.sha256
    );
    for (key, reqs) in [
        ("ruby", &spec.required_ruby_version),
        ("rubygems", &spec.required_rubygems_version),
    ] {
        let text = requirement_text(reqs, "&");
        if text != ">= 0" {
            let _ = write!(line, ",{key}:{text}");
        }
    }
    line
}

fn info_of<'a>(live: impl Iterator<Item = &'a Entry>) -> String {
    let mut text = String::from("---\n");
    for e in live {
        text.push_str(&info_line(&e.spec));
        text.push('\n');
    }
    text
}

impl Index {
    /// `/info/NAME`: the live versions in publication order.
    pub fn info(&self, name: &str) -> Option<String> {
        let entries = self.gems.get(name)?;
        entries
            .iter()
            .any(Entry::live)
            .then(|| info_of(entries.iter().filter(|e| e.live())))
    }

    /// `/names`: the gems with at least one live version.
    pub fn names(&self) -> String {
        let mut text = String::from("---\n");
        for (name, entries) in &self.gems {
            if entries.iter().any(Entry::live) {
                text.push_str(name);
                text.push('\n');
            }
        }
        text
    }

    /// `/versions`, replayed event by event (see the module's comment).
    pub fn versions(&self) -> String {
        enum Kind {
            Publish,
            Yank,
        }
        let mut events = Vec::new();
        for (name, entries) in &self.gems {
            for (i, e) in entries.iter().enumerate() {
                events.push((e.published_at, e.id, 0, name, i, Kind::Publish));
                if let Some(at) = e.yanked_at {
                    events.push((at, e.id, 1, name, i, Kind::Yank));
                }
            }
        }
        events.sort_by_key(|&(at, id, order, ..)| (at, id, order));
        let since = self
            .since
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut text = format!("created_at: {since}\n---\n");
        // Per gem: which of its entries are live so far, and the running
        // hash of its info file while versions are only appended.
        let mut state: BTreeMap<&str, (Vec<bool>, Md5)> = BTreeMap::new();
        for (_, _, _, name, i, kind) in events {
            let entries = &self.gems[name];
            let (live, hasher) = state.entry(name).or_insert_with(|| {
                let mut h = Md5::new();
                h.update(b"---\n");
                (vec![false; entries.len()], h)
            });
            let full = entries[i].spec.full_version();
            let change = match kind {
                Kind::Publish => {
                    live[i] = true;
                    let appended = live[i + 1..].iter().all(|l| !l);
                    if appended {
                        hasher.update(info_line(&entries[i].spec).as_bytes());
                        hasher.update(b"\n");
                    } else {
                        *hasher = rehash(entries, live);
                    }
                    full
                }
                Kind::Yank => {
                    live[i] = false;
                    *hasher = rehash(entries, live);
                    format!("-{full}")
                }
            };
            let md5 = hex::encode(hasher.clone().finalize());
            let _ = writeln!(text, "{name} {change} {md5}");
        }
        text
    }

    fn live(&self) -> impl Iterator<Item = &Entry> {
        self.gems.values().flatten().filter(|e| e.live())
    }

    /// `specs.4.8.gz` (`prerelease` false), `prerelease_specs.4.8.gz`
    /// (true), or with `latest` the newest release per name and platform.
    pub fn specs(&self, prerelease: bool, latest: bool) -> Vec<u8> {
        let mut picked: Vec<&GemSpec> = self
            .live()
            .map(|e| &e.spec)
            .filter(|s| is_prerelease(&s.version) == prerelease)
            .collect();
        if latest {
            let mut newest: BTreeMap<(&str, &str), &GemSpec> = BTreeMap::new();
            for s in picked {
                let slot = newest.entry((&s.name, &s.platform)).or_insert(s);
                if compare(&s.version, &slot.version).is_gt() {
                    *slot = s;
                }
            }
            picked = newest.into_values().collect();
        }
        picked.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then_with(|| compare(&a.version, &b.version))
                .then_with(|| a.platform.cmp(&b.platform))
        });
        let tuples = picked
            .iter()
            .map(|s| {
                Value::Array(vec![
                    Value::Str(s.name.clone()),
                    marshal::gem_version(&s.version),
                    Value::Str(s.platform.clone()),
                ])
            })
            .collect();
        gzip(&marshal::dump(&Value::Array(tuples)))
    }

    /// The live spec whose file stem is `full_name` (`NAME-VERSION[-PLATFORM]`).
    pub fn find(&self, full_name: &str) -> Option<&Entry> {
        self.live().find(|e| e.spec.full_name() == full_name)
    }

    /// `/api/v1/dependencies?gems=…`: name, number, platform and runtime
    /// dependencies of every live version of the named gems.
    pub fn dependencies(&self, names: &[&str]) -> Vec<(&GemSpec, Vec<(String, String)>)> {
        names
            .iter()
            .filter_map(|n| self.gems.get(*n))
            .flatten()
            .filter(|e| e.live())
            .map(|e| {
                let deps = e
                    .spec
                    .runtime_dependencies()
                    .map(|d| (d.name.clone(), requirement_text(&d.requirements, ", ")))
                    .collect();
                (&e.spec, deps)
            })
            .collect()
    }
}

fn rehash(entries: &[Entry], live: &[bool]) -> Md5 {
    let mut h = Md5::new();
    h.update(
        info_of(
            entries
                .iter()
                .zip(live)
                .filter(|(_, l)| **l)
                .map(|(e, _)| e),
        )
        .as_bytes(),
    );
    h
}

/// The dependency API's Marshal body.
pub fn dependencies_marshal(deps: &[(&GemSpec, Vec<(String, String)>)]) -> Vec<u8> {
    let sym = |s: &str| Value::Symbol(s.to_owned());
    let items = deps
        .iter()
        .map(|(spec, deps)| {
            Value::Hash(vec![
                (sym("name"), Value::Str(spec.name.clone())),
                (sym("number"), Value::Str(spec.version.clone())),
                (sym("platform"), Value::Str(spec.platform.clone())),
                (
                    sym("dependencies"),
                    Value::Array(
                        deps.iter()
                            .map(|(n, r)| {
                                Value::Array(vec![Value::Str(n.clone()), Value::Str(r.clone())])
                            })
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    marshal::dump(&Value::Array(items))
}

/// `quick/Marshal.4.8/NAME-VERSION.gemspec.rz`: the deflated spec.
pub fn quick_spec(spec: &GemSpec) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&marshal::dump(&marshal::specification(spec)))
        .expect("writing to memory");
    z.finish().expect("writing to memory")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).expect("writing to memory");
    z.finish().expect("writing to memory")
}

/// The MD5 of a compact index file, as Bundler computes it for its `ETag`.
pub fn md5_hex(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, version: &str, id: i64, at: i64, yanked: Option<i64>) -> Entry {
        let doc = crate::yaml::load(crate::spec::tests::TINY).unwrap();
        let mut spec = GemSpec::from_yaml(&doc).unwrap();
        spec.name = name.into();
        spec.version = version.into();
        spec.sha256 = format!("{id:064}");
        let t = |s| DateTime::from_timestamp(s, 0).unwrap();
        Entry {
            spec,
            id,
            published_at: t(at),
            yanked_at: yanked.map(t),
        }
    }

    fn index(entries: Vec<Entry>) -> Index {
        let mut gems: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        for e in entries {
            gems.entry(e.spec.name.clone()).or_default().push(e);
        }
        Index { since: None, gems }
    }

    #[test]
    fn info_lines_carry_runtime_dependencies_checksum_and_ruby() {
        let e = entry("tinygem", "1.0.0", 1, 0, None);
        assert_eq!(
            info_line(&e.spec),
            format!("1.0.0 basegem:~> 1.0|checksum:{:064},ruby:>= 2.7", 1)
        );
    }

    #[test]
    fn versions_only_grows_and_each_gems_last_md5_is_its_info() {
        let before = index(vec![
            entry("a", "1.0.0", 1, 10, None),
            entry("b", "1.0.0", 2, 20, None),
        ]);
        let after = index(vec![
            entry("a", "1.0.0", 1, 10, Some(40)),
            entry("a", "1.1.0", 3, 30, None),
            entry("b", "1.0.0", 2, 20, None),
        ]);
        let (old, new) = (before.versions(), after.versions());
        assert!(new.starts_with(&old), "{old}\n{new}");
        let tail: Vec<&str> = new[old.len()..].lines().collect();
        assert_eq!(tail.len(), 2);
        assert!(tail[0].starts_with("a 1.1.0 "));
        assert!(tail[1].starts_with("a -1.0.0 "));
        let info_a = after.info("a").unwrap();
        assert!(!info_a.contains("\n1.0.0 ") && info_a.contains("\n1.1.0 "));
        assert!(tail[1].ends_with(&md5_hex(info_a.as_bytes())));
        let last_b = new.lines().rfind(|l| l.starts_with("b ")).unwrap();
        assert!(last_b.ends_with(&md5_hex(after.info("b").unwrap().as_bytes())));
    }

    #[test]
    fn specs_split_releases_prereleases_and_latest() {
        let idx = index(vec![
            entry("a", "1.0.0", 1, 10, None),
            entry("a", "1.1.0", 2, 20, None),
            entry("a", "2.0.0.pre1", 3, 30, None),
            entry("a", "0.9.0", 4, 40, Some(50)),
        ]);
        let gunzip = |b: Vec<u8>| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(b.as_slice()), &mut out)
                .unwrap();
            out
        };
        // `[` and the packed length of the outer array, after the header.
        let count = |b: &[u8]| {
            assert_eq!(b[2], b'[');
            usize::from(b[3]) - 5
        };
        assert_eq!(count(&gunzip(idx.specs(false, false))), 2);
        assert_eq!(count(&gunzip(idx.specs(true, false))), 1);
        let latest = gunzip(idx.specs(false, true));
        assert_eq!(count(&latest), 1);
        assert!(latest.windows(5).any(|w| w == b"1.1.0"));
    }
}
