//! One entry of a bulk request, as Dynamic's `bulkCreateUser` has it: created, or with `upsert`
//! the user it names updated instead, found by its `id`, else by its `email` (the address's
//! uniqueness claim). An update is the operator's update (`ops::update_user`), with its rules.

use crate::model::actor::Actor;
use crate::auth::scopes::Scope;
use crate::context::prefetch::{Access, ReadFresh};
use crate::context::{AppContext, CompiledFields};
use crate::error::ApiResult;
use crate::model::field_settings::FieldSettings;
use crate::model::profile_fields::UserInput;
use crate::model::user::User;
use crate::model::values::Email;
use crate::ops::create_user::create_user;
use crate::ops::update_user::{reads, update, Requester};
use std::sync::Arc;
use uuid::Uuid;

pub enum Upserted {
    Created(User, Arc<FieldSettings>),
    Updated(User, Arc<FieldSettings>),
}

pub async fn upsert_user(ctx: &AppContext, env: Uuid, input: UserInput, upsert: bool, fields: &CompiledFields, by: &Actor) -> ApiResult<Upserted> {
    if upsert {
        if let Some(id) = existing(ctx, env, &input).await? {
            let again = ReadFresh { ctx, env, reads: reads(id), actor: by };
            let first = again.read(reads(id)).await?;
            if first.user.is_some() {
                let patch = input.into_patch()?;
                let from = Requester { access: Access::ApiKey(Scope::UsersWrite), source_ip: None };
                let updated = update(ctx, env, from, &patch, first, &again).await?;
                return Ok(Upserted::Updated(updated.user, updated.fields));
            }
        }
    }
    let (user, fields) = create_user(ctx, env, input, Some(fields.clone()), by.clone()).await?;
    Ok(Upserted::Created(user, fields))
}

/// The user an entry names: its `id`, else the holder of its (valid) `email`.
async fn existing(ctx: &AppContext, env: Uuid, input: &UserInput) -> ApiResult<Option<Uuid>> {
    if let Some(id) = input.id {
        return Ok(Some(id));
    }
    let Some(Some(email)) = &input.email else { return Ok(None) };
    let Ok(email) = Email::parse(email.clone()) else { return Ok(None) };
    Ok(ctx.store.claim_holder(env, "email", &email.normalized()).await?)
}
