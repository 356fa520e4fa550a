//! The `User` object of every response: stored fields, credentials and the current
//! `missingFields`. `version`, the claims record and anything secret never appear.

use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, user_id};
use crate::model::field_rules::FieldSettings;
use crate::model::field_spec::FieldSpec;
use crate::model::chains::Chain;
use crate::model::credentials::CredentialFormat;
use crate::model::user::User;
use crate::prefetch::Reads;
use lambda_http::Request;
use serde::Serialize;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView<'a> {
    #[serde(flatten)]
    pub user: &'a User,
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
    pub fn new(user: &'a User, fields: &'a FieldSettings, new_user: bool) -> Self {
        let wallets = user
            .credentials(CredentialFormat::Blockchain)
            .map(|c| WalletView {
                id: c.id,
                name: c.wallet_name.as_deref(),
                chain: c.chain,
                public_key: c.address.as_deref(),
                provider: c.wallet_provider.as_deref(),
            })
            .collect();
        let oauth_accounts = user
            .credentials(CredentialFormat::Oauth)
            .map(|c| OAuthAccountView {
                id: c.id,
                provider: c.oauth_provider.as_deref(),
                account_username: c.oauth_username.as_deref(),
            })
            .collect();
        Self { user, missing_fields: fields.missing(&user.profile), new_user, wallets, oauth_accounts }
    }
}

#[derive(Serialize)]
pub struct UserEnvelope<'a> {
    pub user: UserView<'a>,
}

/// The user named by the path, with the field configuration read fresh in the same round trip,
/// so `missingFields` always reflects the current settings.
pub async fn read_user(ctx: &AppContext, req: &Request) -> ApiResult<(User, Arc<FieldSettings>)> {
    let env = environment_id(req)?;
    let user_id = user_id(req)?;
    let reads = Reads { user: Some(user_id), fresh_fields: true, ..Reads::default() };
    let read = ctx.authorize(req, env, Scope::UsersRead, reads).await?;
    let user = read.user.ok_or_else(|| ApiError::not_found("User").field("userId"))?;
    Ok((user, read.fields))
}
