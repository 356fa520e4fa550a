//! Saving an environment's field configuration, the core operation behind the settings PUT and
//! `userfields switch-to-unique`. A custom field becoming unique first has every existing value
//! claimed for its holder (and recorded in that user's claims record); only then is the
//! configuration saved. If anything fails (two users share a value, a user or the configuration
//! changed meanwhile) the claims written so far are taken back: nothing is left behind.

use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::model::field_settings::{Field, FieldSettings};
use crate::model::field_spec::FieldSpec;
use crate::model::search::{custom_column, search_form};
use crate::model::user::User;
use serde_json::Value;
use crate::store::{Backoff, RecordedClaim, StoreError, Unreadable};
use lambda_http::http::StatusCode;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Users an API request may claim values for: about 40 transactions and 20 batch reads, well
/// inside a function's timeout. Larger environments switch with the CLI, which has no deadline.
pub const MAX_USERS_ONLINE: usize = 2_000;
/// Tries when users change while their values are being claimed.
const TRIES: usize = 3;

/// The outcome of a saved configuration.
pub struct Saved {
    pub version: u64,
    /// Users whose items did not read, left out of the claiming (and logged).
    pub skipped: Vec<Uuid>,
}

/// Saves `new` over `old` (read at `old_version`), claiming values for fields that become
/// unique. `limit`: the most users to claim for (`None`: no bound, for the CLI).
pub async fn save_field_settings(
    ctx: &AppContext,
    env: Uuid,
    old: &FieldSettings,
    old_version: u64,
    new: FieldSettings,
    limit: Option<usize>,
) -> ApiResult<Saved> {
    let mut claimed: Vec<(String, Vec<RecordedClaim>)> = Vec::new();
    let mut skipped = Vec::new();
    let outcome = async {
        for field in newly_unique(old, &new) {
            let (written, unreadable) = claim_existing_values(ctx, env, old, field, limit).await.map_err(|(written, e)| {
                claimed.push((field.name().to_string(), written));
                e
            })?;
            claimed.push((field.name().to_string(), written));
            skipped.extend(unreadable);
        }
        for field in newly_searchable(old, &new) {
            skipped.extend(index_existing_values(ctx, env, field, limit).await?);
        }
        ctx.store.save_fields(env, &new.specs(), old_version).await.map_err(ApiError::from)
    }
    .await;
    match outcome {
        Ok(version) => {
            ctx.fields_changed(env, Arc::new(new), version);
            Ok(Saved { version, skipped })
        }
        Err(e) => {
            for (field, written) in &claimed {
                let failed = ctx.store.undo_claims(env, field, written).await;
                if failed > 0 {
                    tracing::error!(field, failed, "claims could not all be taken back");
                }
            }
            Err(e)
        }
    }
}

/// Reads the field list, lets `edit` change it and saves it through [`save_field_settings`]:
/// the custom-fields routes, `switch-to-unique` and the benchmark's seeding. A configuration
/// changed meanwhile is read again and the edit made again on it, so concurrent edits of
/// different fields both land. `limit` as for [`save_field_settings`]. The saved settings come
/// back with the outcome.
pub async fn edit_field_settings<T>(
    ctx: &AppContext,
    env: Uuid,
    limit: Option<usize>,
    edit: impl Fn(&mut Vec<FieldSpec>) -> ApiResult<T>,
) -> ApiResult<(Saved, T, Arc<FieldSettings>)> {
    let mut backoff = Backoff::new(TRIES);
    loop {
        let current = ctx.fresh_fields(env).await?;
        let mut specs = current.settings.specs();
        let out = edit(&mut specs)?;
        let new = FieldSettings::parse(specs)?;
        match save_field_settings(ctx, env, &current.settings, current.version, new, limit).await {
            Err(e) if backoff.retry(&e).await => continue,
            Err(e) => return Err(e),
            Ok(saved) => {
                let settings = ctx.cached_fields(env).await?;
                return Ok((saved, out, settings));
            }
        }
    }
}

fn newly_unique<'a>(old: &FieldSettings, new: &'a FieldSettings) -> Vec<&'a Field> {
    new.enabled_custom()
        .filter(|f| f.is_unique())
        .filter(|f| !old.get(f.name()).is_some_and(|o| o.is_unique() && o.spec.enabled))
        .collect()
}

fn newly_searchable<'a>(old: &FieldSettings, new: &'a FieldSettings) -> Vec<&'a Field> {
    new.enabled_custom()
        .filter(|f| f.spec.searchable)
        .filter(|f| !old.get(f.name()).is_some_and(|o| o.spec.searchable && o.spec.enabled))
        .collect()
}

/// Indexes every existing value of a field becoming searchable (entries a user already records
/// need nothing), retrying when users change meanwhile. Nothing needs taking back on a later
/// failure: an entry the configuration does not ask for is removed at its user's next save.
async fn index_existing_values(ctx: &AppContext, env: Uuid, field: &Field, limit: Option<usize>) -> ApiResult<Vec<Uuid>> {
    let column = custom_column(field.name());
    let mut backoff = Backoff::new(TRIES);
    loop {
        let attempt = async {
            let ids = ctx.store.user_ids(env).await?;
            if limit.is_some_and(|limit| ids.len() > limit) {
                return Err(too_large(field.name(), ids.len()));
            }
            let (users, unreadable) = ctx.store.users(env, &ids).await?;
            let holders: Vec<(&User, String, String)> = users
                .iter()
                .filter_map(|u| match u.profile.metadata.as_ref().and_then(|m| m.get(field.name())) {
                    Some(Value::String(text)) if !search_form(text).is_empty() => Some((u, search_form(text))),
                    _ => None,
                })
                .filter(|(u, value)| !u.recorded_search_entries().contains(&column, value))
                .map(|(u, value)| (u, column.clone(), value))
                .collect();
            ctx.store.record_search_entries(env, &holders).await?;
            Ok(unreadable.into_iter().map(|Unreadable(id)| id).collect())
        };
        match attempt.await {
            Err(e) if backoff.retry(&e).await => continue,
            other => return other,
        }
    }
}

fn cannot_switch(field: &str) -> ApiError {
    ApiError::unprocessable(
        "cannot_switch_to_unique",
        format!("Existing users share values of {field}, so it cannot become unique."),
    )
    .field(field)
}

fn too_large(field: &str, users: usize) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "environment_too_large",
        format!(
            "This environment has {users} users, more than a request may claim values for \\
             ({MAX_USERS_ONLINE}); make {field} unique with `userfields switch-to-unique <environmentId> {field}`."
        ),
    )
    .field(field)
}

type Claimed = (Vec<RecordedClaim>, Vec<Uuid>);

/// Claims every existing value of `field`, refusing on a shared one, retrying when users change
/// meanwhile. On failure, what was written comes back with the error (to be taken back).
async fn claim_existing_values(
    ctx: &AppContext,
    env: Uuid,
    old: &FieldSettings,
    field: &Field,
    limit: Option<usize>,
) -> Result<Claimed, (Vec<RecordedClaim>, ApiError)> {
    let mut backoff = Backoff::new(TRIES);
    let mut written = Vec::new();
    loop {
        match try_claim(ctx, env, old, field, limit, &mut written).await {
            Err(e) if backoff.retry(&e).await => continue,
            Err(e) => return Err((written, e)),
            Ok(unreadable) => return Ok((written, unreadable)),
        }
    }
}

async fn try_claim(
    ctx: &AppContext,
    env: Uuid,
    old: &FieldSettings,
    field: &Field,
    limit: Option<usize>,
    written: &mut Vec<RecordedClaim>,
) -> ApiResult<Vec<Uuid>> {
    let ids = ctx.store.user_ids(env).await?;
    if limit.is_some_and(|limit| ids.len() > limit) {
        return Err(too_large(field.name(), ids.len()));
    }
    let (users, unreadable) = ctx.store.users(env, &ids).await?;
    let holders = holders(&users, field)?;
    match ctx.store.record_claims(env, field.name(), &holders, old).await {
        Ok(done) => written.extend(done),
        Err((done, e)) => {
            written.extend(done);
            return Err(match e {
                StoreError::Taken(f) => cannot_switch(&f),
                other => other.into(),
            });
        }
    }
    let skipped: Vec<Uuid> = unreadable.into_iter().map(|Unreadable(id)| id).collect();
    if !skipped.is_empty() {
        tracing::warn!(field = field.name(), skipped = ?skipped, "unreadable users skipped while claiming values");
    }
    Ok(skipped)
}

/// The users whose value of `field` must be claimed, with the value; 422 if two share one.
/// Users already recording that claim (from an earlier try) need nothing.
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
        .filter(|(claim, user)| !user.held_claims.as_ref().is_some_and(|c| c.contains(field.name(), claim)))
        .map(|(claim, user)| (user, claim))
        .collect())
}
