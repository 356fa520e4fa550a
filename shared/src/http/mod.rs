//! Request parsing and response building shared by every handler.

pub mod bearer;
pub mod custom_fields;
pub mod project_settings;
pub mod sdk_views;
pub mod views;
mod objects_only;

use crate::error::{ApiError, ApiResult};
use lambda_http::http::{header, StatusCode};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

/// Largest request body accepted; the biggest valid user is far below this.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(text))
        .expect("static response parts are valid")
}

/// A response without a body (204).
pub fn empty_response(status: StatusCode) -> Response<Body> {
    Response::builder().status(status).body(Body::Empty).expect("static response parts are valid")
}

pub fn error_response(err: &ApiError) -> Response<Body> {
    let mut response = json_response(err.status, &err.body());
    if let Some(seconds) = err.retry_after() {
        response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

/// Turns a handler outcome into the HTTP answer; errors are logged by code, never with secrets.
pub fn respond(result: ApiResult<Response<Body>>) -> Response<Body> {
    match result {
        Ok(resp) => resp,
        Err(err) => {
            if err.status.is_server_error() {
                tracing::error!(code = err.code, status = err.status.as_u16(), "request failed");
            } else {
                tracing::info!(code = err.code, status = err.status.as_u16(), "request rejected");
            }
            error_response(&err)
        }
    }
}

/// A path parameter: from API Gateway's `pathParameters` when present, else from the raw path
/// (`.../<segment_before>/<value>/...`), so function URLs and `cargo lambda watch` work too.
pub fn path_uuid(req: &Request, name: &str, segment_before: &str) -> ApiResult<Uuid> {
    let params = req.path_parameters();
    let raw = match params.first(name) {
        Some(v) => Some(v.to_string()),
        None => {
            let path = req.raw_http_path();
            let mut segments = path.split('/');
            let mut found = None;
            while let Some(s) = segments.next() {
                if s == segment_before {
                    found = segments.next().map(str::to_string);
                    break;
                }
            }
            found
        }
    };
    let raw = raw.ok_or_else(|| {
        ApiError::bad_request("bad_request", format!("The path has no {name}.")).field(name)
    })?;
    Uuid::parse_str(&raw)
        .map_err(|_| ApiError::bad_request("invalid_uuid", format!("{name} must be a UUID.")).field(name))
}

/// The path's environment id, also recorded on the request's log span.
pub fn environment_id(req: &Request) -> ApiResult<Uuid> {
    environment_after(req, "environments")
}

/// The environment of an end-user route of Dynamic's protocol, `/sdk/{environmentId}/...`.
pub fn sdk_environment_id(req: &Request) -> ApiResult<Uuid> {
    environment_after(req, "sdk")
}

/// The `environmentId` path parameter (after `segment` in a raw path), recorded in the span.
fn environment_after(req: &Request, segment: &str) -> ApiResult<Uuid> {
    let env = path_uuid(req, "environmentId", segment)?;
    tracing::Span::current().record("environment_id", tracing::field::display(env));
    Ok(env)
}

/// The last segment of the request's path (`.../emailVerifications/signin` → `signin`): which
/// route of a resource's function this is.
pub fn last_segment(req: &Request) -> String {
    req.raw_http_path().trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string()
}

/// A route this function does not serve (a clear JSON 404, never a 5xx).
pub fn no_such_route(req: &Request) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", format!("No route {} {}.", req.method(), req.raw_http_path()))
}

pub fn user_id(req: &Request) -> ApiResult<Uuid> {
    path_uuid(req, "userId", "users")
}

fn body_bytes(req: &Request) -> ApiResult<&[u8]> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        ));
    }
    Ok(bytes)
}

/// The query parameters, refused (`code`, naming it) when one is not in `allowed`.
pub fn known_query(req: &Request, allowed: &[&str], code: &'static str) -> ApiResult<QueryMap> {
    let query = req.query_string_parameters();
    if let Some((unknown, _)) = query.iter().find(|(k, _)| !allowed.contains(k)) {
        return Err(ApiError::bad_request(code, format!("Unknown query parameter {unknown}.")).field(unknown.to_string()));
    }
    Ok(query)
}

/// The first byte of a body that is not JSON whitespace: what kind of value it holds.
fn first_token(bytes: &[u8]) -> Option<&u8> {
    bytes.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// A list of entries: a top-level array, or an object holding only `key` with the array. Each
/// entry is judged on its own later, with [`json_value`] (one that is no object fails alone).
pub fn json_list_body(req: &Request, key: &str) -> ApiResult<Vec<serde_json::Value>> {
    let bytes = body_bytes(req)?;
    let first = first_token(bytes);
    let list = match first {
        Some(b'[') => serde_json::from_slice::<Vec<serde_json::Value>>(bytes)
            .map_err(|_| ApiError::bad_request("bad_request", "The request body is not valid JSON."))?,
        Some(b'{') => {
            let mut object: serde_json::Map<String, serde_json::Value> = json_body(req)?;
            if let Some(other) = object.keys().find(|k| k.as_str() != key) {
                return Err(ApiError::bad_request("bad_request", format!("Unknown field {other}.")).field(other.clone()));
            }
            match object.remove(key) {
                Some(serde_json::Value::Array(list)) => list,
                _ => return Err(ApiError::bad_request("bad_request", format!("{key} must be an array.")).field(key.to_string())),
            }
        }
        _ => return Err(ApiError::bad_request("bad_request", "The request body must be a JSON array or object.")),
    };
    Ok(list)
}

/// Parses the JSON body into `T`; a syntax, type or unknown-field error is a 400 naming the field.
/// Every body is a JSON object, and so is every struct inside it (never an array by position).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> ApiResult<T> {
    let bytes = body_bytes(req)?;
    let first = first_token(bytes);
    if first != Some(&b'{') {
        return Err(ApiError::bad_request("bad_request", "The request body must be a JSON object."));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(objects_only::ObjectsOnly(&mut *de))
        .map_err(|e| shape_error(e, "Invalid request body"))?;
    de.end()
        .map_err(|_| ApiError::bad_request("bad_request", "The request body is not valid JSON."))?;
    Ok(value)
}

/// Parses one JSON value into `T` under the same rules as a body (structs only from objects),
/// naming the field of any error (for the entries of a bulk request).
pub fn json_value<T: DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    if !value.is_object() {
        return Err(ApiError::bad_request("bad_request", "Each entry must be a JSON object."));
    }
    serde_path_to_error::deserialize(objects_only::ObjectsOnly(value)).map_err(|e| shape_error(e, "Invalid entry"))
}

/// A JSON syntax, type or unknown-field error as a 400 naming the field.
fn shape_error(e: serde_path_to_error::Error<serde_json::Error>, what: &str) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::bad_request("bad_request", "The request body is not valid JSON.");
    }
    let text = inner.to_string();
    let err = ApiError::bad_request("bad_request", format!("{what}: {text}"));
    // serde reports an unknown field at its parent's path; name the field itself.
    match unknown_field_name(&text) {
        Some(name) if path == "." || path.is_empty() => err.field(name),
        Some(name) if !path.ends_with(name) => err.field(format!("{path}.{name}")),
        _ if path == "." || path.is_empty() => err,
        _ => err.field(path),
    }
}

fn unknown_field_name(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// The caller's address as API Gateway saw it (never a client-supplied header).
pub fn source_ip(req: &Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(c) => c.http.source_ip.clone(),
        RequestContext::ApiGatewayV1(c) => c.identity.source_ip.clone(),
        _ => None,
    }
}

/// The origin clients reach this API at: `configured` (`PUBLIC_BASE_URL`) when set, else the
/// domain API Gateway received the request on (set by API Gateway, not by the client).
pub fn public_base(req: &Request, configured: Option<&str>) -> String {
    use lambda_http::request::RequestContext;
    if let Some(base) = configured {
        return base.trim_end_matches('/').to_string();
    }
    let domain = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.domain_name.clone(),
        Some(RequestContext::ApiGatewayV1(c)) => c.domain_name.clone(),
        _ => None,
    };
    format!("https://{}", domain.unwrap_or_else(|| "localhost".into()))
}
