//! Dynamic's `ExportsApi`: POST /environments/{environmentId}/exports (`{format: "csv", model:
//! "users"}` → a pending `Export`, its work queued for the export worker), GET .../exports (the
//! newest hundred, `{exports}`; `?model=`), GET .../exports/{exportId}, and GET
//! .../exports/{exportId}/download (302 to a presigned S3 URL valid five minutes; 409 while
//! pending or once failed). Every route needs an API key with `users:read`: Dynamic's generated
//! client declares no bearer security on some of them, but the routes require it all the same.

use crate::auth::scopes::Scope;
use crate::context::prefetch::Reads;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_body, json_response, known_query, last_segment, path_uuid, respond};
use crate::ops::exports::{create_export, download_url, find_export};
use crate::store::{ExportRecord, ExportStatus};
use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Dynamic's `ExportCreateRequest`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportCreateRequest {
    format: String,
    model: String,
}

/// Dynamic's `Export`, with `userCount` once completed (our extension).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportView<'a> {
    id: Uuid,
    format: &'a str,
    model: &'a str,
    status: ExportStatus,
    created_at: String,
    started_at: Option<String>,
    completed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    download_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_count: Option<u64>,
}

impl<'a> ExportView<'a> {
    fn new(record: &'a ExportRecord) -> Self {
        Self {
            id: record.id,
            format: &record.format,
            model: &record.model,
            status: record.status,
            created_at: record.created_at.to_rfc3339(),
            started_at: record.started_at.map(|t| t.to_rfc3339()),
            completed_at: record.completed_at.map(|t| t.to_rfc3339()),
            // The API's own download route: it signs a fresh link on each call.
            download_url: (record.status == ExportStatus::Completed)
                .then(|| format!("/environments/{}/exports/{}/download", record.environment_id, record.id)),
            error: record.error.as_deref(),
            user_count: record.users,
        }
    }
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(route(ctx, &req).await)
}

async fn route(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    ctx.authorize(req, env, Scope::UsersRead, Reads::default()).await?;
    let segment = last_segment(req);
    match (req.method(), segment.as_str()) {
        (&Method::POST, "exports") => {
            let body: ExportCreateRequest = json_body(req)?;
            if body.format != "csv" {
                return Err(ApiError::bad_request("unsupported_export_format", "format is csv.").field("format"));
            }
            if body.model != "users" {
                return Err(ApiError::bad_request("unsupported_export_model", "model is users (there are no visits here).").field("model"));
            }
            let record = create_export(ctx, env).await?;
            tracing::info!(export_id = %record.id, "export queued");
            Ok(json_response(StatusCode::CREATED, &ExportView::new(&record)))
        }
        (&Method::GET, "exports") => {
            let query = known_query(req, &["model"], "bad_request")?;
            let records = ctx.store.exports(env).await?;
            let wanted = query.first("model");
            let exports: Vec<ExportView> = records.iter().filter(|r| wanted.is_none_or(|m| m == r.model)).map(ExportView::new).collect();
            Ok(json_response(StatusCode::OK, &json!({ "exports": exports })))
        }
        (&Method::GET, "download") => {
            let record = find_export(ctx, env, path_uuid(req, "exportId", "exports")?).await?;
            let url = download_url(ctx, &record).await?;
            let mut response = json_response(StatusCode::FOUND, &json!({ "url": url }));
            response.headers_mut().insert(header::LOCATION, url.parse().map_err(|_| ApiError::unavailable("storage_unavailable", "The download link is unusable."))?);
            response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            Ok(response)
        }
        (&Method::GET, _) => {
            let record = find_export(ctx, env, path_uuid(req, "exportId", "exports")?).await?;
            Ok(json_response(StatusCode::OK, &ExportView::new(&record)))
        }
        (_, "exports") => Err(ApiError::method_not_allowed("GET or POST")),
        _ => Err(ApiError::method_not_allowed("GET")),
    }
}
