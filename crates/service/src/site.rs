//! The public URL clients reach this server at: every URL Entrepot emits,
//! in a page, an index, a payload or an install snippet, is built on it.
//! Behind a trusted reverse proxy and without `--base-url`, a request's
//! `X-Forwarded-Proto` and `-Host` name it for that request (`scope`).

use std::future::Future;

use url::Url;

tokio::task_local! {
    /// The base URL the request being served was addressed to, when a
    /// trusted proxy named it.
    static FORWARDED: Url;
}

/// Runs `work` (a request) with `base` as the base URL of every URL built
/// in it.
pub async fn scope<F: Future>(base: Url, work: F) -> F::Output {
    FORWARDED.scope(base, work).await
}

/// The base URL a trusted proxy named for the request being served, if
/// any: caches of rendered documents keep one rendering per base.
#[must_use]
pub fn forwarded() -> Option<Url> {
    FORWARDED.try_with(Clone::clone).ok()
}

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

    /// The base URL of the request being served (see `scope`), else the
    /// configured one.
    #[must_use]
    pub fn base_url(&self) -> Url {
        forwarded().unwrap_or_else(|| self.base_url.clone())
    }

    /// The configured base URL, whatever the request.
    #[must_use]
    pub fn configured(&self) -> &Url {
        &self.base_url
    }

    /// `base` joined with `path` (which starts with `/`), without doubling slashes.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url().as_str().trim_end_matches('/'), path)
    }

    /// The host (and port, if any) clients address, as container references use it.
    #[must_use]
    pub fn host(&self) -> String {
        host_of(&self.base_url())
    }

    /// Whether clients reach this server over TLS (cookies are then `Secure`).
    #[must_use]
    pub fn is_https(&self) -> bool {
        self.base_url().scheme() == "https"
    }

    /// The base URL `X-Forwarded-Proto` and `X-Forwarded-Host` name: the
    /// configured one with that scheme and host (its path kept); `None`
    /// when neither is sent, or either is not a plain scheme or host.
    #[must_use]
    pub fn forwarded_base(&self, proto: Option<&str>, host: Option<&str>) -> Option<Url> {
        if proto.is_none() && host.is_none() {
            return None;
        }
        // Each proxy appends: the first value is the client's.
        let first = |v: &str| {
            v.split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        };
        let proto = proto.map_or_else(|| self.base_url.scheme().to_owned(), first);
        if proto != "http" && proto != "https" {
            return None;
        }
        let host = match host {
            Some(h) => first(h),
            None => host_of(&self.base_url),
        };
        let plain = !host.is_empty()
            && host.len() <= 255
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        if !plain {
            return None;
        }
        let url = Url::parse(&format!("{proto}://{host}{}", self.base_url.path())).ok()?;
        (url.host_str().is_some() && url.path() == self.base_url.path()).then_some(url)
    }
}

/// The host (and port, if any) of `base`.
fn host_of(base: &Url) -> String {
    let host = base.host_str().unwrap_or("localhost");
    match base.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
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

    #[tokio::test]
    async fn a_forwarded_base_holds_within_its_request_only() {
        let site = Site::new("http://127.0.0.1:8080/r/".parse().unwrap());
        let named = site
            .forwarded_base(Some("https"), Some("packages.example.com, proxy.internal"))
            .unwrap();
        assert_eq!(named.as_str(), "https://packages.example.com/r/");
        let inside = super::scope(named, async { (site.url("/npm/"), site.host()) }).await;
        assert_eq!(inside.0, "https://packages.example.com/r/npm/");
        assert_eq!(inside.1, "packages.example.com");
        assert_eq!(site.url("/npm/"), "http://127.0.0.1:8080/r/npm/");
        // The proto alone keeps the host; the host alone keeps the scheme.
        let proto = site.forwarded_base(Some("https"), None).unwrap();
        assert_eq!(proto.as_str(), "https://127.0.0.1:8080/r/");
        let host = site.forwarded_base(None, Some("e.example:8443")).unwrap();
        assert_eq!(host.as_str(), "http://e.example:8443/r/");
        for (p, h) in [
            (None, None),
            (Some("ftp"), None),
            (None, Some("evil.example/path")),
            (None, Some("a@b.example")),
            (None, Some("")),
        ] {
            assert_eq!(site.forwarded_base(p, h), None, "{p:?} {h:?}");
        }
    }
}
