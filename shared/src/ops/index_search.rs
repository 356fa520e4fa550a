//! Indexing for search the users saved before the search index existed: their items record no
//! entries, so a search by name, phone number, job title, account id or a searchable custom field
//! finds them only after their next save. `userfields index-search` runs this once after an
//! upgrade; a user saved meanwhile is left alone (that save indexed it).

use crate::context::AppContext;
use crate::error::ApiResult;
use serde::Serialize;
use uuid::Uuid;

/// Users read per batch (one `BatchGetItem`).
const BATCH: usize = 100;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Indexed {
    pub users: usize,
    /// Users given their entries now.
    pub indexed: usize,
    /// Users saved between the read and the write: indexed by that save.
    pub saved_meanwhile: usize,
    /// Users whose item did not read (left as they are).
    pub unreadable: usize,
}

pub async fn index_users_saved_before_search(ctx: &AppContext, env: Uuid) -> ApiResult<Indexed> {
    let fields = ctx.store.fields(env).await?.settings();
    let ids = ctx.store.user_ids(env).await?;
    let mut outcome = Indexed { users: ids.len(), ..Indexed::default() };
    for chunk in ids.chunks(BATCH) {
        let (users, unreadable) = ctx.store.users(env, chunk).await?;
        outcome.unreadable += unreadable.len();
        for user in users.iter().filter(|u| u.held_search_entries.is_none()) {
            if ctx.store.index_unrecorded_user(env, user, &fields).await? {
                outcome.indexed += 1;
            } else {
                outcome.saved_meanwhile += 1;
            }
        }
    }
    Ok(outcome)
}
