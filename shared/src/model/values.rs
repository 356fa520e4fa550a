//! Validated value types: once built, a value is known to satisfy its rule (parse, don't validate).
//! Each serializes as a plain string and re-checks its rule when read back from storage.

use super::country::ISO_3166_ALPHA2;
use regex::Regex;
use std::sync::LazyLock;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{OffsetDateTime, UtcOffset};

/// Why a value was refused: a stable error code and a sentence for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
    /// Where inside the value, for nested values: `.a.b[2]`.
    pub at: Option<String>,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), at: None }
    }

    pub fn at(mut self, path: &str) -> Self {
        self.at = Some(path.to_string());
        self
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub const MAX_TEXT_CHARS: usize = 255;

/// The rule every free-text field shares: 1..=255 characters, no surrounding white space, no
/// control characters.
pub fn check_text(value: &str) -> Result<(), Invalid> {
    if value.is_empty() {
        return Err(Invalid::new("invalid_text", "must not be empty (use null to clear)"));
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(Invalid::new("value_too_long", format!("must be at most {MAX_TEXT_CHARS} characters")));
    }
    if value.trim() != value {
        return Err(Invalid::new("invalid_text", "must not start or end with white space"));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new("invalid_text", "must not contain control characters"));
    }
    Ok(())
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: impl Into<String>) -> Result<Self, Invalid> {
                let value: String = value.into();
                let check: fn(&str) -> Result<(), Invalid> = $parse;
                check(&value)?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// Deserializing is the storage path (requests parse their raw strings): a stored value
        /// that today's rule refuses, because the rule changed since it was written, is kept as
        /// stored with a warning rather than making its whole item unreadable.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <String as serde::Deserialize>::deserialize(d)?;
                let check: fn(&str) -> Result<(), Invalid> = $parse;
                if let Err(e) = check(&value) {
                    tracing::warn!(kind = stringify!($name), code = e.code, "stored value breaks today's rule; kept as stored");
                }
                Ok(Self(value))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_newtype!(
    /// A free-text profile value (alias, names, job title, team, phone number...).
    Text,
    check_text
);

string_newtype!(
    /// An email address: one `@`, a plausible local part and a dotted domain. Compared
    /// case-insensitively through [`Email::normalized`].
    Email,
    check_email
);

string_newtype!(
    /// `^[\p{L}\p{N}_-]{3,20}$`, unique per environment regardless of case.
    Username,
    |v| {
        let ok = if v.is_ascii() {
            // The common case, without building the Unicode classes (several ms on first use).
            (3..=20).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        } else {
            static RE: LazyLock<Regex> =
                LazyLock::new(|| Regex::new(r"^[\p{L}\p{N}_-]{3,20}$").expect("static regex"));
            RE.is_match(v)
        };
        if ok {
            Ok(())
        } else {
            Err(Invalid::new("invalid_username", "must be 3 to 20 letters, digits, '_' or '-'"))
        }
    }
);

string_newtype!(
    /// An ISO 3166-1 alpha-2 country code such as `US`.
    CountryCode,
    |v| {
        if ISO_3166_ALPHA2.binary_search(&v).is_ok() {
            Ok(())
        } else {
            Err(Invalid::new("invalid_country", "must be an ISO 3166-1 alpha-2 code such as US"))
        }
    }
);

impl Email {
    /// The form used for uniqueness: addresses differing only in case or by Unicode
    /// compatibility forms (fullwidth letters, the Kelvin sign, ligatures) are the same.
    pub fn normalized(&self) -> String {
        claim_form(&self.0)
    }
}

impl Username {
    /// The form used for uniqueness, as for [`Email::normalized`].
    pub fn normalized(&self) -> String {
        claim_form(&self.0)
    }
}

/// NFKC, then lowercase, then NFKC again (lowercasing can leave a string unnormalised): what
/// two look-alike values collide as.
pub fn claim_form(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let lower = text.nfkc().collect::<String>().to_lowercase();
    lower.nfkc().collect()
}

fn check_email(v: &str) -> Result<(), Invalid> {
    let bad = || Invalid::new("invalid_email", "must be a valid email address");
    if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = v.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || local.len() > 64
        || local.contains('@')
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || local.chars().any(|c| "()<>[]\\,;:\"".contains(c))
    {
        return Err(bad());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(bad());
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !ok {
            return Err(bad());
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.chars().count() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    Ok(())
}

/// A static pattern, compiled on its first use only.
macro_rules! static_regex {
    ($re:literal) => {{
        static RE: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new($re).expect("static regex"));
        &RE
    }};
}
pub(crate) use static_regex;

/// The crypto wallets a profile may carry, each with Dynamic's published address pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletKind {
    Btc,
    Ltc,
    Doge,
    Kda,
    Kas,
    Ckb,
}

impl WalletKind {
    fn regex(self) -> &'static Regex {
        match self {
            WalletKind::Btc => static_regex!(r"^(bc1|[13])[a-zA-HJ-NP-Z0-9]{25,59}$"),
            WalletKind::Ltc => static_regex!(r"^[LM3][a-km-zA-HJ-NP-Z1-9]{26,53}$"),
            WalletKind::Doge => static_regex!(r"^D[a-zA-Z0-9_.-]{33}$"),
            WalletKind::Kda => static_regex!(r"^k:[0-9a-fA-F]{64}$"),
            WalletKind::Kas => static_regex!(r"^kaspa:[0-9A-Za-z]{56,}$"),
            WalletKind::Ckb => static_regex!(r"^(ckb1q|ckt1q)[0-9a-z]{25,111}$"),
        }
    }

    pub fn check(self, value: &str) -> Result<(), Invalid> {
        if value.len() <= 512 && self.regex().is_match(value) {
            Ok(())
        } else {
            Err(Invalid::new("invalid_wallet", "is not a valid address for this wallet"))
        }
    }
}

/// A wallet address that matched its kind's pattern when parsed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Wallet(String);

impl Wallet {
    pub fn parse(kind: WalletKind, value: String) -> Result<Self, Invalid> {
        kind.check(&value)?;
        Ok(Self(value))
    }
}

/// An instant, accepted as RFC 3339 and always written back as RFC 3339 UTC. Only instants
/// whose UTC form RFC 3339 can write (years 0000 to 9999) can be built, so formatting never fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

const FIRST: OffsetDateTime = datetime!(0000-01-01 00:00:00 UTC);
const LAST: OffsetDateTime = datetime!(9999-12-31 23:59:59.999_999_999 UTC);

impl Timestamp {
    pub fn now() -> Self {
        Self(OffsetDateTime::now_utc())
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("invalid_timestamp", "must be an RFC 3339 timestamp from year 0000 to 9999 in UTC");
        let parsed = OffsetDateTime::parse(value, &Rfc3339).map_err(|_| bad())?;
        // `to_offset` panics when the UTC instant leaves the supported range; this does not.
        let utc = parsed.checked_to_offset(UtcOffset::UTC).ok_or_else(bad)?;
        if !(FIRST..=LAST).contains(&utc) {
            return Err(bad());
        }
        Ok(Self(utc))
    }

    /// Saturates at the last representable instant instead of overflowing.
    pub fn plus_seconds(self, seconds: i64) -> Self {
        let later = self.0.checked_add(time::Duration::seconds(seconds)).unwrap_or(LAST);
        Self(later.clamp(FIRST, LAST))
    }

    pub fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The instant `millis` after the epoch, if it is one of the supported years.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()?;
        (FIRST..=LAST).contains(&at).then_some(Self(at))
    }

    pub fn unix_millis(self) -> i64 {
        // Years 0000..=9999 are about ±2.5e14 ms: always within i64.
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    pub fn to_rfc3339(self) -> String {
        // In range by construction; a blank rather than a panic should that ever change.
        self.0.format(&Rfc3339).unwrap_or_default()
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MfaBackupCodeAcknowledgement {
    Pending,
    Complete,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert!(Text::parse("Ada").is_ok());
        assert_eq!(Text::parse(" Ada").unwrap_err().code, "invalid_text");
        assert_eq!(Text::parse("").unwrap_err().code, "invalid_text");
        assert!(Text::parse("é".repeat(255)).is_ok());
        assert_eq!(Text::parse("a".repeat(256)).unwrap_err().code, "value_too_long");
        assert_eq!(Text::parse("a\u{0}b").unwrap_err().code, "invalid_text");
    }

    #[test]
    fn look_alikes_claim_the_same_value() {
        let plain = Email::parse("kim@example.com").unwrap().normalized();
        for twin in ["\u{212A}im@example.com", "\u{FF4B}\u{FF49}\u{FF4D}@example.com", "KIM@EXAMPLE.COM"] {
            assert_eq!(Email::parse(twin).unwrap().normalized(), plain, "{twin}");
        }
        assert_eq!(claim_form("\u{FB00}oo"), "ffoo");
        assert_eq!(claim_form("Caf\u{E9}"), claim_form("Cafe\u{301}"));
        assert_eq!(Username::parse("\u{FF2B}im_k").unwrap().normalized(), "kim_k");
    }

    #[test]
    fn email_rules() {
        for ok in ["a@b.co", "First.Last+tag@sub.example.org", "ü@bücher.de"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.co", "a@.co", "a@b..co", "a b@c.co", "a@b.c", "a@-b.co", ".a@b.co", "a@b.123"] {
            assert_eq!(Email::parse(bad).unwrap_err().code, "invalid_email", "{bad}");
        }
        assert_eq!(Email::parse("Ada@Example.COM").unwrap().normalized(), "ada@example.com");
    }

    #[test]
    fn username_rules() {
        for ok in ["ada", "Ada_Lovelace-1", "日本語", "a1234567890123456789"] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "a b c", "ada!", "a12345678901234567890", "ada.l", "日本", "ad€a", "a\u{200b}bc"] {
            assert_eq!(Username::parse(bad).unwrap_err().code, "invalid_username", "{bad}");
        }
    }

    #[test]
    fn country_rules() {
        assert!(CountryCode::parse("US").is_ok());
        for bad in ["us", "USA", "XX", ""] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wallet_rules() {
        let kda = format!("k:{}", "a".repeat(64));
        assert!(Wallet::parse(WalletKind::Kda, kda).is_ok());
        assert!(Wallet::parse(WalletKind::Kda, "k:zz".into()).is_err());
        assert!(Wallet::parse(WalletKind::Btc, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq".into()).is_ok());
        assert!(Wallet::parse(WalletKind::Btc, "0x1234".into()).is_err());
        assert!(Wallet::parse(WalletKind::Doge, format!("D{}", "a".repeat(33))).is_ok());
        assert!(Wallet::parse(WalletKind::Ltc, "LQ3B36Yv2rBTxdgAdYpU2UcEZsaNwXeATk".into()).is_ok());
        assert!(Wallet::parse(WalletKind::Kas, format!("kaspa:{}", "q".repeat(61))).is_ok());
        assert!(Wallet::parse(WalletKind::Ckb, format!("ckb1q{}", "a".repeat(40))).is_ok());
    }

    #[test]
    fn stored_values_load_even_when_todays_rule_refuses_them() {
        let withdrawn: CountryCode = serde_json::from_str("\"YU\"").unwrap();
        assert_eq!(withdrawn.as_str(), "YU");
        assert!(CountryCode::parse("YU").is_err());
    }

    #[test]
    fn timestamps_round_trip_in_utc() {
        let t = Timestamp::parse("2024-01-02T03:04:05+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-02T01:04:05Z");
        assert!(Timestamp::parse("yesterday").is_err());
    }

    #[test]
    fn extreme_timestamps_are_refused_not_panicked_on() {
        for bad in ["9999-12-31T23:59:59-01:00", "0000-01-01T00:00:00+01:00", "0000-01-01T00:00:00+23:59"] {
            assert_eq!(Timestamp::parse(bad).unwrap_err().code, "invalid_timestamp", "{bad}");
        }
        for ok in ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59+01:00", "0000-01-01T00:00:00Z", "0000-01-01T00:00:00-01:00"] {
            let t = Timestamp::parse(ok).unwrap();
            assert_eq!(Timestamp::parse(&t.to_rfc3339()).unwrap(), t, "{ok}");
        }
        let last = Timestamp::parse("9999-12-31T23:59:59Z").unwrap();
        assert!(last.plus_seconds(i64::MAX).to_rfc3339().starts_with("9999-12-31T23:59:59"));
    }
}
