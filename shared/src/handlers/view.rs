//! The `User` object of every response: stored fields, credentials and the current
//! `missingFields`. `version` and anything secret never appear.

use crate::model::fields::{FieldSettings, FieldSpec};
use crate::model::user::User;
use serde::Serialize;

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
