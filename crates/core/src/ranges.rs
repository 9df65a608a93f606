//! Address ranges an operator names: those outbound requests may reach
//! beyond the public internet, and the reverse proxies whose
//! `X-Forwarded-For` is believed.

use std::net::IpAddr;

use ipnet::IpNet;

/// A list of address ranges (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranges(Vec<IpNet>);

impl Ranges {
    /// Parses `CIDR[,CIDR…]` (a bare address is its own range).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = part
                .parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{part}` is not an address range such as 10.0.0.0/8"))?;
            nets.push(net);
        }
        Ok(Ranges(nets))
    }

    /// Whether `ip` (an IPv4-mapped IPv6 address as the IPv4 one) is in a
    /// range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What counts as one client: an IPv4 address (also when it arrives
/// IPv4-mapped on an IPv6 socket), or an IPv6 /64, the smallest block a
/// site is handed. Connection limits and the password throttle both count
/// by it.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The client behind a chain of proxies: the peer itself unless it is a
/// trusted proxy; then, from the right of `X-Forwarded-For` (which each
/// proxy appends to), the first address that is not a trusted proxy. A
/// client cannot choose its address by sending the header itself, since
/// only what trusted proxies appended is read.
pub fn client_behind<'a>(
    peer: IpAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &Ranges,
) -> IpAddr {
    if !trusted.contains(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for
        .rev()
        .flat_map(|value| value.rsplit(','))
        .map(str::trim)
    {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !trusted.contains(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_match() {
        let r = Ranges::parse("127.0.0.0/8, 10.0.0.5").unwrap();
        assert!(r.contains(ip("127.0.0.1")));
        assert!(r.contains(ip("::ffff:127.0.0.1")));
        assert!(r.contains(ip("10.0.0.5")));
        assert!(!r.contains(ip("10.0.0.6")));
        assert!(Ranges::parse("not-a-range").is_err());
        assert!(Ranges::parse("").unwrap().is_empty());
    }

    #[test]
    fn an_ipv6_site_is_one_client_and_mapped_ipv4_is_ipv4() {
        let a = client_key(ip("2001:db8:1:2:aaaa::1"));
        assert_eq!(a, client_key(ip("2001:db8:1:2:bbbb::9")));
        assert_ne!(a, client_key(ip("2001:db8:1:3::1")));
        assert_eq!(client_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let proxies = Ranges::parse("127.0.0.1,10.0.0.0/8").unwrap();
        let client =
            |peer: &str, xff: &[&str]| client_behind(ip(peer), xff.iter().copied(), &proxies);
        // Not through a trusted proxy: the header is the client's own words.
        assert_eq!(client("203.0.113.9", &["198.51.100.1"]), ip("203.0.113.9"));
        // Through nginx on the same host.
        assert_eq!(client("127.0.0.1", &["198.51.100.1"]), ip("198.51.100.1"));
        // A client that sent its own header first cannot pick its address.
        assert_eq!(
            client("127.0.0.1", &["1.2.3.4, 198.51.100.1"]),
            ip("198.51.100.1")
        );
        // Two proxies, in two header lines.
        assert_eq!(
            client("127.0.0.1", &["198.51.100.1", "10.1.2.3"]),
            ip("198.51.100.1")
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(client("127.0.0.1", &[]), ip("127.0.0.1"));
        assert_eq!(client("127.0.0.1", &["nonsense"]), ip("127.0.0.1"));
    }
}
