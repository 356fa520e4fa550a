//! POST /environments/{environmentId}/users

use super::user_rules::{check_configured_values, save_error};
use super::view::{UserEnvelope, UserView};
use crate::context::{AppContext, Want};
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, respond};
use crate::model::input::{Patch, UserInput};
use crate::model::user::{Profile, User};
use crate::model::values::Timestamp;
use crate::store::transact::{Tx, TxError};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use uuid::Uuid;

/// Tries of a create that DynamoDB cancelled only because a concurrent transaction touched the
/// same claim; a real conflict is answered at once.
const CONFLICT_TRIES: usize = 3;

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(create(ctx, &req).await)
}

async fn create(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let loaded = ctx.load(req, env, Want::default()).await?;
    let input: UserInput = json_body(req)?;
    let id = input.id.unwrap_or_else(Uuid::new_v4);
    let user = new_user(id, env, input)?;
    check_configured_values(&loaded.fields, None, &user)?;

    for _ in 0..CONFLICT_TRIES {
        match ctx.store.save_user(None, &user, &loaded.fields, Tx::default()).await {
            Ok(version) => {
                tracing::info!(user_id = %user.id, version, "user created");
                let view = UserView::new(&user, &loaded.fields, true);
                return Ok(json_response(StatusCode::CREATED, &UserEnvelope { user: view }));
            }
            Err(TxError::Conflict) => continue,
            Err(e) => return Err(save_error(e)),
        }
    }
    Err(save_error(TxError::Conflict))
}

fn new_user(id: Uuid, env: Uuid, input: UserInput) -> ApiResult<User> {
    let patch = input.into_patch()?;
    let now = Timestamp::now();
    let mut user = User {
        id,
        project_environment_id: env,
        profile: Profile::default(),
        verified_credentials: Vec::new(),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    match (&patch.email, &patch.email_verified_at) {
        (Patch::Set(email), Patch::Set(at)) => user.set_verified_email(email.clone(), *at),
        (Patch::Set(email), _) => user.profile.email = Some(email.clone()),
        (_, Patch::Set(_)) => {
            return Err(ApiError::bad_request("bad_request", "emailVerifiedAt needs an email.").field("emailVerifiedAt"))
        }
        _ => {}
    }
    patch.apply_to(&mut user.profile);
    Ok(user)
}
