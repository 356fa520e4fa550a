//! GET /environments/{environmentId}/users/{userId}

use crate::context::prefetch::read_user;
use crate::http::views::{UserEnvelope, UserView};
use crate::context::AppContext;
use crate::error::ApiResult;
use crate::http::{json_response, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(get(ctx, &req).await)
}

async fn get(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let (user, fields) = read_user(ctx, req).await?;
    Ok(json_response(StatusCode::OK, &UserEnvelope { user: UserView::new(&user, &fields, false) }))
}
