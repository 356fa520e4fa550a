//! The operator's field configuration: which profile fields are collected, required, unique, and
//! the rules custom values must follow. [`FieldSpec`] is the wire/storage form; [`FieldSettings`]
//! is the checked form with compiled patterns, which is the only one the rest of the code uses.

use crate::error::{ApiError, ApiResult};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashSet;

use super::values::check_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Standard,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValidationType {
    Text,
    Checkbox,
    Select,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SelectOption {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl SelectOption {
    /// The stored value of this option: its key, or its label when it has none.
    pub fn value(&self) -> &str {
        self.key.as_deref().unwrap_or(&self.label)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidationRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_options: Option<Vec<SelectOption>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkbox_text: Option<String>,
}

fn yes() -> bool {
    true
}

/// One field as the dashboard sends it and as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldSpec {
    pub name: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Absent means "the default": built in for pre-made fields, off for custom ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<bool>,
    #[serde(default)]
    pub verify: bool,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_type: Option<ValidationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_rules: Option<ValidationRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
}

/// Pre-made fields: name, value type, and whether uniqueness is built in (`Some(true)`) or
/// not available (`Some(false)`).
pub const STANDARD_FIELDS: &[(&str, ValidationType, bool)] = &[
    ("alias", ValidationType::Text, false),
    ("firstName", ValidationType::Text, false),
    ("lastName", ValidationType::Text, false),
    ("jobTitle", ValidationType::Text, false),
    ("tShirtSize", ValidationType::Select, false),
    ("username", ValidationType::Text, true),
    ("email", ValidationType::Text, true),
    ("phoneNumber", ValidationType::Text, false),
    ("country", ValidationType::Text, false),
    ("team", ValidationType::Text, false),
    ("policiesConsent", ValidationType::Checkbox, false),
];

pub const T_SHIRT_SIZES: &[&str] = &["XS", "S", "M", "L", "XL", "XXL"];

pub const MAX_FIELDS: usize = 100;
pub const MAX_OPTIONS: usize = 100;
pub const MAX_REGEX_CHARS: usize = 1_000;
/// Compiled-program bound for operator patterns; `regex` matches in linear time, this bounds memory.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;

fn standard(name: &str) -> Option<(ValidationType, bool)> {
    STANDARD_FIELDS.iter().find(|(n, _, _)| *n == name).map(|(_, t, u)| (*t, *u))
}

/// A checked field: the spec as stored plus its compiled pattern.
#[derive(Debug, Clone)]
pub struct Field {
    pub spec: FieldSpec,
    pub validation_type: ValidationType,
    pub regex: Option<Regex>,
}

impl Field {
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn is_unique(&self) -> bool {
        self.spec.unique == Some(true)
    }

    pub fn is_custom(&self) -> bool {
        self.spec.kind == FieldKind::Custom
    }

    pub fn options(&self) -> &[SelectOption] {
        self.spec
            .validation_rules
            .as_ref()
            .and_then(|r| r.valid_options.as_deref())
            .unwrap_or(&[])
    }

    /// A checkbox counts as filled only when ticked: a required consent box must be accepted.
    pub fn is_filled(&self, value: Option<&Value>) -> bool {
        match (self.validation_type, value) {
            (_, None | Some(Value::Null)) => false,
            (ValidationType::Checkbox, Some(v)) => v == &Value::Bool(true),
            (_, Some(_)) => true,
        }
    }

    /// Checks a custom value against this field's rules; the claim value for uniqueness on success.
    pub fn check_custom_value(&self, value: &Value) -> ApiResult<String> {
        let name = self.name();
        let invalid = |message: String| ApiError::bad_request("invalid_custom_field", message).field(name);
        match self.validation_type {
            ValidationType::Checkbox => match value {
                Value::Bool(b) => Ok(b.to_string()),
                _ => Err(invalid(format!("{name} must be true or false."))),
            },
            ValidationType::Select => {
                let text = value.as_str().ok_or_else(|| invalid(format!("{name} must be a string.")))?;
                self.options()
                    .iter()
                    .find(|o| o.value() == text)
                    .map(|o| o.value().to_string())
                    .ok_or_else(|| invalid(format!("{name} must be one of the configured options.")))
            }
            ValidationType::Text => {
                let text = value.as_str().ok_or_else(|| invalid(format!("{name} must be a string.")))?;
                check_text(text).map_err(|e| invalid(format!("{name} {}.", e.message)))?;
                if let Some(re) = &self.regex {
                    if !re.is_match(text) {
                        return Err(invalid(format!("{name} does not match the required pattern.")));
                    }
                }
                Ok(text.to_lowercase())
            }
        }
    }
}

/// An environment's checked configuration, ordered by position.
#[derive(Debug, Clone)]
pub struct FieldSettings {
    fields: Vec<Field>,
}

impl FieldSettings {
    /// What a new environment starts with: every pre-made field listed, email collected and
    /// required, the rest off until the operator turns them on.
    pub fn default_specs() -> Vec<FieldSpec> {
        STANDARD_FIELDS
            .iter()
            .enumerate()
            .map(|(i, (name, vt, unique))| FieldSpec {
                name: name.to_string(),
                required: *name == "email",
                enabled: *name == "email",
                unique: Some(*unique),
                verify: *name == "email",
                kind: FieldKind::Standard,
                validation_type: Some(*vt),
                validation_rules: (*name == "tShirtSize").then(|| ValidationRules {
                    valid_options: Some(
                        T_SHIRT_SIZES.iter().map(|s| SelectOption { label: s.to_string(), key: None }).collect(),
                    ),
                    ..Default::default()
                }),
                label: None,
                position: Some(i as i64),
            })
            .collect()
    }

    pub fn defaults() -> Self {
        Self::parse(Self::default_specs()).expect("default field settings are valid")
    }

    /// Checks and normalises an operator's field list.
    pub fn parse(specs: Vec<FieldSpec>) -> ApiResult<Self> {
        if specs.len() > MAX_FIELDS {
            return Err(ApiError::bad_request("too_many_fields", format!("At most {MAX_FIELDS} fields.")).field("fields"));
        }
        let mut seen = HashSet::new();
        let mut fields = Vec::with_capacity(specs.len());
        for (index, spec) in specs.into_iter().enumerate() {
            if !seen.insert(spec.name.to_lowercase()) {
                return Err(ApiError::bad_request("duplicate_field", format!("Field {} is listed twice.", spec.name))
                    .field(spec.name));
            }
            fields.push(parse_field(spec, index)?);
        }
        fields.sort_by_key(|f| f.spec.position.unwrap_or(i64::MAX));
        Ok(Self { fields })
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    pub fn specs(&self) -> Vec<FieldSpec> {
        self.fields.iter().map(|f| f.spec.clone()).collect()
    }

    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name() == name)
    }

    pub fn enabled_custom(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.is_custom() && f.spec.enabled)
    }

    /// Enabled, required fields without a value, in position order. `standard_value` looks a
    /// pre-made field up on the user; custom values come from `metadata`.
    pub fn missing<'a>(
        &'a self,
        standard_value: impl Fn(&str) -> Option<Value>,
        metadata: Option<&Map<String, Value>>,
    ) -> Vec<&'a FieldSpec> {
        self.fields
            .iter()
            .filter(|f| f.spec.enabled && f.spec.required)
            .filter(|f| {
                let value = if f.is_custom() {
                    metadata.and_then(|m| m.get(f.name())).cloned()
                } else {
                    standard_value(f.name())
                };
                !f.is_filled(value.as_ref())
            })
            .map(|f| &f.spec)
            .collect()
    }
}

fn bad(code: &'static str, field: &str, message: String) -> ApiError {
    ApiError::bad_request(code, message).field(field)
}

fn parse_field(mut spec: FieldSpec, index: usize) -> ApiResult<Field> {
    let name = spec.name.clone();
    if let Some(label) = &spec.label {
        check_text(label).map_err(|e| bad("invalid_label", &name, format!("label {}.", e.message)))?;
    }
    if matches!(spec.position, Some(p) if p < 0) {
        return Err(bad("invalid_position", &name, "position must not be negative.".into()));
    }
    spec.position.get_or_insert(index as i64);
    let mut rules = spec.validation_rules.take().unwrap_or_default();
    let asked_unique = spec.unique.or(rules.unique);

    let unique;
    let validation_type = match spec.kind {
        FieldKind::Standard => {
            let (vt, builtin_unique) = standard(&name).ok_or_else(|| {
                bad("unknown_standard_field", &name, format!("{name} is not a pre-made field."))
            })?;
            if spec.validation_type.is_some_and(|t| t != vt) {
                return Err(bad("invalid_validation_type", &name, format!("{name} has a fixed validation type.")));
            }
            if asked_unique.is_some_and(|u| u != builtin_unique) {
                return Err(bad(
                    "unique_not_configurable",
                    &name,
                    format!("Uniqueness of {name} is fixed to {builtin_unique}."),
                ));
            }
            if rules.regex.is_some() {
                return Err(bad("regex_not_supported", &name, format!("{name} has built-in rules.")));
            }
            unique = builtin_unique;
            if name == "tShirtSize" && rules.valid_options.is_none() {
                rules.valid_options =
                    Some(T_SHIRT_SIZES.iter().map(|s| SelectOption { label: s.to_string(), key: None }).collect());
            }
            vt
        }
        FieldKind::Custom => {
            if !is_custom_name(&name) {
                return Err(bad(
                    "invalid_field_name",
                    &name,
                    "A custom field name is a letter then up to 49 letters, digits or '_'.".into(),
                ));
            }
            if standard(&name).is_some() {
                return Err(bad("invalid_field_name", &name, format!("{name} is a pre-made field name.")));
            }
            unique = asked_unique.unwrap_or(false);
            spec.validation_type.unwrap_or(ValidationType::Text)
        }
    };

    match validation_type {
        ValidationType::Select => {
            let options = rules.valid_options.as_ref().filter(|o| !o.is_empty()).ok_or_else(|| {
                bad("missing_options", &name, "A select field needs validOptions.".into())
            })?;
            if options.len() > MAX_OPTIONS {
                return Err(bad("too_many_options", &name, format!("At most {MAX_OPTIONS} options.")));
            }
            let mut seen = HashSet::new();
            for option in options {
                check_text(&option.label).map_err(|e| bad("invalid_option", &name, format!("option label {}.", e.message)))?;
                if let Some(key) = &option.key {
                    check_text(key).map_err(|e| bad("invalid_option", &name, format!("option key {}.", e.message)))?;
                }
                if !seen.insert(option.value().to_lowercase()) {
                    return Err(ApiError::unprocessable("repeated_options", format!("{name} repeats an option."))
                        .field(name)
                        .with("option", option.value().to_string()));
                }
            }
        }
        _ if rules.valid_options.is_some() => {
            return Err(bad("options_not_supported", &name, "Only select fields take validOptions.".into()));
        }
        _ => {}
    }
    if unique && validation_type == ValidationType::Checkbox {
        return Err(bad("unique_not_configurable", &name, "A checkbox cannot be unique.".into()));
    }
    if rules.checkbox_text.is_some() && validation_type != ValidationType::Checkbox {
        return Err(bad("checkbox_text_not_supported", &name, "Only checkbox fields take checkboxText.".into()));
    }
    if let Some(text) = &rules.checkbox_text {
        check_text(text).map_err(|e| bad("invalid_checkbox_text", &name, format!("checkboxText {}.", e.message)))?;
    }
    let regex = match &rules.regex {
        Some(_) if validation_type != ValidationType::Text => {
            return Err(bad("regex_not_supported", &name, "Only text fields take a regex.".into()));
        }
        Some(pattern) => Some(compile_operator_regex(pattern).map_err(|e| e.field(name.clone()))?),
        None => None,
    };

    spec.unique = Some(unique);
    rules.unique = unique.then_some(true);
    spec.validation_type = Some(validation_type);
    spec.validation_rules = (rules != ValidationRules::default()).then_some(rules);
    Ok(Field { spec, validation_type, regex })
}

fn is_custom_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 50
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Operator patterns run on every write: the `regex` crate guarantees linear-time matching, and the
/// size limits bound the memory a hostile pattern can take.
pub fn compile_operator_regex(pattern: &str) -> ApiResult<Regex> {
    let invalid = |why: String| ApiError::unprocessable("invalid_regex", format!("The regex is not valid: {why}"));
    if pattern.chars().count() > MAX_REGEX_CHARS {
        return Err(invalid(format!("longer than {MAX_REGEX_CHARS} characters")));
    }
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(64)
        .build()
        .map_err(|e| invalid(first_line(&e.to_string())))
}

fn first_line(text: &str) -> String {
    text.lines().last().unwrap_or(text).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn specs(value: Value) -> Vec<FieldSpec> {
        serde_json::from_value(value).unwrap()
    }

    fn parse_err(value: Value) -> ApiError {
        FieldSettings::parse(specs(value)).unwrap_err()
    }

    #[test]
    fn defaults_parse_and_require_email() {
        let settings = FieldSettings::defaults();
        let missing = settings.missing(|_| None, None);
        assert_eq!(missing.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["email"]);
    }

    #[test]
    fn rejects_bad_regex_repeated_options_and_unknown_standard_names() {
        let e = parse_err(json!([{"name": "code", "type": "custom", "validationType": "text", "validationRules": {"regex": "(unclosed"}}]));
        assert_eq!((e.status.as_u16(), e.code), (422, "invalid_regex"));
        let e = parse_err(json!([{"name": "color", "type": "custom", "validationType": "select",
            "validationRules": {"validOptions": [{"label": "Red"}, {"label": "red"}]}}]));
        assert_eq!((e.status.as_u16(), e.code), (422, "repeated_options"));
        let e = parse_err(json!([{"name": "shoeSize", "type": "standard"}]));
        assert_eq!((e.status.as_u16(), e.code), (400, "unknown_standard_field"));
        let e = parse_err(json!([{"name": "email", "type": "standard", "unique": false}]));
        assert_eq!(e.code, "unique_not_configurable");
        let e = parse_err(json!([{"name": "alias", "type": "custom"}]));
        assert_eq!(e.code, "invalid_field_name");
        let e = parse_err(json!([{"name": "a", "type": "custom"}, {"name": "A", "type": "custom"}]));
        assert_eq!(e.code, "duplicate_field");
    }

    #[test]
    fn huge_regex_is_refused_not_compiled_forever() {
        let e = compile_operator_regex(&"a{1000}".repeat(100)).unwrap_err();
        assert_eq!(e.code, "invalid_regex");
        let e = compile_operator_regex("(a{500}){500}").unwrap_err();
        assert_eq!(e.code, "invalid_regex");
    }

    #[test]
    fn custom_values_follow_their_rules() {
        let settings = FieldSettings::parse(specs(json!([
            {"name": "code", "type": "custom", "validationType": "text", "validationRules": {"regex": "^[A-Z]{3}$"}},
            {"name": "plan", "type": "custom", "validationType": "select", "validationRules": {"validOptions": [{"label": "Free", "key": "free"}]}},
            {"name": "terms", "type": "custom", "validationType": "checkbox", "required": true}
        ])))
        .unwrap();
        let code = settings.get("code").unwrap();
        assert_eq!(code.check_custom_value(&json!("ABC")).unwrap(), "abc");
        assert!(code.check_custom_value(&json!("abcd")).is_err());
        assert!(code.check_custom_value(&json!(5)).is_err());
        let plan = settings.get("plan").unwrap();
        assert!(plan.check_custom_value(&json!("free")).is_ok());
        assert!(plan.check_custom_value(&json!("Free")).is_err());
        let terms = settings.get("terms").unwrap();
        assert!(terms.check_custom_value(&json!("yes")).is_err());
        let unticked = json!({"terms": false}).as_object().cloned();
        assert_eq!(settings.missing(|_| None, unticked.as_ref()).len(), 1);
        let ticked = json!({"terms": true}).as_object().cloned();
        assert!(settings.missing(|_| None, ticked.as_ref()).is_empty());
    }

    #[test]
    fn fields_sort_by_position() {
        let settings = FieldSettings::parse(specs(json!([
            {"name": "b", "type": "custom", "position": 2},
            {"name": "a", "type": "custom", "position": 1}
        ])))
        .unwrap();
        let names: Vec<_> = settings.fields().iter().map(Field::name).collect();
        assert_eq!(names, ["a", "b"]);
    }
}
