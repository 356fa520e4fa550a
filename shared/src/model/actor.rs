//! Who made a change: recorded on the user item with each save, so the change's event (from the
//! table's stream) can say who changed it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An operator's API key, by its public id (never the key).
    ApiKey(String),
    /// The end user, signed in (or signing in) by a code.
    EndUser,
    /// The operator's CLI (`userfields import`, set-up commands).
    Operator,
}

impl Actor {
    /// As the user item's `changedBy` holds it.
    pub fn stored(&self) -> String {
        match self {
            Actor::ApiKey(id) => format!("apiKey:{id}"),
            Actor::EndUser => "user".into(),
            Actor::Operator => "cli".into(),
        }
    }

    fn from_stored(text: &str) -> Option<Self> {
        match text {
            "user" => Some(Actor::EndUser),
            "cli" => Some(Actor::Operator),
            _ => text.strip_prefix("apiKey:").map(|id| Actor::ApiKey(id.to_string())),
        }
    }
}

impl Serialize for Actor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.stored())
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Actor::from_stored(&text).ok_or_else(|| serde::de::Error::custom("not an actor"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_round_trip_and_junk_is_refused() {
        for actor in [Actor::ApiKey("0123456789abcdef".into()), Actor::EndUser, Actor::Operator] {
            let text = serde_json::to_string(&actor).unwrap();
            assert_eq!(serde_json::from_str::<Actor>(&text).unwrap(), actor);
        }
        assert!(serde_json::from_str::<Actor>("\"someone\"").is_err());
    }
}
