//! Attribute values in DynamoDB's JSON wire format (`{"S": "..."}`, `{"M": {...}}`), read and
//! written straight from and into serde_dynamo's own `AttributeValue`, so an item is parsed once:
//! no SDK attribute maps in between (docs/benchmarks.md, issue #14).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_dynamo::AttributeValue;
use std::collections::HashMap;
use std::fmt;

pub type Item = HashMap<String, AttributeValue>;

/// Writes a value as DynamoDB's JSON.
pub struct Wire<'a>(pub &'a AttributeValue);

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        match self.0 {
            AttributeValue::S(v) => map.serialize_entry("S", v)?,
            AttributeValue::N(v) => map.serialize_entry("N", v)?,
            AttributeValue::Bool(v) => map.serialize_entry("BOOL", v)?,
            AttributeValue::Null(v) => map.serialize_entry("NULL", v)?,
            AttributeValue::B(v) => map.serialize_entry("B", &BASE64.encode(v))?,
            AttributeValue::M(v) => map.serialize_entry("M", &WireItem(v))?,
            AttributeValue::L(v) => map.serialize_entry("L", &WireList(v))?,
            AttributeValue::Ss(v) => map.serialize_entry("SS", v)?,
            AttributeValue::Ns(v) => map.serialize_entry("NS", v)?,
            AttributeValue::Bs(v) => map.serialize_entry("BS", &v.iter().map(|b| BASE64.encode(b)).collect::<Vec<_>>())?,
        }
        map.end()
    }
}

/// Writes an item (or a map value) as DynamoDB's JSON.
pub struct WireItem<'a>(pub &'a Item);

impl Serialize for WireItem<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, &Wire(value))?;
        }
        map.end()
    }
}

struct WireList<'a>(&'a [AttributeValue]);

impl Serialize for WireList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for value in self.0 {
            seq.serialize_element(&Wire(value))?;
        }
        seq.end()
    }
}

/// For `#[serde(serialize_with)]` on an item field.
pub fn serialize_item<S: Serializer>(item: &Item, s: S) -> Result<S::Ok, S::Error> {
    WireItem(item).serialize(s)
}

/// For `#[serde(serialize_with)]` on an optional item field (skipped when absent).
pub fn serialize_optional_item<S: Serializer>(item: &Option<Item>, s: S) -> Result<S::Ok, S::Error> {
    match item {
        Some(item) => serialize_item(item, s),
        None => s.serialize_none(),
    }
}

/// For `#[serde(serialize_with)]` on a list of items.
pub fn serialize_items<S: Serializer>(items: &[Item], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(items.iter().map(WireItem))
}

/// A value read from DynamoDB's JSON.
pub struct Owned(pub AttributeValue);

impl<'de> Deserialize<'de> for Owned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ValueVisitor).map(Owned)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a DynamoDB attribute value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
        let kind: String = map.next_key()?.ok_or_else(|| de::Error::custom("an attribute value names no type"))?;
        let value = match kind.as_str() {
            "S" => AttributeValue::S(map.next_value()?),
            "N" => AttributeValue::N(map.next_value()?),
            "BOOL" => AttributeValue::Bool(map.next_value()?),
            "NULL" => AttributeValue::Null(map.next_value()?),
            "B" => AttributeValue::B(decode(&map.next_value::<String>()?)?),
            "M" => AttributeValue::M(map.next_value::<OwnedItem>()?.0),
            "L" => AttributeValue::L(map.next_value::<OwnedList>()?.0),
            "SS" => AttributeValue::Ss(map.next_value()?),
            "NS" => AttributeValue::Ns(map.next_value()?),
            "BS" => AttributeValue::Bs(map.next_value::<Vec<String>>()?.iter().map(|b| decode(b)).collect::<Result<_, _>>()?),
            other => return Err(de::Error::custom(format!("unknown attribute type {other}"))),
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("an attribute value names two types"));
        }
        Ok(value)
    }
}

fn decode<E: de::Error>(text: &str) -> Result<Vec<u8>, E> {
    BASE64.decode(text).map_err(E::custom)
}

/// An item read from DynamoDB's JSON, straight into the map serde_dynamo reads.
#[derive(Default)]
pub struct OwnedItem(pub Item);

impl<'de> Deserialize<'de> for OwnedItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a DynamoDB item")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
                let mut item = Item::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((name, Owned(value))) = map.next_entry::<String, Owned>()? {
                    item.insert(name, value);
                }
                Ok(item)
            }
        }
        d.deserialize_map(ItemVisitor).map(OwnedItem)
    }
}

struct OwnedList(Vec<AttributeValue>);

impl<'de> Deserialize<'de> for OwnedList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = Vec<AttributeValue>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a DynamoDB list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<AttributeValue>, A::Error> {
                let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(Owned(value)) = seq.next_element()? {
                    list.push(value);
                }
                Ok(list)
            }
        }
        d.deserialize_seq(ListVisitor).map(OwnedList)
    }
}

/// For `#[serde(deserialize_with)]` on an optional item field.
pub fn deserialize_item<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Item>, D::Error> {
    Ok(Option::<OwnedItem>::deserialize(d)?.map(|i| i.0))
}

/// For `#[serde(deserialize_with)]` on a list of items.
pub fn deserialize_items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Item>, D::Error> {
    Ok(Option::<Vec<OwnedItem>>::deserialize(d)?.unwrap_or_default().into_iter().map(|i| i.0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_the_wire_format() {
        let item: Item = HashMap::from([
            ("s".to_string(), AttributeValue::S("a \"quoted\" é".into())),
            ("n".to_string(), AttributeValue::N("-12.5".into())),
            ("t".to_string(), AttributeValue::Bool(true)),
            ("z".to_string(), AttributeValue::Null(true)),
            ("b".to_string(), AttributeValue::B(vec![0, 255, 7])),
            ("m".to_string(), AttributeValue::M(HashMap::from([("in".to_string(), AttributeValue::L(vec![AttributeValue::N("1".into())]))]))),
            ("ss".to_string(), AttributeValue::Ss(vec!["x".into(), "y".into()])),
            ("ns".to_string(), AttributeValue::Ns(vec!["1".into()])),
            ("bs".to_string(), AttributeValue::Bs(vec![vec![1], vec![2, 3]])),
        ]);
        let json = serde_json::to_string(&WireItem(&item)).unwrap();
        assert!(json.contains(r#""b":{"B":"AP8H"}"#), "{json}");
        assert!(json.contains(r#""m":{"M":{"in":{"L":[{"N":"1"}]}}}"#), "{json}");
        let back: OwnedItem = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, item);
    }

    #[test]
    fn malformed_values_are_errors_not_guesses() {
        for bad in [r#"{"a":{}}"#, r#"{"a":{"X":"1"}}"#, r#"{"a":{"S":"1","N":"1"}}"#, r#"{"a":{"B":"%%"}}"#, r#"{"a":{"S":1}}"#] {
            assert!(serde_json::from_str::<OwnedItem>(bad).is_err(), "{bad}");
        }
    }
}
