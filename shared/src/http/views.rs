//! The response shapes: the `User` object of every response (stored fields, credentials and the
//! current `missingFields`), an update's answer and a token's. `version`, the claims record and
//! anything secret never appear.

use crate::model::field_access;
use crate::model::field_settings::FieldSettings;
use crate::model::field_spec::FieldSpec;
use crate::model::chains::Chain;
use crate::model::credentials::{CredentialFormat, DynamicCredential};
use crate::model::profile_fields::Profile;
use crate::model::user::User;
use crate::model::values::{Email, Timestamp};
use crate::store::{Session, Verification};
use serde::Serialize;
use std::borrow::Cow;
use uuid::Uuid;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView<'a> {
    pub id: Uuid,
    pub project_environment_id: Uuid,
    #[serde(flatten)]
    pub profile: Cow<'a, Profile>,
    pub verified_credentials: Vec<DynamicCredential<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_verified_credential_id: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub missing_fields: Vec<&'a FieldSpec>,
    pub new_user: bool,
    pub wallets: Vec<WalletView<'a>>,
    pub oauth_accounts: Vec<OAuthAccountView<'a>>,
}

/// A wallet credential as Dynamic's `wallets[]` shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletView<'a> {
    id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    chain: Option<Chain>,
    public_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'a str>,
}

/// An OAuth credential as Dynamic's `oauthAccounts[]` shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthAccountView<'a> {
    id: Uuid,
    provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_username: Option<&'a str>,
}

impl<'a> UserView<'a> {
    /// The user as the operator sees it: everything.
    pub fn new(user: &'a User, fields: &'a FieldSettings, new_user: bool) -> Self {
        Self::build(user, Cow::Borrowed(&user.profile), fields.missing(&user.profile), new_user)
    }

    /// The user as the end user sees itself: no hidden field, no operator-private metadata
    /// (`model::field_access`; credentials are shown alike).
    pub fn for_end_user(user: &'a User, fields: &'a FieldSettings, new_user: bool) -> Self {
        let missing = field_access::end_user_missing(fields, user);
        Self::build(user, Cow::Owned(field_access::end_user_copy(user, fields).profile), missing, new_user)
    }

    /// `shown`: the user's values as this caller may see them; the credential views are
    /// borrowed from `stored` (a page of users copies no string).
    fn build(stored: &'a User, shown: Cow<'a, Profile>, missing_fields: Vec<&'a FieldSpec>, new_user: bool) -> Self {
        let wallets = stored
            .credentials(CredentialFormat::Blockchain)
            .map(|c| WalletView {
                id: c.id,
                name: c.wallet_name.as_deref(),
                chain: c.chain,
                public_key: c.address.as_deref(),
                provider: c.wallet_provider.as_deref(),
            })
            .collect();
        let oauth_accounts = stored
            .credentials(CredentialFormat::Oauth)
            .map(|c| OAuthAccountView {
                id: c.id,
                provider: c.oauth_provider.as_deref(),
                account_username: c.oauth_username.as_deref(),
            })
            .collect();
        Self {
            id: stored.id,
            project_environment_id: stored.project_environment_id,
            profile: shown,
            verified_credentials: stored.verified_credentials.iter().map(DynamicCredential::new).collect(),
            last_verified_credential_id: stored.last_verified_credential_id,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
            missing_fields,
            new_user,
            wallets,
            oauth_accounts,
        }
    }
}

/// `{"user": ...}`: a `UserView`, or for one user's `GET` a `UserWithSessions`.
#[derive(Serialize)]
pub struct UserEnvelope<U> {
    pub user: U,
}

/// One user as the operator's `GET` of it shows them: the user and their live sessions
/// (Dynamic's `User.sessions`).
#[derive(Serialize)]
pub struct UserWithSessions<'a> {
    #[serde(flatten)]
    pub user: UserView<'a>,
    pub sessions: Vec<SessionView>,
}

/// Dynamic's `Session`: `ipAddress` and `userAgent` are not kept, so never shown; `revokedAt`
/// never applies (a revoked session is gone). `expiresAt` is ours.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    id: Uuid,
    created_at: Timestamp,
    expires_at: Timestamp,
}

impl From<&Session> for SessionView {
    fn from(session: &Session) -> Self {
        Self { id: session.sid, created_at: session.created_at, expires_at: session.expires_at }
    }
}

/// A pending email change as an update's answer shows it (the code itself is never shown).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailVerificationView<'a> {
    #[serde(rename = "verificationUUID")]
    verification_uuid: Uuid,
    email: &'a Email,
    expires_at: Timestamp,
}

/// The answer to an update: the user, whether the email waits for a code, and that code's
/// verification; for an end user, a fresh token when the change altered what it grants.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateResponse<'a> {
    pub user: UserView<'a>,
    pub is_email_verification_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verification: Option<EmailVerificationView<'a>>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenView>,
}

impl<'a> UpdateResponse<'a> {
    pub fn new(user: UserView<'a>, pending: Option<&'a Verification>) -> Self {
        Self {
            user,
            is_email_verification_required: pending.is_some(),
            email_verification: pending.map(|v| EmailVerificationView {
                verification_uuid: v.verification_uuid,
                email: &v.email,
                expires_at: v.expires_at,
            }),
            token: None,
        }
    }
}

/// A signed token and when it (with its session) expires.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    pub jwt: String,
    pub expires_at: Timestamp,
}
