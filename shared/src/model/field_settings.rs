//! An environment's checked field configuration: which fields are collected, required, unique,
//! and the compiled rules their values must follow. Built strictly from a request
//! ([`FieldSettings::parse`]) and leniently from storage ([`FieldSettings::load`]): a stored
//! configuration written under looser rules keeps being served, with a warning, until a PUT
//! repairs it.

use super::field_spec::{FieldKind, FieldSpec, SelectOption, ValidationRules, ValidationType};
use super::operator_regex;
use super::profile_fields::{premade, Profile, PREMADE_FIELDS};
use super::values::check_text;
use super::rejection::Rejection;
use super::search::MAX_SEARCHABLE_CUSTOM;
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::HashSet;

pub const MAX_FIELDS: usize = 100;
pub const MAX_OPTIONS: usize = 100;

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
        self.spec.validation_rules.as_ref().and_then(|r| r.valid_options.as_deref()).unwrap_or(&[])
    }

    /// A checkbox counts as filled only when ticked: a required consent box must be accepted.
    pub fn is_filled(&self, value: Option<&Value>) -> bool {
        match (self.validation_type, value) {
            (_, None | Some(Value::Null)) => false,
            (ValidationType::Checkbox, Some(v)) => v == &Value::Bool(true),
            (_, Some(_)) => true,
        }
    }

    /// The form a value is claimed under when this field is unique: what makes two values "the
    /// same". It does not judge the value, so a value kept under an older rule stays claimed.
    pub fn claim_value(&self, value: &Value) -> Option<String> {
        match (self.validation_type, value) {
            (ValidationType::Text, Value::String(s)) => Some(s.to_lowercase()),
            (ValidationType::Select, Value::String(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// Checks a value against this field's rules; its claim value on success. `code` names the
    /// failure (`invalid_custom_field`, or a pre-made field's own code).
    pub fn check_value(&self, value: &Value, code: &'static str) -> Result<String, Rejection> {
        let name = self.name();
        let invalid = |message: String| Rejection::invalid(code, message).field(name);
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
                if !self.options().is_empty() && !self.options().iter().any(|o| o.value() == text) {
                    return Err(invalid(format!("{name} must be one of the configured options.")));
                }
                if self.regex.as_ref().is_some_and(|re| !re.is_match(text)) {
                    return Err(invalid(format!("{name} does not match the required pattern.")));
                }
                Ok(text.to_lowercase())
            }
        }
    }

    /// Checks a custom field's value from `metadata`.
    pub fn check_custom_value(&self, value: &Value) -> Result<String, Rejection> {
        self.check_value(value, "invalid_custom_field")
    }
}

/// An environment's checked configuration, ordered by position.
#[derive(Debug, Clone)]
pub struct FieldSettings {
    fields: Vec<Field>,
}

/// Strict for what a request sends; lenient for what storage holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Request,
    Stored,
}

impl FieldSettings {
    /// What a new environment starts with: every pre-made field listed, email collected and
    /// required, the rest off until the operator turns them on.
    pub fn default_specs() -> Vec<FieldSpec> {
        PREMADE_FIELDS
            .iter()
            .enumerate()
            .map(|(i, f)| FieldSpec {
                name: f.name.to_string(),
                required: f.name == "email",
                enabled: f.name == "email",
                unique: Some(f.is_unique()),
                verify: f.name == "email",
                kind: FieldKind::Standard,
                validation_type: Some(f.validation_type),
                validation_rules: None,
                label: None,
                position: Some(i as i64),
                user_access: Default::default(),
                write_once: false,
                searchable: false,
            })
            .collect()
    }

    pub fn defaults() -> Self {
        Self::load(Self::default_specs())
    }

    /// Checks and normalises an operator's field list from a request.
    pub fn parse(specs: Vec<FieldSpec>) -> Result<Self, Rejection> {
        Self::build(specs, Source::Request)
    }

    /// Reads a stored field list. Never fails: a field that today's input rules refuse is kept
    /// as well as it can be (or dropped when nothing of it can be used) with a warning.
    pub fn load(specs: Vec<FieldSpec>) -> Self {
        Self::build(specs, Source::Stored).unwrap_or_else(|_| Self { fields: Vec::new() })
    }

    fn build(specs: Vec<FieldSpec>, source: Source) -> Result<Self, Rejection> {
        if specs.len() > MAX_FIELDS && source == Source::Request {
            return Err(Rejection::invalid("too_many_fields", format!("At most {MAX_FIELDS} fields.")).field("fields"));
        }
        let patterns = specs.iter().filter(|s| s.validation_rules.as_ref().is_some_and(|r| r.regex.is_some())).count();
        let size_limit = operator_regex::size_limit_for(patterns);
        let mut seen = HashSet::new();
        let mut fields = Vec::with_capacity(specs.len());
        for (index, spec) in specs.into_iter().enumerate() {
            if !seen.insert(spec.name.to_lowercase()) {
                let err = bad("duplicate_field", &spec.name, format!("Field {} is listed twice.", spec.name));
                lenient(source, err)?;
                continue;
            }
            match parse_field(spec, index, source, size_limit) {
                Ok(Some(field)) => fields.push(field),
                Ok(None) => {}
                Err(e) => return Err(e),
            }
        }
        let searchable = fields.iter().filter(|f| f.spec.searchable && f.spec.enabled).count();
        if searchable > MAX_SEARCHABLE_CUSTOM && source == Source::Request {
            let message = format!("At most {MAX_SEARCHABLE_CUSTOM} enabled custom fields are searchable.");
            return Err(Rejection::invalid("too_many_searchable", message).field("fields"));
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

    /// Enabled, required fields the profile has not filled, in position order.
    pub fn missing<'a>(&'a self, profile: &Profile) -> Vec<&'a FieldSpec> {
        self.missing_with(|name| profile.premade_value(name), profile.metadata.as_ref())
    }

    fn missing_with<'a>(
        &'a self,
        premade_value: impl Fn(&str) -> Option<Value>,
        metadata: Option<&Map<String, Value>>,
    ) -> Vec<&'a FieldSpec> {
        self.fields
            .iter()
            .filter(|f| f.spec.enabled && f.spec.required)
            .filter(|f| {
                let value = if f.is_custom() {
                    metadata.and_then(|m| m.get(f.name())).cloned()
                } else {
                    premade_value(f.name())
                };
                !f.is_filled(value.as_ref())
            })
            .map(|f| &f.spec)
            .collect()
    }
}

fn bad(code: &'static str, field: &str, message: String) -> Rejection {
    Rejection::invalid(code, message).field(field)
}

/// A rule a request must meet: from a request it refuses; from storage it warns and goes on.
fn lenient(source: Source, err: Rejection) -> Result<(), Rejection> {
    match source {
        Source::Request => Err(err),
        Source::Stored => {
            tracing::warn!(code = err.code, field = ?err.payload.get("field"), "stored field configuration breaks today's rules; serving it as stored");
            Ok(())
        }
    }
}

/// Checks one field. `Ok(None)`: a stored field nothing of which can be used (it is dropped).
fn parse_field(mut spec: FieldSpec, index: usize, source: Source, size_limit: usize) -> Result<Option<Field>, Rejection> {
    let name = spec.name.clone();
    if let Some(label) = &spec.label {
        if let Err(e) = check_text(label) {
            lenient(source, bad("invalid_label", &name, format!("label {}.", e.message)))?;
        }
    }
    if matches!(spec.position, Some(p) if p < 0) {
        lenient(source, bad("invalid_position", &name, "position must not be negative.".into()))?;
    }
    spec.position.get_or_insert(index as i64);
    let mut rules = spec.validation_rules.take().unwrap_or_default();
    let asked_unique = spec.unique.or(rules.unique);

    let unique;
    let validation_type = match spec.kind {
        FieldKind::Standard => {
            let Some(catalog) = premade(&name) else {
                // Nothing reads a pre-made field the code does not know: drop it.
                lenient(source, bad("unknown_standard_field", &name, format!("{name} is not a pre-made field.")))?;
                return Ok(None);
            };
            let vt = catalog.validation_type;
            if spec.validation_type.is_some_and(|t| t != vt) {
                lenient(source, bad("invalid_validation_type", &name, format!("{name} has a fixed validation type.")))?;
            }
            if asked_unique.is_some_and(|u| u != catalog.is_unique()) {
                let message = format!("Uniqueness of {name} is fixed to {}.", catalog.is_unique());
                lenient(source, bad("unique_not_configurable", &name, message))?;
            }
            unique = catalog.is_unique();
            vt
        }
        FieldKind::Custom => {
            if !is_custom_name(&name) {
                let message = "A custom field name is a letter then up to 49 letters, digits or '_'.".into();
                lenient(source, bad("invalid_field_name", &name, message))?;
            }
            if premade(&name).is_some() {
                // A name that became pre-made after this field was saved: still served as custom.
                lenient(source, bad("invalid_field_name", &name, format!("{name} is a pre-made field name.")))?;
            }
            unique = asked_unique.unwrap_or(false);
            spec.validation_type.unwrap_or(ValidationType::Text)
        }
    };

    if validation_type == ValidationType::Select {
        check_options(&name, rules.valid_options.as_deref(), source)?;
    } else if spec.kind == FieldKind::Standard && rules.valid_options.is_some() {
        // A pre-made text field (tShirtSize) may be limited to the operator's options.
        check_options(&name, rules.valid_options.as_deref(), source)?;
    } else if rules.valid_options.is_some() {
        lenient(source, bad("options_not_supported", &name, "Only select and pre-made text fields take validOptions.".into()))?;
    }
    if spec.searchable && (spec.kind == FieldKind::Standard || validation_type == ValidationType::Checkbox) {
        let message = "Only custom text and select fields take searchable (pre-made ones are searchable by their own columns).";
        lenient(source, bad("searchable_not_configurable", &name, message.into()))?;
        spec.searchable = false;
    }
    if unique && validation_type == ValidationType::Checkbox {
        lenient(source, bad("unique_not_configurable", &name, "A checkbox cannot be unique.".into()))?;
    }
    if rules.checkbox_text.is_some() && validation_type != ValidationType::Checkbox {
        lenient(source, bad("checkbox_text_not_supported", &name, "Only checkbox fields take checkboxText.".into()))?;
    }
    if let Some(Err(e)) = rules.checkbox_text.as_deref().map(check_text) {
        lenient(source, bad("invalid_checkbox_text", &name, format!("checkboxText {}.", e.message)))?;
    }
    let regex = match rules.regex.as_deref() {
        Some(_) if validation_type != ValidationType::Text => {
            lenient(source, bad("regex_not_supported", &name, "Only text fields take a regex.".into()))?;
            None
        }
        Some(pattern) => compile_pattern(&name, pattern, source, size_limit)?,
        None => None,
    };

    spec.unique = Some(unique);
    rules.unique = unique.then_some(true);
    spec.validation_type = Some(validation_type);
    spec.validation_rules = (rules != ValidationRules::default()).then_some(rules);
    Ok(Some(Field { spec, validation_type, regex }))
}

fn check_options(name: &str, options: Option<&[SelectOption]>, source: Source) -> Result<(), Rejection> {
    let options = options.unwrap_or(&[]);
    if options.is_empty() {
        lenient(source, bad("missing_options", name, "A select field needs validOptions.".into()))?;
    }
    if options.len() > MAX_OPTIONS {
        lenient(source, bad("too_many_options", name, format!("At most {MAX_OPTIONS} options.")))?;
    }
    let mut seen = HashSet::new();
    for option in options {
        if let Err(e) = check_text(&option.label) {
            lenient(source, bad("invalid_option", name, format!("option label {}.", e.message)))?;
        }
        if let Some(Err(e)) = option.key.as_deref().map(check_text) {
            lenient(source, bad("invalid_option", name, format!("option key {}.", e.message)))?;
        }
        if !seen.insert(option.value().to_lowercase()) {
            let err = Rejection::unacceptable("repeated_options", format!("{name} lists an option twice.")).field(name);
            lenient(source, err)?;
        }
    }
    Ok(())
}

/// A request's pattern must meet today's limits; a stored one is compiled under the hard bound,
/// and dropped (no pattern checked) with a warning if even that fails.
fn compile_pattern(name: &str, pattern: &str, source: Source, size_limit: usize) -> Result<Option<Regex>, Rejection> {
    match source {
        Source::Request => operator_regex::compile(pattern, size_limit).map(Some).map_err(|e| e.field(name)),
        Source::Stored => match operator_regex::compile_stored(pattern) {
            Ok(re) => Ok(Some(re)),
            Err(_) => {
                tracing::warn!(field = name, "stored regex no longer compiles; its field is served without it");
                Ok(None)
            }
        },
    }
}

/// The key a custom field created under a display `name` is stored under: the name itself when
/// it is a valid key, else its words in camelCase (`"T-shirt size"` → `tShirtSize`); `None`
/// when that is no valid custom key either (empty, not starting with a letter, or pre-made).
pub fn custom_field_key(name: &str) -> Option<String> {
    let key = if is_custom_name(name) {
        name.to_string()
    } else {
        let mut key = String::new();
        for word in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
            let mut chars = word.chars();
            let first = chars.next().unwrap_or_default();
            if key.is_empty() {
                key.push(first.to_ascii_lowercase());
            } else {
                key.push(first.to_ascii_uppercase());
            }
            key.extend(chars);
        }
        key
    };
    (is_custom_name(&key) && premade(&key).is_none()).then_some(key)
}

fn is_custom_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 50
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rejection::RejectionKind;
    use serde_json::json;

    fn specs(value: Value) -> Vec<FieldSpec> {
        serde_json::from_value(value).unwrap()
    }

    fn parse_err(value: Value) -> Rejection {
        FieldSettings::parse(specs(value)).unwrap_err()
    }

    #[test]
    fn defaults_parse_and_require_email() {
        let settings = FieldSettings::defaults();
        let missing = settings.missing(&Profile::default());
        assert_eq!(missing.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["email"]);
        assert_eq!(settings.fields().len(), PREMADE_FIELDS.len());
    }

    #[test]
    fn rejects_bad_regex_repeated_options_and_unknown_standard_names() {
        let e = parse_err(json!([{"name": "code", "type": "custom", "validationType": "text", "validationRules": {"regex": "(unclosed"}}]));
        assert_eq!((e.kind, e.code), (RejectionKind::Unacceptable, "invalid_regex"));
        let e = parse_err(json!([{"name": "color", "type": "custom", "validationType": "select",
            "validationRules": {"validOptions": [{"label": "Red"}, {"label": "red"}]}}]));
        assert_eq!((e.kind, e.code), (RejectionKind::Unacceptable, "repeated_options"));
        let e = parse_err(json!([{"name": "shoeSize", "type": "standard"}]));
        assert_eq!((e.kind, e.code), (RejectionKind::Invalid, "unknown_standard_field"));
        let e = parse_err(json!([{"name": "email", "type": "standard", "unique": false}]));
        assert_eq!(e.code, "unique_not_configurable");
        let e = parse_err(json!([{"name": "alias", "type": "custom"}]));
        assert_eq!(e.code, "invalid_field_name");
        let e = parse_err(json!([{"name": "a", "type": "custom"}, {"name": "A", "type": "custom"}]));
        assert_eq!(e.code, "duplicate_field");
    }

    #[test]
    fn stored_configurations_load_leniently() {
        // Each of these was acceptable under some earlier rule; none may stop the environment.
        let stored = specs(json!([
            {"name": "team", "type": "custom", "validationType": "text", "unique": true, "position": 0},
            {"name": "shoeSize", "type": "standard", "position": 1},
            {"name": "code", "type": "custom", "validationRules": {"regex": "x".repeat(5000)}, "position": 2},
            {"name": "plan", "type": "custom", "validationType": "select", "validationRules": {"validOptions": [{"label": "A"}, {"label": "a"}]}, "position": 3},
            {"name": "bad name!", "type": "custom", "label": " padded ", "position": -1},
            {"name": "team", "type": "custom", "position": 5}
        ]));
        assert!(FieldSettings::parse(stored.clone()).is_err());
        let loaded = FieldSettings::load(stored);
        let names: Vec<_> = loaded.fields().iter().map(Field::name).collect();
        assert_eq!(names, ["bad name!", "team", "code", "plan"]);
        assert!(loaded.get("team").unwrap().is_unique());
        assert!(loaded.get("code").unwrap().regex.is_some(), "a long stored pattern is still enforced");
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
        assert_eq!(code.claim_value(&json!("abcd")).as_deref(), Some("abcd"), "claims do not judge");
        let plan = settings.get("plan").unwrap();
        assert!(plan.check_custom_value(&json!("free")).is_ok());
        assert!(plan.check_custom_value(&json!("Free")).is_err());
        let terms = settings.get("terms").unwrap();
        assert!(terms.check_custom_value(&json!("yes")).is_err());
        let unticked = json!({"terms": false}).as_object().cloned();
        assert_eq!(settings.missing_with(|_| None, unticked.as_ref()).len(), 1);
        let ticked = json!({"terms": true}).as_object().cloned();
        assert!(settings.missing_with(|_| None, ticked.as_ref()).is_empty());
    }

    #[test]
    fn custom_keys_come_from_display_names() {
        assert_eq!(custom_field_key("squad").as_deref(), Some("squad"));
        assert_eq!(custom_field_key("Favourite colour").as_deref(), Some("favouriteColour"));
        assert_eq!(custom_field_key("T-shirt Size!").as_deref(), None, "tShirtSize is pre-made");
        assert_eq!(custom_field_key("Plan (2026)").as_deref(), Some("plan2026"));
        assert_eq!(custom_field_key("2fa"), None);
        assert_eq!(custom_field_key("   "), None);
        assert_eq!(custom_field_key("Éclair"), Some("clair".into()), "letters outside ASCII drop out");
        assert_eq!(custom_field_key(&"a".repeat(51)), None);
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
