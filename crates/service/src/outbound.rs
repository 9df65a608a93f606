//! The one HTTP client for every request Entrepot itself sends: webhook
//! deliveries, upstream registries and the ACME directory (identity
//! providers will join them). A URL
//! comes from a user, so the addresses it reaches are checked after DNS
//! resolution and again on every redirect: loopback, private, link-local,
//! multicast, unspecified and other non-global addresses are refused unless
//! the operator allows their range (`--outbound-allow`). Otherwise a hook
//! could reach the services beside the registry and read their answers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use entrepot_core::ranges::Ranges;
use reqwest_hooks as reqwest;

use crate::{ServiceError, ServiceResult};

/// The ranges an operator allows beyond the global internet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Ranges);

impl AllowList {
    /// Parses `CIDR[,CIDR…]` (a bare address is its own range).
    pub fn parse(text: &str) -> Result<Self, String> {
        Ranges::parse(text).map(AllowList)
    }

    /// Whether a request may go to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        is_global(ip.to_canonical()) || self.0.contains(ip)
    }
}

/// Whether an address belongs to the public internet: none of the special
/// ranges of RFC 6890 and its successors that lead to this host, its
/// networks, or nowhere.
fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network", 0.0.0.0 included
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// The IPv4 address two 16-bit segments hold.
fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    Ipv4Addr::from((u32::from(high) << 16) | u32::from(low))
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // NAT64 and 6to4 carry an IPv4 address that must itself be global.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return is_global_v4(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return is_global_v4(embedded_v4(s[1], s[2]));
    }
    // Local-use NAT64 (RFC 8215): a translator on the operator's network.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        return false;
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.to_ipv4().is_some() // IPv4-compatible and -mapped (mapped are checked as IPv4)
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])) // discard-only
}

/// A request refused because its host is not an address one may send to.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not an address this server may send to")]
pub struct Refused(String);

/// Whether `error` (from a client of `Outbound`) was a refusal of the
/// address rather than a failure to reach it.
pub fn is_refusal(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<Refused>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// Resolves names with the system's resolver, then keeps only the
/// addresses the allow list permits (none left: `Refused`).
struct CheckedResolver {
    allowed: Arc<RwLock<AllowList>>,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowed = self.allowed.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let list = allowed.read().expect("allow list lock").clone();
            let kept: Vec<SocketAddr> =
                found.into_iter().filter(|a| list.permits(a.ip())).collect();
            if kept.is_empty() {
                return Err(Box::new(Refused(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// What a sender needs of its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientKind {
    /// Accept any certificate (a webhook's `insecure_ssl`).
    pub insecure: bool,
    /// Follow redirects (each one checked); webhooks do not, as on GitHub.
    pub follow_redirects: bool,
}

impl ClientKind {
    fn index(self) -> usize {
        usize::from(self.insecure) * 2 + usize::from(self.follow_redirects)
    }
}

/// The outbound client: one per registry, shared by every sender.
#[derive(Default)]
pub struct Outbound {
    allowed: Arc<RwLock<AllowList>>,
    clients: [OnceLock<reqwest::Client>; 4],
    upstream: OnceLock<reqwest::Client>,
}

/// How many redirects a request follows, each one checked.
const MAX_REDIRECTS: usize = 10;

impl Outbound {
    /// Replaces the ranges allowed beyond the global internet.
    pub fn allow(&self, list: AllowList) {
        *self.allowed.write().expect("allow list lock") = list;
    }

    /// Refuses a URL whose host is an address literal (`127.0.0.1`,
    /// `[::1]`, `2130706433`) that may not be reached; names are checked
    /// when they are resolved.
    pub fn check_url(&self, url: &url::Url) -> Result<(), Refused> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            Some(url::Host::Domain(_)) => return Ok(()),
            None => return Err(Refused(url.to_string())),
        };
        if self.allowed.read().expect("allow list lock").permits(ip) {
            Ok(())
        } else {
            Err(Refused(ip.to_string()))
        }
    }

    /// Refuses a host (not spoken to over HTTP: an LDAP directory) unless
    /// every address its name resolves to may be reached.
    pub async fn check_host(&self, host: &str, port: u16) -> Result<(), Refused> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| Refused(host.to_owned()))?
            .collect();
        let list = self.allowed.read().expect("allow list lock").clone();
        match found.iter().find(|a| !list.permits(a.ip())) {
            None if !found.is_empty() => Ok(()),
            Some(a) => Err(Refused(a.ip().to_string())),
            None => Err(Refused(host.to_owned())),
        }
    }

    /// The client of that kind: it follows (if asked) up to ten redirects,
    /// checking each, and never uses a proxy, which would resolve names
    /// where this check cannot see.
    pub fn client(&self, kind: ClientKind) -> ServiceResult<&reqwest::Client> {
        let cell = &self.clients[kind.index()];
        if let Some(client) = cell.get() {
            return Ok(client);
        }
        let allowed = self.allowed.clone();
        let redirects = if kind.follow_redirects {
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    return attempt.error("too many redirects");
                }
                let literal = match attempt.url().host() {
                    Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
                    Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
                    _ => None,
                };
                match literal {
                    Some(ip) if !allowed.read().expect("allow list lock").permits(ip) => {
                        attempt.error(Refused(ip.to_string()))
                    }
                    _ => attempt.follow(),
                }
            })
        } else {
            reqwest::redirect::Policy::none()
        };
        let client = reqwest::Client::builder()
            .dns_resolver(CheckedResolver {
                allowed: self.allowed.clone(),
            })
            .no_proxy()
            .redirect(redirects)
            .connect_timeout(Duration::from_secs(10))
            .tls_danger_accept_invalid_certs(kind.insecure)
            .build()
            .map_err(|e| ServiceError::Internal(format!("outbound client: {e}")))?;
        Ok(cell.get_or_init(|| client))
    }

    /// The client for upstream registries. A site administrator gave their
    /// addresses, so those are trusted as given (loopback included); a
    /// redirect is followed only while it stays on the host the request
    /// began with, so credentials never leave it. Anything else an upstream
    /// names (a file on another host) goes through `client`.
    pub fn upstream_client(&self) -> ServiceResult<&reqwest::Client> {
        if let Some(client) = self.upstream.get() {
            return Ok(client);
        }
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            let origin =
                |u: &url::Url| (u.host_str().map(str::to_owned), u.port_or_known_default());
            let first = attempt.previous().first().map(origin);
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if first.is_some_and(|f| f == origin(attempt.url())) {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(redirects)
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| ServiceError::Internal(format!("upstream client: {e}")))?;
        Ok(self.upstream.get_or_init(|| client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOLLOW: ClientKind = ClientKind {
        insecure: false,
        follow_redirects: true,
    };

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_allowed() {
        let none = AllowList::default();
        for internal in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "64:ff9b:1::808:808",
            "192.88.99.1",
        ] {
            assert!(!none.permits(ip(internal)), "{internal} must be refused");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::808:808",
        ] {
            assert!(none.permits(ip(public)), "{public} must be allowed");
        }
    }

    #[test]
    fn an_operator_allows_ranges() {
        let list = AllowList::parse("127.0.0.0/8, 10.0.0.5").unwrap();
        assert!(list.permits(ip("127.0.0.1")));
        assert!(list.permits(ip("::ffff:127.0.0.1")));
        assert!(list.permits(ip("10.0.0.5")));
        assert!(!list.permits(ip("10.0.0.6")));
        assert!(!list.permits(ip("::1")));
        assert!(AllowList::parse("not-a-range").is_err());
    }

    #[test]
    fn address_literals_are_checked_in_every_spelling() {
        let outbound = Outbound::default();
        for url in [
            "http://127.0.0.1:8080/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::1]/",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            let url = url::Url::parse(url).unwrap();
            assert!(outbound.check_url(&url).is_err(), "{url} must be refused");
        }
        let named = url::Url::parse("http://localhost:9/").unwrap();
        assert!(
            outbound.check_url(&named).is_ok(),
            "names are checked when resolved"
        );
    }

    /// A one-shot server on 127.0.0.1 answering every request with `reply`.
    async fn serve_once(reply: String) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let reply = reply.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn names_resolving_to_internal_addresses_are_refused() {
        let port = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecret".into()).await;
        let outbound = Outbound::default();
        let error = outbound
            .client(FOLLOW)
            .unwrap()
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .unwrap_err();
        assert!(is_refusal(&error), "{error:?}");
        // Allowed, the same request goes through.
        outbound.allow(AllowList::parse("127.0.0.0/8,::1").unwrap());
        let answer = outbound
            .client(FOLLOW)
            .unwrap()
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.text().await.unwrap(), "secret");
    }

    #[tokio::test]
    async fn a_redirect_to_an_internal_address_is_refused() {
        let inside = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecret".into()).await;
        let redirect = format!(
            "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.2:{inside}/\r\ncontent-length: 0\r\n\r\n"
        );
        let outside = serve_once(redirect).await;
        let outbound = Outbound::default();
        // The first hop is allowed (standing in for a public receiver); the
        // address it redirects to is not.
        outbound.allow(AllowList::parse("127.0.0.1/32").unwrap());
        let error = outbound
            .client(FOLLOW)
            .unwrap()
            .get(format!("http://127.0.0.1:{outside}/"))
            .send()
            .await
            .unwrap_err();
        assert!(is_refusal(&error), "{error:?}");
    }
}
