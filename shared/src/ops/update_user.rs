//! Updating a user, for the operator's PUT and the end user's own: an email given without
//! `emailVerifiedAt` does not change the user: it becomes a pending verification and a code goes
//! to the new address. The code is sent *before* anything is written, so an SES failure leaves
//! the user and any earlier pending change untouched (503); a code whose write then fails was
//! never stored and cannot verify anything.

use crate::context::AppContext;
use crate::error::{taken, ApiError, ApiResult};
use crate::model::field_access;
use crate::model::field_settings::FieldSettings;
use crate::model::patch::Patch;
use crate::model::profile_fields::ProfilePatch;
use crate::model::user::User;
use crate::model::values::{Email, Timestamp};
use crate::codes::{self, limits};
use crate::context::prefetch::{Access, Prefetched, Reads, Reload, SignedIn};
use crate::store::{Backoff, Side, Verification};
use crate::model::user_rules::{apply_credentials, check_configured_values, check_required_kept};
use std::sync::Arc;
use uuid::Uuid;

/// Reads and writes retried when another request changed the user (or the configuration) in
/// between.
const TRIES: usize = 4;

/// The reads an update starts from.
pub fn reads(user: Uuid) -> Reads {
    Reads { user: Some(user), verification: true, ..Reads::default() }
}

pub struct Updated {
    pub user: User,
    pub fields: Arc<FieldSettings>,
    /// The code sent for a pending email change, if the email now waits for one.
    pub pending: Option<Verification>,
    /// The caller, for a session's request (as last read).
    pub signed_in: Option<SignedIn>,
}

/// How the request changes the email.
enum EmailChange {
    /// Applied now (cleared, trusted, unchanged or untouched); `settled` withdraws any pending code.
    Applied { settled: bool },
    /// Waits for the code sent to this address.
    Pending(Email),
}

/// Applies `patch` to the user `first` read, for `from`; `again` reads it again when another
/// request changed it (or the configuration) in between.
pub async fn update(
    ctx: &AppContext,
    env: Uuid,
    from: Requester<'_>,
    patch: &ProfilePatch,
    first: Prefetched,
    again: &impl Reload,
) -> ApiResult<Updated> {
    // A code sent by an earlier try of this request, reused rather than sent again.
    let mut sent: Option<Verification> = None;
    let mut current = first;
    let mut backoff = Backoff::new(TRIES);
    loop {
        match try_update(ctx, env, from, patch, &mut sent, &current).await {
            Err(e) if backoff.retry(&e).await => current = again.reload().await?,
            Err(e) => return Err(e),
            Ok((saved, pending)) => {
                let pending = if pending { sent } else { None };
                return Ok(Updated { user: saved, fields: current.fields, pending, signed_in: current.signed_in });
            }
        }
    }
}

/// One attempt: apply, judge (by the configuration this attempt read, which its write checks
/// is still in force), send a code if the email is to change (once per request, reused on
/// retries), write. `true` with the saved user: the email waits for its code.
async fn try_update(
    ctx: &AppContext,
    env: Uuid,
    from: Requester<'_>,
    patch: &ProfilePatch,
    sent: &mut Option<Verification>,
    current: &Prefetched,
) -> ApiResult<(User, bool)> {
    let before = current.user.as_ref().ok_or_else(|| ApiError::not_found("User").field("userId"))?;
    let now = Timestamp::now();
    let mut after = before.clone();
    after.updated_at = now;
    after.changed_by = Some(current.actor.clone());
    let end_user = from.access == Access::Session;
    let mut patch = patch.clone();
    if end_user {
        patch.metadata = field_access::end_user_metadata(std::mem::take(&mut patch.metadata), before, &current.fields)?;
        // A new address is not applied until its code is verified, so the change check after
        // `apply` cannot see it: it is judged here (a cleared one is judged there).
        if matches!(&patch.email, Patch::Set(email) if !is_current(before, email)) {
            field_access::check_end_user_change(&current.fields, "email", before.profile.email.is_some(), false)?;
        }
    }
    // `verify: false` is the operator's: an end user never sets an address it has not proven.
    let verify_email = end_user || current.fields.get("email").is_none_or(|f| f.spec.verify);
    let change = apply(patch, before, &mut after, verify_email, now)?;
    if end_user {
        field_access::check_end_user_changes(&current.fields, before, &after)?;
    }
    check_configured_values(&current.fields, Some(before), &after)?;
    check_required_kept(&current.fields, before, &after)?;

    let side = match &change {
        EmailChange::Applied { settled: true } if current.verification.is_some() => Some(Side::DropVerification),
        EmailChange::Applied { .. } => None,
        EmailChange::Pending(email) => {
            if sent.as_ref().is_none_or(|v| &v.email != email) {
                *sent = Some(send_code(ctx, env, before, email, now, from).await?);
            }
            Some(Side::PutVerification(sent.as_ref().expect("a code was just sent")))
        }
    };
    let sides: Vec<Side> = side.into_iter().collect();
    let saved = ctx.store.update_user(before, &after, &current.fields, current.fields_version, &sides).await?;
    Ok((saved, matches!(change, EmailChange::Pending(_))))
}

/// Applies `patch` to `after`, deciding what happens to the email: a new address waits for its
/// code unless the configuration says `verify: false` on email (then it applies, unverified).
fn apply(mut patch: ProfilePatch, before: &User, after: &mut User, verify_email: bool, now: Timestamp) -> ApiResult<EmailChange> {
    apply_credentials(&mut patch, after, now);
    let email = std::mem::take(&mut patch.email);
    let verified_at = std::mem::take(&mut patch.email_verified_at);
    let change = match (email, verified_at) {
        (Patch::Clear, _) => {
            after.clear_email();
            EmailChange::Applied { settled: true }
        }
        (Patch::Set(email), Patch::Set(at)) => {
            after.set_verified_email(email, at);
            EmailChange::Applied { settled: true }
        }
        (Patch::Set(email), _) if is_current(before, &email) => EmailChange::Applied { settled: true },
        (Patch::Set(email), _) if !verify_email => {
            after.unverify_email();
            after.profile.email = Some(email);
            EmailChange::Applied { settled: true }
        }
        (Patch::Set(email), _) => EmailChange::Pending(email),
        (Patch::Keep, Patch::Set(at)) => {
            let email = before.profile.email.clone().ok_or_else(|| {
                ApiError::bad_request("bad_request", "emailVerifiedAt needs an email.").field("emailVerifiedAt")
            })?;
            after.set_verified_email(email, at);
            EmailChange::Applied { settled: false }
        }
        (Patch::Keep, Patch::Clear) => {
            after.unverify_email();
            EmailChange::Applied { settled: false }
        }
        (Patch::Keep, Patch::Keep) => EmailChange::Applied { settled: false },
    };
    patch.apply_to(&mut after.profile);
    Ok(change)
}

fn is_current(user: &User, email: &Email) -> bool {
    user.profile.email.as_ref().is_some_and(|e| e.normalized() == email.normalized())
}

/// Who asks for an update: the operator's key or the end user (whose email changes are also
/// counted per user and per source IP).
#[derive(Clone, Copy)]
pub struct Requester<'a> {
    pub access: Access,
    pub source_ip: Option<&'a str>,
}

/// Checks the address may receive another code, then emails a fresh one. The operator is told
/// when another user holds the address (422). An end user is not: its change to a taken address
/// is answered as one to a free address (same limits counted, same answer, about the time a send
/// takes) but sends nothing and stores a decoy no code verifies, so an end user learns nothing
/// of who is registered and cannot mail a registered address. The claim moved at verification is
/// what guarantees uniqueness either way.
async fn send_code(ctx: &AppContext, env: Uuid, user: &User, email: &Email, now: Timestamp, from: Requester<'_>) -> ApiResult<Verification> {
    let holder = ctx.store.claim_holder(env, "email", &email.normalized()).await?;
    let held_by_another = holder.is_some_and(|h| h != user.id);
    let end_user = from.access == Access::Session;
    if held_by_another && !end_user {
        return Err(taken("email"));
    }
    let (mut verification, code) = codes::issue(ctx, email, now, None)?;
    let mut charges = vec![limits::address(email)];
    if end_user {
        charges.extend([limits::end_user(user.id), limits::change_source_ip(from.source_ip)]);
    }
    ctx.store.charge(env, &charges, now.unix_millis()).await.map_err(|e| limits::refused(e, &charges))?;
    if held_by_another {
        verification.decoy = true;
        tracing::info!(user_id = %user.id, "email change to an address another user holds: no code sent");
        ctx.mailer.pause_like_a_send().await;
    } else {
        ctx.mailer.send_code(email.as_str(), &code).await?;
    }
    Ok(verification)
}
