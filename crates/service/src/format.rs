//! The part of a package format every layer reads, below HTTP: what the
//! format is called, how its clients name a package, how to install one,
//! and where a version stands. The service (webhooks, advisories), the
//! REST API and the web pages ask the format through this trait and never
//! decode a format's metadata nor `match` on a format.

use std::sync::Arc;

use entrepot_core::{Lifecycle, Package, PackageFile, PackageType, Version};

use crate::site::Site;

/// One snippet of install instructions, as the package page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// What the snippet is for, e.g. "Install from the command line".
    pub title: String,
    /// Where it goes, e.g. `.npmrc`, `pom.xml`, or `shell`.
    pub language: String,
    pub body: String,
}

impl Snippet {
    /// The snippet titled `title`, if any. A title tells a package's
    /// snippets apart, so it is what tests find one by.
    #[must_use]
    pub fn titled<'a>(snippets: &'a [Snippet], title: &str) -> Option<&'a Snippet> {
        snippets.iter().find(|s| s.title == title)
    }
}

/// What a version's own manifest says of it, for the package page's
/// Details panel and for search (the keywords). Each format reads its own
/// metadata; [`Details::bounded`] keeps what a page shows small.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// An SPDX expression or a licence's name, as the manifest gives it.
    pub license: Option<String>,
    /// The project's home page; `http` and `https` URLs only.
    pub homepage: Option<String>,
    /// Where the code is, as the manifest writes it (`git+https://…`,
    /// `github:o/r`, `https://…`).
    pub source: Option<String>,
    /// The package's folder in that repository (npm's
    /// `repository.directory`), for a monorepo.
    pub source_directory: Option<String>,
    pub keywords: Vec<String>,
    pub authors: Vec<String>,
    pub dependencies: Vec<Dependency>,
}

/// One dependency a version declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// As its clients name it (`@scope/name`, `group:artifact`).
    pub name: String,
    /// The versions it accepts, in the format's own syntax (`^1.2`,
    /// `>=2,<3`, `[1.0,2.0)`); empty for any.
    pub requirement: String,
    /// `runtime`, `development`, `optional`, `peer`, `build`, or the
    /// format's own word (a NuGet target framework, a Maven scope).
    pub kind: String,
}

/// A person as manifests write one (`Name <email> (url)`, `"Doe, Jane"
/// <jd@example.com>`), without quotes, the address, the URL or a bare
/// address: a page shows names, never emails.
#[must_use]
pub fn person_name(person: &str) -> Option<String> {
    let mut kept = String::new();
    let mut depth = 0usize;
    // Quotes only mark a display name (`"Doe, Jane" <jd@example.com>`).
    for c in person.chars().filter(|&c| c != '"') {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = kept
        .split_whitespace()
        .filter(|w| w.find('@').is_none_or(|at| at == 0))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// A size as people read one: `319 B`, `1.2 KiB`, `3.0 MiB`.
#[must_use]
pub fn human_size(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", b / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.1} MiB", b / 1_048_576.0),
        _ => format!("{:.2} GiB", b / 1_073_741_824.0),
    }
}

impl Details {
    /// Keywords, authors and dependencies a page lists at most.
    pub const MAX_ITEMS: usize = 200;
    /// Characters of one text kept.
    pub const MAX_TEXT_CHARS: usize = 200;

    /// `self` within [`Self::MAX_ITEMS`] and [`Self::MAX_TEXT_CHARS`], with
    /// a home page that is not `http(s)` left out, and no empty keyword.
    #[must_use]
    pub fn bounded(mut self) -> Self {
        let cut = |text: &mut String| {
            if let Some((at, _)) = text.char_indices().nth(Self::MAX_TEXT_CHARS) {
                text.truncate(at);
            }
        };
        for text in [
            &mut self.license,
            &mut self.homepage,
            &mut self.source,
            &mut self.source_directory,
        ]
        .into_iter()
        .flatten()
        {
            cut(text);
        }
        self.homepage = self.homepage.filter(|h| {
            let lower = h.to_ascii_lowercase();
            lower.starts_with("https://") || lower.starts_with("http://")
        });
        self.keywords.retain(|k| !k.trim().is_empty());
        self.keywords.truncate(Self::MAX_ITEMS);
        self.authors.truncate(Self::MAX_ITEMS);
        self.dependencies.truncate(Self::MAX_ITEMS);
        for text in self.keywords.iter_mut().chain(self.authors.iter_mut()) {
            cut(text);
        }
        for d in &mut self.dependencies {
            cut(&mut d.name);
            cut(&mut d.requirement);
            cut(&mut d.kind);
        }
        self
    }
}

/// What a version's page shows beyond its files, that the format reads
/// from what the version stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionView {
    pub sections: Vec<Section>,
    pub weight: Weight,
}

/// The size a version's page gives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Weight {
    /// Its files' sum: what a client downloads.
    #[default]
    Files,
    /// What the format counts instead (an image: its config and layers,
    /// not the manifest that is its one file).
    Bytes(u64),
    /// No one figure (an index of images for several platforms).
    Unshown,
}

/// A table a version's page shows beyond its files, that the format reads
/// from what the version stored (an image's platforms, layers and labels).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A format's description of itself; the HTTP part (`PackageFormat` in
/// `entrepot-http`) builds on it.
pub trait FormatSpec: Send + Sync + 'static {
    /// GitHub's `package_type` this format serves.
    fn package_type(&self) -> PackageType;

    /// The human name of the format, e.g. "npm" or "Apache Maven".
    fn display_name(&self) -> &'static str;

    /// The name clients know the package by (npm: `@owner/name`).
    fn full_name(&self, package: &Package) -> String {
        package.name.clone()
    }

    /// Reads a name as a client writes it (in an advisory, say) back to the
    /// stored one; the inverse of `full_name` and `ecosystem_name`.
    fn stored_name(&self, package: &Package, client_name: &str) -> String {
        let _ = package;
        client_name.to_owned()
    }

    /// Where a package its clients name `client_name` (as a dependency)
    /// would be stored here: the owner the name says, if it says one
    /// (npm's `@scope/`; else the dependent's owner, whose feed its clients
    /// read), and the stored name; `None` for a name that is never a local
    /// package (npm's unscoped names come from upstream). By default the
    /// name in its canonical form.
    fn home_of(&self, client_name: &str) -> Option<(Option<String>, String)> {
        Some((None, self.canonical_name(client_name)))
    }

    /// The form in which two spellings of a name are one package (PyPI's
    /// PEP 503, Cargo's case and `-`/`_`, NuGet's case): how a name a
    /// person typed (a trusted publisher's, a narrow token's) is compared
    /// with the packages' own.
    fn canonical_name(&self, name: &str) -> String {
        name.to_owned()
    }

    /// The name the package's ecosystem and OSV know it by, read from its
    /// newest version where the stored name loses something (Maven's
    /// `groupId:artifactId`).
    /// The file this format's packages declare their dependencies in, as
    /// GitHub's Dependabot alerts name it (`manifest_path`); none by default.
    fn manifest_path(&self) -> &'static str {
        ""
    }

    fn ecosystem_name(&self, package: &Package, newest: Option<&Version>) -> String {
        let _ = newest;
        self.full_name(package)
    }

    /// The key under which the REST API's `package-version.metadata` lists
    /// a version's tags, for formats whose GitHub schema has one
    /// (containers: `container`).
    fn rest_tags_key(&self) -> Option<&'static str> {
        None
    }

    /// Where the version stands: the format reads its own metadata so that
    /// nobody else has to.
    fn lifecycle(&self, version: &Version) -> Lifecycle {
        let _ = version;
        Lifecycle::Available
    }

    /// What this format's clients get from upstream registries through
    /// this server; nothing unless the format says so.
    fn proxying(&self) -> Proxying {
        Proxying::default()
    }

    /// The versions among `versions` (one package's live ones) that others
    /// hold together and cleanup rules must leave, with why (an image
    /// index's platforms, a signature of a kept image). None unless the
    /// format says.
    fn held_versions(&self, versions: &[Version]) -> Vec<(entrepot_core::Id, String)> {
        let _ = versions;
        Vec::new()
    }

    /// Whether versions hold blobs linked in their repository beyond their
    /// own files (an image's config and layers), which `linked_blobs`
    /// names: the upstream cache counts them.
    fn links_blobs(&self) -> bool {
        false
    }

    /// The digests of the blobs `version` holds beyond its own files, as
    /// linked in its package's repository.
    fn linked_blobs(&self, version: &Version) -> Vec<String> {
        let _ = version;
        Vec::new()
    }

    /// Whether `version`, tagged `tags`, is attached to another (a
    /// signature, an SBOM) rather than a release of its own: the
    /// dependency graph and the package page take the newest release. None
    /// are unless the format says.
    fn is_attachment(&self, version: &Version, tags: &[&str]) -> bool {
        let _ = (version, tags);
        false
    }

    /// The blobs (sha256 hex) of the SBOMs attached to `subject` among
    /// `versions` (its package's, newest first): what an image depends on
    /// is read from them. None unless the format says.
    fn attached_sboms(&self, subject: &Version, versions: &[Version]) -> Vec<String> {
        let _ = (subject, versions);
        Vec::new()
    }

    /// What `version`'s manifest says of it: licence, home page, source,
    /// keywords, authors, dependencies. Nothing unless the format says.
    fn details(&self, version: &Version) -> Details {
        let _ = version;
        Details::default()
    }

    /// The tables `version`'s page shows beyond its files and the size it
    /// gives, read through `registry` (bounded by the format); none and
    /// its files' sum unless the format says.
    fn version_view(
        &self,
        registry: &crate::Registry,
        package: &Package,
        version: &Version,
    ) -> futures::future::BoxFuture<'static, crate::ServiceResult<VersionView>> {
        let _ = (registry, package, version);
        Box::pin(std::future::ready(Ok(VersionView::default())))
    }

    /// The file among `files` (a version's) that is a gzipped tarball of
    /// the package's own files under one top folder, where the README's
    /// relative images can be found; none unless the format ships one.
    fn archive<'f>(&self, files: &'f [PackageFile]) -> Option<&'f PackageFile> {
        let _ = files;
        None
    }

    /// The URL its client downloads `file` of `version` from, for the
    /// page's list of files; none unless the format says (most clients
    /// find files through their own indexes).
    fn file_url(
        &self,
        site: &Site,
        package: &Package,
        version: &Version,
        file: &str,
    ) -> Option<String> {
        let _ = (site, package, version, file);
        None
    }

    /// How to install `package` (at `version`, or the latest) from this
    /// server; `tags` are the version's, for formats whose clients pull by
    /// tag (an image by `:1.0`, not by its digest).
    fn install_instructions(
        &self,
        site: &Site,
        package: &Package,
        version: Option<&Version>,
        tags: &[String],
    ) -> Vec<Snippet>;
}

/// How a format works with upstream registries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Proxying {
    /// An upstream of this format can be registered; its name mirrors it.
    pub upstreams: bool,
    /// Names no local owner has come from the format's default upstream
    /// (npm, as GitHub's npm registry passes unscoped names through).
    pub default_upstream: bool,
    /// An owner's index may fall through to one upstream for the names
    /// the owner does not have (PyPI).
    pub owner_fallthrough: bool,
    /// How a client points at an owner's registry that falls through, for
    /// the settings page: `{base}` and `{owner}` are filled in.
    pub fallthrough_use: &'static str,
}

/// The formats this server serves and the URL it is reached at: what the
/// service needs to name packages and link to them in what it sends out
/// (webhook payloads), fixed when the registry is built.
#[derive(Clone, Default)]
pub struct Catalog {
    site: Site,
    formats: Vec<Arc<dyn FormatSpec>>,
}

impl Catalog {
    #[must_use]
    pub fn new(site: Site, formats: Vec<Arc<dyn FormatSpec>>) -> Self {
        Catalog { site, formats }
    }

    #[must_use]
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The format serving `package_type`, if this server has it.
    #[must_use]
    pub fn format(&self, package_type: PackageType) -> Option<&dyn FormatSpec> {
        self.formats
            .iter()
            .find(|f| f.package_type() == package_type)
            .map(AsRef::as_ref)
    }

    /// `path` (starting with `/`) under the server's public URL.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        self.site.url(path)
    }

    /// `name` in `package_type`'s canonical form; as given where no format
    /// claims the type.
    #[must_use]
    pub fn canonical_name(&self, package_type: PackageType, name: &str) -> String {
        self.format(package_type)
            .map_or_else(|| name.to_owned(), |f| f.canonical_name(name))
    }

    /// The name clients know the package by; the stored name where no
    /// format claims the package.
    #[must_use]
    pub fn client_name(&self, package: &Package) -> String {
        self.format(package.package_type)
            .map_or_else(|| package.name.clone(), |f| f.full_name(package))
    }

    /// Where `version` stands; available where no format claims it.
    #[must_use]
    pub fn lifecycle(&self, package_type: PackageType, version: &Version) -> Lifecycle {
        self.format(package_type)
            .map_or(Lifecycle::Available, |f| f.lifecycle(version))
    }

    /// How the format serving `package_type` works with upstreams.
    #[must_use]
    pub fn proxying(&self, package_type: PackageType) -> Proxying {
        self.format(package_type)
            .map_or_else(Proxying::default, FormatSpec::proxying)
    }

    /// The formats whose upstreams can be registered, in the order served.
    #[must_use]
    pub fn proxied_formats(&self) -> Vec<PackageType> {
        self.formats
            .iter()
            .filter(|f| f.proxying().upstreams)
            .map(|f| f.package_type())
            .collect()
    }

    /// The formats whose owners' registries may fall through to an
    /// upstream, in the order served.
    #[must_use]
    pub fn fallthrough_formats(&self) -> Vec<PackageType> {
        self.formats
            .iter()
            .filter(|f| f.proxying().owner_fallthrough)
            .map(|f| f.package_type())
            .collect()
    }

    /// The shell command that installs this version, if the format has one.
    #[must_use]
    pub fn installation_command(&self, package: &Package, version: &Version) -> Option<String> {
        self.format(package.package_type)?
            .install_instructions(&self.site, package, Some(version), &[])
            .into_iter()
            .find(|s| s.language == "shell")
            .map(|s| s.body)
    }
}
