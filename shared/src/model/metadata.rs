//! `metadata`: free JSON attached to a user, where configured custom fields also keep their
//! values. It is stored as a DynamoDB map, so every rule DynamoDB enforces on an item is checked
//! here, on input, naming the offending path: moto accepts much of what DynamoDB refuses, and a
//! refused write must be the client's 400, never our 500 or an unreadable user.

use super::values::Invalid;
use serde_json::{Map, Number, Value};

/// Largest serialized `metadata` accepted.
pub const MAX_METADATA_BYTES: usize = 2048;
/// DynamoDB nests maps and lists at most 32 levels deep. Counting the item as one of them (the
/// stricter reading), `metadata` is level 2 and may hold containers down to level 32.
pub const MAX_DEPTH: usize = 32;
/// DynamoDB numbers: magnitudes from 1E-130 up to (not including) 1E+126, or zero.
const MIN_MAGNITUDE: f64 = 1e-130;
const MAX_MAGNITUDE_EXCLUSIVE: f64 = 1e126;

pub fn check_metadata(map: Map<String, Value>) -> Result<Map<String, Value>, Invalid> {
    let size = serde_json::to_vec(&map).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_METADATA_BYTES {
        return Err(Invalid::new(
            "metadata_size_exceeded",
            format!("must be at most {MAX_METADATA_BYTES} bytes when serialized"),
        ));
    }
    let mut path = String::new();
    check_map(&map, &mut path, 2)?;
    Ok(map)
}

fn unstorable(path: &str, why: &str) -> Invalid {
    Invalid::new("invalid_metadata", format!("cannot be stored: {why}")).at(path)
}

fn check_map(map: &Map<String, Value>, path: &mut String, depth: usize) -> Result<(), Invalid> {
    for (key, value) in map {
        let len = path.len();
        path.push('.');
        path.push_str(key);
        if key.is_empty() {
            return Err(unstorable(path, "a key must not be empty"));
        }
        if key.contains('\0') {
            return Err(unstorable(path, "a key must not contain NUL"));
        }
        check_value(value, path, depth)?;
        path.truncate(len);
    }
    Ok(())
}

/// `depth` is the nesting level of the container holding `value`.
fn check_value(value: &Value, path: &mut String, depth: usize) -> Result<(), Invalid> {
    match value {
        Value::Number(n) if !is_storable_number(n) => Err(unstorable(
            path,
            "numbers must be zero or have a magnitude from 1E-130 to 9.9E+125 (38 digits at most)",
        )),
        Value::String(s) if s.contains('\0') => Err(unstorable(path, "a string must not contain NUL")),
        Value::Array(_) | Value::Object(_) if depth >= MAX_DEPTH => Err(unstorable(
            path,
            &format!("lists and objects nest at most {} levels inside metadata", MAX_DEPTH - 2),
        )),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                check_value(item, path, depth + 1)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => check_map(map, path, depth + 1),
        _ => Ok(()),
    }
}

/// Integers fit (at most 20 digits); a float is written with at most 17 significant digits, so
/// only its magnitude can be out of DynamoDB's range.
fn is_storable_number(n: &Number) -> bool {
    if n.is_i64() || n.is_u64() {
        return true;
    }
    match n.as_f64() {
        Some(v) if v == 0.0 => true,
        Some(v) => (MIN_MAGNITUDE..MAX_MAGNITUDE_EXCLUSIVE).contains(&v.abs()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: Value) -> Result<(), Invalid> {
        check_metadata(value.as_object().unwrap().clone()).map(|_| ())
    }

    fn nested(depth: usize) -> Value {
        (0..depth).fold(json!(1), |inner, _| json!({ "k": inner }))
    }

    #[test]
    fn storable_values_pass() {
        check(json!({"a": 1, "b": -2.5, "c": 0.0, "d": 1e125, "e": -1e-130, "f": u64::MAX, "g": "", "h": [], "i": {}}))
            .unwrap();
        check(nested(MAX_DEPTH - 1)).unwrap();
    }

    #[test]
    fn unstorable_values_name_their_path() {
        let cases = [
            (json!({"big": 1e300}), ".big"),
            (json!({"tiny": 1e-200}), ".tiny"),
            (json!({"x": {"y": [1, -1e130]}}), ".x.y[1]"),
            (json!({"": 1}), "."),
            (json!({"a": {"": 1}}), ".a."),
            (json!({"a\u{0}": 1}), ".a\u{0}"),
            (json!({"s": ["ok", "a\u{0}b"]}), ".s[1]"),
        ];
        for (value, path) in cases {
            let err = check(value.clone()).unwrap_err();
            assert_eq!((err.code, err.at.as_deref()), ("invalid_metadata", Some(path)), "{value}");
        }
        let err = check(nested(MAX_DEPTH)).unwrap_err();
        assert_eq!(err.code, "invalid_metadata");
        assert_eq!(err.at.unwrap().matches(".k").count(), MAX_DEPTH - 1);
    }
}
