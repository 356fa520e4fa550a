//! POST /environments/{environmentId}/users

use crate::http::views::{UserEnvelope, UserView};
use crate::auth::scopes::Scope;
use crate::context::{AppContext, CompiledFields};
use crate::error::ApiResult;
use crate::http::{environment_id, json_body, json_response, respond};
use crate::model::profile_fields::UserInput;
use crate::context::prefetch::Reads;
use crate::ops::create_user::create_user;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(create(ctx, &req).await)
}

async fn create(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let first = ctx.authorize(req, env, Scope::UsersWrite, Reads::default()).await?;
    let input: UserInput = json_body(req)?;
    let compiled = CompiledFields { settings: first.fields, version: first.fields_version };
    let (saved, fields) = create_user(ctx, env, input, Some(compiled), first.actor).await?;
    Ok(json_response(StatusCode::CREATED, &UserEnvelope { user: UserView::new(&saved, &fields, true) }))
}

