//! The public URL clients reach this server at: every URL Entrepot emits,
//! in a page, an index, a payload or an install snippet, is built on it.

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    base_url: Url,
}

impl Default for Site {
    /// A local URL, for a registry built without a configuration (tests).
    fn default() -> Self {
        Site::new(Url::parse("http://localhost/").expect("a valid URL"))
    }
}

impl Site {
    #[must_use]
    pub fn new(base_url: Url) -> Self {
        Site { base_url }
    }

    #[must_use]
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// `base` joined with `path` (which starts with `/`), without doubling slashes.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }

    /// The host (and port, if any) clients address, as container references use it.
    #[must_use]
    pub fn host(&self) -> String {
        let host = self.base_url.host_str().unwrap_or("localhost");
        match self.base_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// Whether clients reach this server over TLS (cookies are then `Secure`).
    #[must_use]
    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}

#[cfg(test)]
mod tests {
    use super::Site;

    #[test]
    fn urls_join_without_doubled_slashes() {
        let site = Site::new("http://example.test:8080/".parse().unwrap());
        assert_eq!(site.url("/npm/"), "http://example.test:8080/npm/");
        assert_eq!(site.host(), "example.test:8080");
    }
}
