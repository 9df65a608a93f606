//! The part of a package format every layer reads, below HTTP: what the
//! format is called, how its clients name a package, how to install one,
//! and where a version stands. The service (webhooks, advisories), the
//! REST API and the web pages ask the format through this trait and never
//! decode a format's metadata nor `match` on a format.

use std::sync::Arc;

use entrepot_core::{Lifecycle, Package, PackageType, Version};

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

    /// The name the package's ecosystem and OSV know it by, read from its
    /// newest version where the stored name loses something (Maven's
    /// `groupId:artifactId`).
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

    /// How to install `package` (at `version`, or the latest) from this server.
    fn install_instructions(
        &self,
        site: &Site,
        package: &Package,
        version: Option<&Version>,
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

    /// The shell command that installs this version, if the format has one.
    #[must_use]
    pub fn installation_command(&self, package: &Package, version: &Version) -> Option<String> {
        self.format(package.package_type)?
            .install_instructions(&self.site, package, Some(version))
            .into_iter()
            .find(|s| s.language == "shell")
            .map(|s| s.body)
    }
}
