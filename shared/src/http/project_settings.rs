//! Dynamic's `ProjectSettings`, what its clients read an environment's configuration as: the
//! end user's at `/sdk/{environmentId}/settings` (the form's fields), the operator's at
//! `/environments/{environmentId}` (every field). `kyc` is the field list, in the elements of
//! `settings/userFields`; the sections userfields does not implement are minimal and valid (no
//! chains, captcha, cookies or embedded wallets, so Dynamic's client asks for none).

use crate::model::field_spec::FieldSpec;
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSettings<'a> {
    environment_name: &'static str,
    chains: [Value; 0],
    kyc: Vec<&'a FieldSpec>,
    providers: Value,
    design: Value,
    general: Value,
    privacy: Value,
    sdk: Value,
    security: Value,
}

impl<'a> ProjectSettings<'a> {
    pub fn new(display_name: &str, kyc: Vec<&'a FieldSpec>) -> Self {
        Self {
            environment_name: "live",
            chains: [],
            kyc,
            providers: json!([{ "provider": "emailOnly" }]),
            design: json!({}),
            general: json!({ "displayName": display_name }),
            privacy: json!({ "collectIp": false }),
            sdk: json!({ "emailSignIn": { "signInProvider": "dynamic" } }),
            security: json!({}),
        }
    }

    /// `security`: the environment's external issuers (`ExternalAuth::security_view`).
    pub fn with_security(mut self, security: Value) -> Self {
        self.security = security;
        self
    }
}
