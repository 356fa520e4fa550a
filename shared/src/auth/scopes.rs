//! What an API key may do, as Dynamic's API tokens are scoped. A key holds a set of scopes; each
//! route needs one.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "users:read")]
    UsersRead,
    #[serde(rename = "users:write")]
    UsersWrite,
    #[serde(rename = "settings:read")]
    SettingsRead,
    #[serde(rename = "settings:write")]
    SettingsWrite,
    #[serde(rename = "webhooks:read")]
    WebhooksRead,
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
}

impl Scope {
    pub const ALL: [Scope; 6] = [Scope::UsersRead, Scope::UsersWrite, Scope::SettingsRead, Scope::SettingsWrite, Scope::WebhooksRead, Scope::WebhooksWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::UsersRead => "users:read",
            Scope::UsersWrite => "users:write",
            Scope::SettingsRead => "settings:read",
            Scope::SettingsWrite => "settings:write",
            Scope::WebhooksRead => "webhooks:read",
            Scope::WebhooksWrite => "webhooks:write",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scopes(u8);

impl Scopes {
    pub fn all() -> Self {
        Self::from_iter(Scope::ALL)
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// From a request or the CLI: every name must be a known scope.
    pub fn parse_list(names: &[&str]) -> Result<Self, String> {
        names
            .iter()
            .map(|n| Scope::parse(n.trim()).ok_or_else(|| format!("unknown scope {n:?}; scopes are {}", Self::all())))
            .collect()
    }

    /// From storage: names this version does not know are ignored; a key stored before scopes
    /// existed (no list) holds them all.
    pub fn from_stored(names: Option<&[String]>) -> Self {
        match names {
            None => Self::all(),
            Some(names) => names.iter().filter_map(|n| Scope::parse(n)).collect(),
        }
    }

    pub fn names(self) -> Vec<String> {
        Scope::ALL.into_iter().filter(|s| self.contains(*s)).map(|s| s.as_str().to_string()).collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().fold(0, |bits, s| bits | s.bit()))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_strictly_and_load_leniently() {
        let s = Scopes::parse_list(&["users:read", " settings:write"]).unwrap();
        assert!(s.contains(Scope::UsersRead) && s.contains(Scope::SettingsWrite) && !s.contains(Scope::UsersWrite));
        assert!(Scopes::parse_list(&["users:admin"]).is_err());
        assert_eq!(Scopes::from_stored(None), Scopes::all());
        let stored = vec!["users:read".to_string(), "future:scope".to_string()];
        assert_eq!(Scopes::from_stored(Some(&stored)).names(), ["users:read"]);
    }
}
