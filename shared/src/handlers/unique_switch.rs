//! A custom field becoming unique: every existing value is claimed for its holder, and recorded
//! in that user's claims record, before the configuration that makes it unique is saved.

use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::model::field_rules::{Field, FieldSettings};
use crate::model::user::User;
use crate::store::{Backoff, StoreError, Unreadable};
use std::collections::HashMap;
use uuid::Uuid;

/// Tries when users change while their values are being claimed.
const TRIES: usize = 3;

fn cannot_switch(field: &str) -> ApiError {
    ApiError::unprocessable(
        "cannot_switch_to_unique",
        format!("Existing users share values of {field}, so it cannot become unique."),
    )
    .field(field)
}

/// Claims every existing value of `field`, refusing on a shared one. Users whose items do not
/// read are skipped (their ids returned and logged) rather than failing the environment.
/// `old` is the configuration in force, for items that predate claims records.
pub async fn claim_existing_values(ctx: &AppContext, env: Uuid, old: &FieldSettings, field: &Field) -> ApiResult<Vec<Uuid>> {
    let mut backoff = Backoff::new(TRIES);
    loop {
        match try_claim(ctx, env, old, field).await {
            Err(e) if backoff.retry(&e).await => continue,
            outcome => return outcome,
        }
    }
}

async fn try_claim(ctx: &AppContext, env: Uuid, old: &FieldSettings, field: &Field) -> ApiResult<Vec<Uuid>> {
    let ids = ctx.store.user_ids(env).await?;
    let (users, unreadable) = ctx.store.users(env, &ids).await?;
    let holders = holders(&users, field)?;
    match ctx.store.record_claims(env, field.name(), &holders, old).await {
        Err(StoreError::Taken(f)) => return Err(cannot_switch(&f)),
        other => other?,
    }
    let skipped: Vec<Uuid> = unreadable.into_iter().map(|Unreadable(id)| id).collect();
    if !skipped.is_empty() {
        tracing::warn!(field = field.name(), skipped = ?skipped, "unreadable users skipped while claiming values");
    }
    Ok(skipped)
}

/// The users whose value of `field` must be claimed, with the value; 422 if two share one.
fn holders<'a>(users: &'a [User], field: &Field) -> ApiResult<Vec<(&'a User, String)>> {
    let mut by_value: HashMap<String, &User> = HashMap::new();
    for user in users {
        let value = user.profile.metadata.as_ref().and_then(|m| m.get(field.name())).filter(|v| !v.is_null());
        let Some(claim) = value.and_then(|v| field.claim_value(v)) else { continue };
        if by_value.insert(claim, user).is_some() {
            return Err(cannot_switch(field.name()));
        }
    }
    Ok(by_value
        .into_iter()
        .filter(|(claim, user)| user.held_claims.as_ref().and_then(|c| c.get(field.name())) != Some(claim.as_str()))
        .map(|(claim, user)| (user, claim))
        .collect())
}
