//! POST /environments/{environmentId}/users/bulk  `{"users": [...]}` (at most 50)
//!
//! Each entry is validated and written on its own, by the same path as create-user: a bad or
//! duplicate entry (inside the batch or against the table) fails only itself. The answer is 200
//! `{created: [...], failed: [{index, error, code, payload}], total}`.

use crate::http::views::UserView;
use crate::auth::scopes::Scope;
use crate::context::{AppContext, CompiledFields};
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, json_value, respond};
use crate::model::profile_fields::UserInput;
use crate::context::prefetch::Reads;
use crate::ops::create_user::create_user;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{json, Value};

pub const MAX_BULK_USERS: usize = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkBody {
    users: Vec<Value>,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(bulk(ctx, &req).await)
}

async fn bulk(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let first = ctx.authorize(req, env, Scope::UsersWrite, Reads::default()).await?;
    let body: BulkBody = json_body(req)?;
    if body.users.len() > MAX_BULK_USERS {
        return Err(ApiError::bad_request("too_many_users", format!("At most {MAX_BULK_USERS} users per request.")).field("users"));
    }
    let total = body.users.len();
    let mut created = Vec::new();
    let mut failed = Vec::new();
    // One configuration for every entry: each write still checks its version, and a moved one
    // makes that entry re-read it.
    let compiled = CompiledFields { settings: first.fields, version: first.fields_version };
    for (index, entry) in body.users.into_iter().enumerate() {
        let outcome = match json_value::<UserInput>(entry) {
            Ok(input) => create_user(ctx, env, input, Some(compiled.clone())).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok((user, fields)) => created.push(serde_json::to_value(UserView::new(&user, &fields, true)).unwrap_or_default()),
            Err(e) if e.status.is_server_error() => return Err(e),
            Err(e) => {
                let mut failure = json!({ "index": index, "error": e.message, "code": e.code });
                if !e.payload.is_empty() {
                    failure["payload"] = Value::Object(e.payload.clone());
                }
                failed.push(failure);
            }
        }
    }
    tracing::info!(created = created.len(), failed = failed.len(), "bulk create");
    Ok(json_response(StatusCode::OK, &json!({ "created": created, "failed": failed, "total": total })))
}
