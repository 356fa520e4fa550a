//! What a token says. `scope` holds `user:basic` only when no required field is missing;
//! otherwise `requiresAdditionalAuth`, with the names in `missing_fields`.

use crate::model::field_access::{premade_visible, told_missing};
use crate::model::field_settings::FieldSettings;
use crate::model::user::User;
use crate::model::values::Timestamp;
use crate::store::Session;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const SCOPE_COMPLETE: &str = "user:basic";
pub const SCOPE_INCOMPLETE: &str = "requiresAdditionalAuth";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    pub iss: String,
    /// The environment's audience (its id unless set): what API Gateway's JWT authorizer and
    /// other relying parties check. Absent only on tokens issued before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    pub sub: Uuid,
    pub sid: Uuid,
    pub environment_id: Uuid,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether `email` was proven by a code (or the operator said so); absent with `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_verified_credential_id: Option<Uuid>,
    /// Space-separated, as OAuth and API Gateway's JWT authorizer read it.
    pub scope: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_fields: Vec<String>,
}

impl TokenClaims {
    /// The claims for `user` in `session`, judged by the current configuration. The token
    /// expires with its session.
    pub fn new(issuer: String, audience: String, user: &User, fields: &FieldSettings, session: &Session, now: Timestamp) -> Self {
        // The scope counts every required field, the operator's too (a required `view` field
        // gates access until the operator fills it); a hidden one is never named.
        let missing = fields.missing(&user.profile);
        let complete = missing.is_empty();
        let missing_fields: Vec<String> = told_missing(missing).into_iter().map(|f| f.name.clone()).collect();
        let scope = if complete { SCOPE_COMPLETE } else { SCOPE_INCOMPLETE };
        let email = user.profile.email.as_ref().filter(|_| premade_visible(fields, "email"));
        Self {
            iss: issuer,
            aud: Some(audience),
            sub: user.id,
            sid: session.sid,
            environment_id: user.project_environment_id,
            iat: now.unix(),
            exp: session.expires_at.unix(),
            email: email.map(|e| e.to_string()),
            email_verified: email.map(|_| user.profile.email_verified_at.is_some()),
            last_verified_credential_id: user.last_verified_credential_id,
            scope: scope.to_string(),
            missing_fields,
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }

    /// Whether a token with `other` grants what this one does (all but the issue time): when
    /// not, a change to the user warrants a fresh token.
    pub fn same_grant(&self, other: &TokenClaims) -> bool {
        Self { iat: other.iat, ..self.clone() } == *other
    }
}

/// The issuer of an environment's tokens: `<base>/environments/<id>`, where its
/// `.well-known/openid-configuration` is served.
pub fn issuer(base: &str, env: Uuid) -> String {
    format!("{}/environments/{env}", base.trim_end_matches('/'))
}
