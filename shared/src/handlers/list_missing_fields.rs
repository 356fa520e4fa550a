//! GET /environments/{environmentId}/users/{userId}/missingFields

use crate::context::prefetch::read_user;
use crate::context::AppContext;
use crate::error::ApiResult;
use crate::http::{json_response, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(list(ctx, &req).await)
}

async fn list(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let (user, fields) = read_user(ctx, req).await?;
    Ok(json_response(StatusCode::OK, &json!({ "missingFields": fields.missing(&user.profile) })))
}
