//! GET /sdk/{environmentId}/settings and /nonces (public): what Dynamic's client reads at start.
//! `settings` is a `ProjectSettings` with email sign-in on, `kyc` = the fields an end user's form
//! may show (as `settings/userFields` lists them) and minimal, valid defaults for the sections
//! userfields does not implement (no chains, captcha, cookies or embedded wallets: the client
//! then asks for none). `nonces` feeds the client's device-signature pool; the signatures are
//! not checked here, so any fresh random strings do.

use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{json_response, last_segment, no_such_route, respond, sdk_environment_id};
use crate::model::field_access::form_fields;
use crate::http::project_settings::ProjectSettings;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use rand::Rng;
use serde_json::json;

/// Most nonces one call hands out (the client asks for five).
const MAX_NONCES: usize = 20;

/// Also every route of Dynamic's protocol that userfields does not serve (SMS, wallets, MFA,
/// passkeys...; `template.yaml` sends `/sdk/{environmentId}/{proxy+}` here): a JSON 404 that
/// Dynamic's client raises as an error with its `code`, where API Gateway's own would not be.
pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    let route = last_segment(&req);
    // `/sdk/{environmentId}/settings` or `/nonces`, not a deeper path ending alike.
    let path = req.raw_http_path();
    let after_sdk: Vec<&str> = path.trim_end_matches('/').rsplit("/sdk/").next().unwrap_or_default().split('/').collect();
    let served = after_sdk.len() == 2 && matches!(route.as_str(), "settings" | "nonces");
    let result = match (served, req.method() == Method::GET) {
        (false, _) => Err(no_such_route(&req)),
        (true, false) => Err(ApiError::method_not_allowed("GET")),
        (true, true) if route == "settings" => settings(ctx, &req).await,
        (true, true) => nonces(&req),
    };
    respond(result)
}

async fn settings(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = sdk_environment_id(req)?;
    // The configuration is read fresh: a client starting right after the operator saved one
    // gets the form that sign-in will judge by.
    let (environment, fields) = tokio::join!(ctx.environment(env), ctx.fresh_fields(env));
    let environment = environment?;
    let fields = fields?.settings;
    let body = ProjectSettings::new(&environment.name, form_fields(&fields));
    Ok(json_response(StatusCode::OK, &body))
}

fn nonces(req: &Request) -> ApiResult<Response<Body>> {
    sdk_environment_id(req)?;
    let count = match req.query_string_parameters().first("count") {
        None => 5,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_NONCES).contains(n))
            .ok_or_else(|| ApiError::bad_request("invalid_count", format!("count is 1 to {MAX_NONCES}.")).field("count"))?,
    };
    let mut rng = rand::rng();
    let nonces: Vec<String> = (0..count).map(|_| hex::encode(rng.random::<[u8; 16]>())).collect();
    Ok(json_response(StatusCode::OK, &json!({ "nonces": nonces })))
}
