//! The `User` object of every response: stored fields, credentials and the current
//! `missingFields`. `version` and anything secret never appear.

use crate::context::{AppContext, Want};
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, user_id};
use crate::model::fields::{FieldSettings, FieldSpec};
use crate::model::user::User;
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
        Self { user, missing_fields: missing_fields(user, fields), new_user }
    }
}

pub fn missing_fields<'a>(user: &User, fields: &'a FieldSettings) -> Vec<&'a FieldSpec> {
    fields.missing(|name| user.profile.standard_value(name), user.profile.metadata.as_ref())
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
    let want = Want { user: Some(user_id), fresh_fields: true, ..Want::default() };
    let loaded = ctx.load(req, env, want).await?;
    let user = loaded.user.ok_or_else(|| ApiError::not_found("User").field("userId"))?;
    Ok((user, loaded.fields))
}
