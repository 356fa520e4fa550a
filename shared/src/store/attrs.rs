//! Attribute values and item keys, spelled once.

use super::keys::Key;
pub use super::wire::Item;
pub use serde_dynamo::AttributeValue;
use std::collections::HashMap;

pub fn string_attr(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn number_attr(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A value the service only reads and writes whole, stored as one JSON string (read back with
/// `reads::parse_json`).
pub fn json_attr(value: &impl serde::Serialize) -> AttributeValue {
    string_attr(serde_json::to_string(value).expect("stored values always serialize"))
}

/// The `pk`/`sk` attributes that address `key`.
pub fn key_attrs(key: &Key) -> Item {
    HashMap::from([("pk".to_string(), string_attr(key.0.clone())), ("sk".to_string(), string_attr(key.1.clone()))])
}

/// The (pk, sk) of a stored item, to find it among a batch's answers.
pub fn key_of(item: &Item) -> Option<(String, String)> {
    match (item.get("pk"), item.get("sk")) {
        (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Some((pk.clone(), sk.clone())),
        _ => None,
    }
}

pub fn string_of<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(as_s)
}

pub fn as_s(value: &AttributeValue) -> Option<&str> {
    match value {
        AttributeValue::S(text) => Some(text),
        _ => None,
    }
}

pub fn number_of(item: &Item, name: &str) -> Option<u64> {
    match item.get(name) {
        Some(AttributeValue::N(number)) => number.parse().ok(),
        _ => None,
    }
}
