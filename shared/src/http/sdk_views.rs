//! The shapes of Dynamic's end-user API (`/sdk/{environmentId}/...`), from the generated client's
//! models (`@dynamic-labs/sdk-api-core`): `SdkUser`, `VerifyResponse`, `UpdateSelfResponse`,
//! `EmailVerificationCreateResponse`. Where userfields says more, it adds a property.

use super::views::UserView;
use crate::model::field_settings::FieldSettings;
use crate::model::user::User;
use crate::model::values::Email;
use crate::tokens::jwt_claims::SignedTokens;
use crate::store::Verification;
use serde::Serialize;
use uuid::Uuid;

/// `SdkUser`: the user as it sees itself, with its session and what its token grants.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SdkUser<'a> {
    #[serde(flatten)]
    pub user: UserView<'a>,
    pub session_id: Uuid,
    /// The token's scope: `user:basic` once nothing required is missing, else
    /// `requiresAdditionalAuth` (what the client's `isUserOnboardingComplete` reads).
    pub scope: &'a str,
}

impl<'a> SdkUser<'a> {
    pub fn new(user: &'a User, fields: &'a FieldSettings, new_user: bool, session_id: Uuid, scope: &'a str) -> Self {
        Self { user: UserView::for_end_user(user, fields, new_user), session_id, scope }
    }
}

/// `VerifyResponse`: a sign-in's (or a refresh's) user and tokens; `expiresAt` in Unix seconds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponse<'a> {
    pub user: SdkUser<'a>,
    pub jwt: &'a str,
    pub minified_jwt: &'a str,
    pub expires_at: i64,
}

impl<'a> VerifyResponse<'a> {
    pub fn new(user: SdkUser<'a>, tokens: &'a SignedTokens) -> Self {
        Self { user, jwt: &tokens.jwt, minified_jwt: &tokens.minified_jwt, expires_at: tokens.expires_at.unix() }
    }
}

/// `EmailVerificationCreateResponse`.
#[derive(Serialize)]
pub struct EmailVerificationCreated<'a> {
    #[serde(rename = "verificationUUID")]
    pub verification_uuid: Uuid,
    pub email: &'a Email,
}

impl<'a> EmailVerificationCreated<'a> {
    pub fn new(v: &'a Verification) -> Self {
        Self { verification_uuid: v.verification_uuid, email: &v.email }
    }
}

/// `UpdateSelfResponse`: always fresh tokens (the client keeps its session only with them);
/// `nextView` is `verify-email` while a new address waits for its code.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateSelfResponse<'a> {
    #[serde(flatten)]
    pub verified: VerifyResponse<'a>,
    pub next_view: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verification: Option<EmailVerificationCreated<'a>>,
    /// Ours, beside Dynamic's `nextView`: whether the email change waits for a code.
    pub is_email_verification_required: bool,
}

impl<'a> UpdateSelfResponse<'a> {
    pub fn new(verified: VerifyResponse<'a>, pending: Option<&'a Verification>) -> Self {
        Self {
            verified,
            next_view: if pending.is_some() { "verify-email" } else { "done" },
            email_verification: pending.map(EmailVerificationCreated::new),
            is_email_verification_required: pending.is_some(),
        }
    }
}
