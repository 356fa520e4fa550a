//! Deleting a user: one transaction erases the user item, every unique value it holds (each free
//! again at once), its pending verification and its sessions; who deleted it is recorded on the
//! item just before, so the stream's `user.deleted` names them.

use crate::context::prefetch::{Prefetched, Reload};
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::store::Backoff;

/// Tries when the user changes between the read and the delete.
const TRIES: usize = 3;

/// Deletes the user `first` read; `reload` reads it again (with a fresh configuration) when it
/// changed in between.
pub async fn delete_user(ctx: &AppContext, first: Prefetched, again: &impl Reload) -> ApiResult<()> {
    let mut current = first;
    let mut backoff = Backoff::new(TRIES);
    loop {
        let user = current.user.as_ref().ok_or_else(|| ApiError::not_found("User").field("userId"))?;
        match ctx.store.delete_user(user, &current.fields, &current.actor).await {
            Err(e) if backoff.retry(&e).await => current = again.reload().await?,
            outcome => return Ok(outcome?),
        }
    }
}
