//! What a token says, as Dynamic's tokens say it. A sign-in answers two: `minifiedJwt`
//! ([`TokenClaims`], Dynamic's `MinifiedDynamicJwt`: what the client sends as its bearer) and
//! `jwt` ([`FullClaims`], Dynamic's `DynamicJwt`: the same claims with the user's verified
//! credentials and the fields it has still to give). `scope` holds `user:basic` only when no
//! required field is missing; otherwise `requiresAdditionalAuth`. Both carry `kid` in the
//! payload too, as Dynamic's do (the keyring adds it).

use crate::model::credentials::DynamicCredential;
use crate::model::field_access::{premade_visible, told_missing};
use crate::model::field_spec::FieldSpec;
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
    /// The external issuer's user id, for a session begun with its token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_user_id: Option<String>,
}

/// A session's two tokens, as Dynamic answers them: `jwt` ([`FullClaims`]) and `minifiedJwt`
/// ([`TokenClaims`], the bearer), the scope they grant and when the session ends.
pub struct SignedTokens {
    pub jwt: String,
    pub minified_jwt: String,
    pub scope: String,
    pub expires_at: Timestamp,
}

/// The `jwt` of a sign-in: the claims, and the user's verified credentials and missing fields
/// (always present, `[]` when none is missing; a hidden field is never named).
#[derive(Serialize)]
pub struct FullClaims<'a> {
    #[serde(flatten)]
    pub claims: &'a TokenClaims,
    pub verified_credentials: Vec<DynamicCredential<'a>>,
    pub missing_fields: Vec<&'a FieldSpec>,
}

impl<'a> FullClaims<'a> {
    pub fn new(claims: &'a TokenClaims, user: &'a User, fields: &'a FieldSettings) -> Self {
        Self {
            claims,
            verified_credentials: user.verified_credentials.iter().map(DynamicCredential::new).collect(),
            missing_fields: told_missing(fields.missing(&user.profile)),
        }
    }
}

impl TokenClaims {
    /// The claims for `user` in `session`, judged by the current configuration. The token
    /// expires with its session.
    pub fn new(issuer: String, audience: String, user: &User, fields: &FieldSettings, session: &Session, now: Timestamp) -> Self {
        let scope = scope_for(user, fields);
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
            external_user_id: session.external_user_id.clone(),
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

/// What a token of `user` grants under `fields`. The scope counts every required field, the
/// operator's too (a required `view` field gates access until the operator fills it).
pub fn scope_for(user: &User, fields: &FieldSettings) -> &'static str {
    if fields.missing(&user.profile).is_empty() {
        SCOPE_COMPLETE
    } else {
        SCOPE_INCOMPLETE
    }
}

/// The issuer of an environment's tokens: `<base>/environments/<id>`, where its
/// `.well-known/openid-configuration` is served.
pub fn issuer(base: &str, env: Uuid) -> String {
    format!("{}/environments/{env}", base.trim_end_matches('/'))
}
