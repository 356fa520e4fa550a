//! GET /environments/{environmentId}/users/{userId}: the user and their live sessions (the
//! newest `SESSIONS_SHOWN`), as Dynamic's `User` has them.

use crate::context::prefetch::read_user;
use crate::context::AppContext;
use crate::error::ApiResult;
use crate::http::views::{SessionView, UserEnvelope, UserView, UserWithSessions};
use crate::http::{json_response, respond};
use crate::model::values::Timestamp;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Sessions listed with a user (a user signing in daily for a long session could hold dozens).
const SESSIONS_SHOWN: usize = 50;

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(get(ctx, &req).await)
}

async fn get(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let (user, fields) = read_user(ctx, req).await?;
    let sessions = ctx.store.live_sessions(user.project_environment_id, user.id, Timestamp::now()).await?;
    let sessions = sessions.iter().take(SESSIONS_SHOWN).map(SessionView::from).collect();
    Ok(json_response(StatusCode::OK, &UserEnvelope { user: UserWithSessions { user: UserView::new(&user, &fields, false), sessions } }))
}
