//! The field configuration as the dashboard sends it and as it is stored: plain data, checked
//! into [`super::field_settings::FieldSettings`] before anything uses it.

use serde::{Deserialize, Serialize};

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

/// What an end user may do with a field (the operator may always read and write it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserAccess {
    /// The end user sees and sets it.
    #[default]
    Edit,
    /// The end user sees it; only the operator writes it.
    View,
    /// Operator-only: never in an end user's response, token or form.
    Hidden,
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
    /// On `email`: a changed address takes effect only once its code is verified (the default);
    /// `false` applies it at once, unverified. Other fields ignore it.
    #[serde(default = "yes")]
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
    #[serde(default)]
    pub user_access: UserAccess,
    /// Once the field holds a value an end user cannot change or clear it; the operator can.
    #[serde(default)]
    pub write_once: bool,
    /// A custom text or select field the operator's user search can filter by (`model::search`).
    /// Written only when on, so every other shape (tokens' missing fields too) stays as it was.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub searchable: bool,
}
