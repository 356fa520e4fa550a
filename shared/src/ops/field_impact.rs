//! The dashboard's preview of a field configuration before it is saved: every user of the
//! environment judged under the current and the proposed configuration
//! ([`crate::model::field_impact`]). Reads only, through the user index (eventually
//! consistent: a user saved a moment ago may not be counted yet), a page at a time, so memory
//! stays flat; past [`MAX_USERS_COUNTED`] users the answer says it counted only those.

use crate::context::AppContext;
use crate::error::ApiResult;
use crate::model::field_impact::{Impact, Tally};
use crate::model::field_settings::FieldSettings;
use crate::store::keys::USER_INDEX_SHARDS;
use uuid::Uuid;

/// About a hundred 1 MB pages: seconds, well inside the function's timeout.
pub const MAX_USERS_COUNTED: usize = 100_000;
const PAGE: i32 = 1_000;

pub async fn field_impact(ctx: &AppContext, env: Uuid, current: &FieldSettings, proposed: &FieldSettings) -> ApiResult<Impact> {
    let mut tally = Tally::new(current, proposed);
    let mut counted = 0;
    for shard in 0..USER_INDEX_SHARDS {
        let mut after = None;
        loop {
            if counted >= MAX_USERS_COUNTED {
                return Ok(tally.finish(true));
            }
            let page = ctx.store.users_page(env, shard, after, PAGE).await?;
            for user in &page.users {
                tally.add(&user.profile);
            }
            counted += page.users.len() + page.unreadable.len();
            match page.last {
                Some(last) => after = Some(last),
                None => break,
            }
        }
    }
    Ok(tally.finish(false))
}
