//! A webhook as the operator asks for it (Dynamic's `WebhookCreateRequest`/`WebhookUpdateRequest`
//! `{url, isEnabled, events}`), parsed into values that can only be valid: a target URL that is
//! `https` to a host that is not an address of this network (or, under the local development
//! setting, `http://127.0.0.1`), and known event names.

use super::rejection::Rejection;
use crate::events::EVENT_NAMES;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const MAX_URL_CHARS: usize = 2048;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookRequest {
    pub url: String,
    pub is_enabled: bool,
    pub events: Vec<String>,
}

/// A checked webhook request.
pub struct WebhookSpec {
    pub url: WebhookUrl,
    pub is_enabled: bool,
    pub events: Vec<String>,
}

impl WebhookRequest {
    pub fn parse(self, allow_loopback: bool) -> Result<WebhookSpec, Rejection> {
        let url = WebhookUrl::parse(&self.url, allow_loopback)?;
        if self.events.is_empty() {
            return Err(Rejection::invalid("invalid_events", "events names at least one event.").field("events"));
        }
        let mut events = Vec::new();
        for name in self.events {
            if name != "*" && !EVENT_NAMES.contains(&name.as_str()) {
                return Err(Rejection::invalid("invalid_events", format!("Unknown event {:?}; the events are {}.", truncate(&name), EVENT_NAMES.join(", "))).field("events"));
            }
            // `*` is every event (Dynamic's dashboard offers "all events").
            let names: Vec<String> = if name == "*" { EVENT_NAMES.iter().map(|s| s.to_string()).collect() } else { vec![name] };
            for n in names {
                if !events.contains(&n) {
                    events.push(n);
                }
            }
        }
        Ok(WebhookSpec { url, is_enabled: self.is_enabled, events })
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(64).collect()
}

/// A target URL: absolute, `https` (or loopback `http` when allowed), no credentials in it,
/// a host that is a name or a public address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    text: String,
    host: String,
    port: u16,
    https: bool,
}

impl WebhookUrl {
    pub fn parse(text: &str, allow_loopback: bool) -> Result<Self, Rejection> {
        Self::parse_named(text, allow_loopback, "invalid_webhook_url", "url")
    }

    /// [`Self::parse`] for a URL the request names `field`, refused with `code`.
    pub fn parse_named(text: &str, allow_loopback: bool, code: &'static str, field: &str) -> Result<Self, Rejection> {
        let bad = |why: &str| Rejection::invalid(code, format!("{field} {why}.")).field(field);
        if text.len() > MAX_URL_CHARS {
            return Err(bad(&format!("is at most {MAX_URL_CHARS} characters")));
        }
        let uri: http::Uri = text.parse().map_err(|_| bad("is not an absolute URL"))?;
        let authority = uri.authority().ok_or_else(|| bad("is not an absolute URL"))?;
        if authority.as_str().contains('@') {
            return Err(bad("may not hold a user name or password"));
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(bad("is https")),
        };
        let loopback_ok = allow_loopback && host == "127.0.0.1";
        if !https && !loopback_ok {
            return Err(bad("is https"));
        }
        if !loopback_ok {
            if let Ok(ip) = host.parse::<IpAddr>() {
                if !is_public(ip) {
                    return Err(bad("is not an address of this network"));
                }
            } else if host == "localhost" || host.ends_with(".localhost") || host.ends_with(".internal") || !host.contains('.') {
                return Err(bad("is a public host name"));
            }
        }
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Self { text: text.to_string(), host, port, https })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// May the delivery connect to `ip`, which the host resolved to? (Checked at each send: DNS
    /// can change after registration.)
    pub fn may_connect(&self, ip: IpAddr, allow_loopback: bool) -> bool {
        is_public(ip) || (allow_loopback && !self.https && ip == IpAddr::V4(Ipv4Addr::LOCALHOST))
    }
}

/// Not loopback, private, link-local (the metadata service), shared (CGNAT), unspecified,
/// broadcast, multicast, documentation or reserved; IPv4-mapped IPv6 judged as its IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x64 && ip.segments()[1] == 0xff9b) // NAT64 to any IPv4
        || first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_targets_are_taken() {
        assert!(WebhookUrl::parse("https://hooks.example.com/in?x=1", false).is_ok());
        for bad in [
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[fd00::1]/",
            "https://100.64.0.1/",
            "https://localhost/",
            "https://metadata/",
            "https://0.0.0.0/",
            "/relative",
            "http://127.0.0.1:8080/",
        ] {
            assert_eq!(WebhookUrl::parse(bad, false).unwrap_err().code, "invalid_webhook_url", "{bad}");
        }
        assert!(WebhookUrl::parse("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(WebhookUrl::parse("http://10.0.0.1:8080/hook", true).is_err());
    }

    #[test]
    fn resolved_addresses_are_checked_too() {
        let url = WebhookUrl::parse("https://hooks.example.com/", false).unwrap();
        assert!(url.may_connect("93.184.216.34".parse().unwrap(), false));
        for ip in ["127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fe80::1", "::ffff:127.0.0.1", "64:ff9b::a00:1"] {
            assert!(!url.may_connect(ip.parse().unwrap(), true), "{ip}");
        }
        let local = WebhookUrl::parse("http://127.0.0.1:9/", true).unwrap();
        assert!(local.may_connect("127.0.0.1".parse().unwrap(), true));
        assert!(!local.may_connect("127.0.0.1".parse().unwrap(), false));
    }

    #[test]
    fn events_are_known_names_and_star_is_all() {
        let parse = |events: &[&str]| WebhookRequest { url: "https://a.example.com/".into(), is_enabled: true, events: events.iter().map(|s| s.to_string()).collect() }.parse(false);
        assert_eq!(parse(&["user.created", "user.created"]).ok().unwrap().events, vec!["user.created"]);
        assert_eq!(parse(&["*"]).ok().unwrap().events.len(), EVENT_NAMES.len());
        assert_eq!(parse(&["user.nope"]).err().unwrap().code, "invalid_events");
        assert_eq!(parse(&[]).err().unwrap().code, "invalid_events");
    }
}
