//! GET /environments/{environmentId}/users/{userId}

use super::view::{UserEnvelope, UserView};
use crate::context::{AppContext, Want};
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_response, respond, user_id};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(get(ctx, &req).await)
}

async fn get(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    tracing::Span::current().record("environment_id", tracing::field::display(env));
    let user_id = user_id(req)?;
    // Fresh configuration with the user, in one round trip: missingFields is never stale.
    let want = Want { user: Some(user_id), fresh_fields: true, ..Want::default() };
    let loaded = ctx.load(req, env, want).await?;
    let user = loaded.user.ok_or_else(|| ApiError::not_found("User").field("userId"))?;
    Ok(json_response(StatusCode::OK, &UserEnvelope { user: UserView::new(&user, &loaded.fields, false) }))
}
