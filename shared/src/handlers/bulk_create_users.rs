//! POST /environments/{environmentId}/users/bulk (at most 50), as Dynamic's `bulkCreateUser`:
//! a top-level array of users (`{"users": [...]}` too), `?upsert=true` to update the users the
//! entries name (by `id`, else by `email`) instead of failing them.
//!
//! Each entry is validated and written on its own, by the same path as create-user (or
//! update-user): a bad or duplicate entry (inside the batch or against the table) fails only
//! itself. The answer is 200 `{created: [...], updated: [...], failed: [{index, user, error,
//! code, payload}], total}`, `user` being the entry as sent.

use crate::auth::scopes::Scope;
use crate::context::prefetch::Reads;
use crate::context::{AppContext, CompiledFields};
use crate::error::{ApiError, ApiResult};
use crate::http::views::UserView;
use crate::http::{environment_id, json_list_body, json_response, json_value, known_query, respond};
use crate::model::profile_fields::UserInput;
use crate::ops::upsert_user::{upsert_user, Upserted};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

pub const MAX_BULK_USERS: usize = 50;

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(bulk(ctx, &req).await)
}

/// `?upsert=true|false` (absent: false); any other parameter is refused.
fn upsert_of(req: &Request) -> ApiResult<bool> {
    let query = known_query(req, &["upsert"], "unknown_query_parameter")?;
    match query.first("upsert") {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad_request("invalid_upsert", "upsert is true or false.").field("upsert")),
    }
}

async fn bulk(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let first = ctx.authorize(req, env, Scope::UsersWrite, Reads::default()).await?;
    let upsert = upsert_of(req)?;
    let entries = json_list_body(req, "users")?;
    if entries.is_empty() {
        return Err(ApiError::bad_request("no_users", "Give at least one user.").field("users"));
    }
    if entries.len() > MAX_BULK_USERS {
        return Err(ApiError::bad_request("too_many_users", format!("At most {MAX_BULK_USERS} users per request.")).field("users"));
    }
    let total = entries.len();
    let (mut created, mut updated, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    // One configuration for every entry: each write still checks its version, and a moved one
    // makes that entry re-read it.
    let compiled = CompiledFields { settings: first.fields, version: first.fields_version };
    for (index, entry) in entries.into_iter().enumerate() {
        let outcome = match json_value::<UserInput>(entry.clone()) {
            Ok(input) => upsert_user(ctx, env, input, upsert, &compiled, &first.actor).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(Upserted::Created(user, fields)) => created.push(serde_json::to_value(UserView::new(&user, &fields, true)).unwrap_or_default()),
            Ok(Upserted::Updated(user, fields)) => updated.push(serde_json::to_value(UserView::new(&user, &fields, false)).unwrap_or_default()),
            Err(e) if e.status.is_server_error() => return Err(e),
            Err(e) => {
                let mut failure = json!({ "index": index, "user": entry, "error": e.message, "code": e.code });
                if !e.payload.is_empty() {
                    failure["payload"] = Value::Object(e.payload.clone());
                }
                failed.push(failure);
            }
        }
    }
    tracing::info!(created = created.len(), updated = updated.len(), failed = failed.len(), "bulk create");
    Ok(json_response(StatusCode::OK, &json!({ "created": created, "updated": updated, "failed": failed, "total": total })))
}
