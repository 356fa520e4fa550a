//! The `User` object of every response: stored fields, credentials and the current
//! `missingFields`. `version`, the claims record and anything secret never appear.

use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, user_id};
use crate::model::field_rules::FieldSettings;
use crate::model::field_spec::FieldSpec;
use crate::model::user::User;
use crate::prefetch::Reads;
use lambda_http::Request;
use serde::Serialize;
use std::sync::Arc;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView<'a> {
    #[serde(flatten)]
    pub user: &'a User,
    pub missing_fields: Vec<&'a FieldSpec>,
    pub new_user: bool,
}

impl<'a> UserView<'a> {
    pub fn new(user: &'a User, fields: &'a FieldSettings, new_user: bool) -> Self {
        Self { user, missing_fields: fields.missing(&user.profile), new_user }
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
