//! PUT /environments/{environmentId}/users/{userId} (the update itself is `user_update`).

use crate::http::views::{UpdateResponse, UserView};
use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond, user_id};
use crate::model::profile_fields::UserInput;
use crate::context::prefetch::{Access, ReadAgain};
use crate::ops::update_user::{reads, update, Requester};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(put(ctx, &req).await)
}

async fn put(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let user = user_id(req)?;
    let access = Access::ApiKey(Scope::UsersWrite);
    let first = ctx.prefetch(req, env, access, reads(user)).await?;
    let input: UserInput = json_body(req)?;
    if input.id.is_some() {
        return Err(ApiError::bad_request("bad_request", "The id of a user cannot be changed.").field("id"));
    }
    let patch = input.into_patch()?;
    let from = Requester { access, source_ip: None };
    let updated = update(ctx, env, from, &patch, first, &ReadAgain { ctx, req, env, access, reads: reads(user) }).await?;
    tracing::info!(user_id = %user, version = updated.user.version, pending_email = updated.pending.is_some(), "user updated");
    let body = UpdateResponse::new(UserView::new(&updated.user, &updated.fields, false), updated.pending.as_ref());
    Ok(json_response(StatusCode::OK, &body))
}
