//! Exports (Dynamic's `ExportsApi`): an operator asks for a CSV of the environment's users; the
//! request stores a pending export and hands it to the export worker through SQS; the worker
//! streams every user, a page of the user index at a time, into an S3 multipart upload (5 MiB
//! parts, so memory stays flat however many users there are) and records the outcome. The file
//! is fetched through a short-lived presigned URL. SQS redelivers a worker that failed on the way
//! (a throttled table, S3 unreachable); after [`MAX_ATTEMPTS`] receipts the export is marked failed,
//! and the queue's dead-letter queue keeps what could not even be read.

use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::model::values::Timestamp;
use crate::ops::transfer::{csv_columns, csv_row, UserPages};
use crate::store::{ExportRecord, ExportStatus};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// S3's smallest part but the last: the buffer a worker holds.
pub const PART_BYTES: usize = 5 * 1024 * 1024;
/// Receipts of one export's message before it is given up as failed.
pub const MAX_ATTEMPTS: u32 = 3;
/// How long a download link works.
pub const DOWNLOAD_LINK: Duration = Duration::from_secs(300);

/// The queue message: which export to run.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportJob {
    pub environment_id: Uuid,
    pub export_id: Uuid,
}

fn not_configured() -> ApiError {
    ApiError::unavailable("exports_not_configured", "Exports are not configured here (EXPORT_BUCKET, EXPORT_QUEUE_URL).")
}

/// Stores a pending export of `env`'s users and queues its work.
pub async fn create_export(ctx: &AppContext, env: Uuid) -> ApiResult<ExportRecord> {
    let queue = ctx.settings.export_queue_url.as_deref().ok_or_else(not_configured)?;
    ctx.settings.export_bucket.as_deref().ok_or_else(not_configured)?;
    let mut record = ExportRecord::new(env, Timestamp::now());
    ctx.store.put_export(&record, true).await?;
    let job = serde_json::to_string(&ExportJob { environment_id: env, export_id: record.id }).unwrap_or_default();
    if let Err(e) = ctx.export_clients().sqs.send_message().queue_url(queue).message_body(job).send().await {
        tracing::error!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "export could not be queued");
        record.status = ExportStatus::Failed;
        record.error = Some("The export could not be queued; ask again.".into());
        let _ = ctx.store.put_export(&record, false).await;
        return Err(ApiError::unavailable("export_queue_unavailable", "The export could not be queued; ask again."));
    }
    Ok(record)
}

pub async fn find_export(ctx: &AppContext, env: Uuid, id: Uuid) -> ApiResult<ExportRecord> {
    ctx.store.export(env, id).await?.ok_or_else(|| ApiError::not_found("Export").field("exportId"))
}

/// A presigned GET of a completed export's file, valid for [`DOWNLOAD_LINK`].
pub async fn download_url(ctx: &AppContext, record: &ExportRecord) -> ApiResult<String> {
    match record.status {
        ExportStatus::Completed => {}
        ExportStatus::Pending => return Err(ApiError::conflict("export_not_ready", "The export is still running; ask again shortly.")),
        ExportStatus::Failed => return Err(ApiError::conflict("export_failed", "The export failed; create a new one.")),
    }
    let bucket = ctx.settings.export_bucket.as_deref().ok_or_else(not_configured)?;
    let presigning = PresigningConfig::expires_in(DOWNLOAD_LINK).map_err(|_| not_configured())?;
    let request = ctx
        .export_clients()
        .s3
        .get_object()
        .bucket(bucket)
        .key(record.object_key())
        .response_content_disposition(format!("attachment; filename=\"users-{}.csv\"", record.id))
        .presigned(presigning)
        .await
        .map_err(|e| {
            tracing::error!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), "download link could not be signed");
            ApiError::unavailable("storage_unavailable", "The download link could not be made; retry.")
        })?;
    Ok(request.uri().to_string())
}

/// Why a run did not finish: worth SQS's redelivery, or not.
#[derive(Debug)]
pub enum RunError {
    Retry(String),
}

/// The worker's job: runs a pending export to completion (or failure). A finished or unknown
/// export is left alone, so a redelivered message does nothing twice. `attempt` is the message's
/// receive count.
pub async fn run_export(ctx: &AppContext, job: &ExportJob, attempt: u32) -> Result<(), RunError> {
    let retry = |e: ApiError| RunError::Retry(format!("{}: {}", e.code, e.message));
    let Some(mut record) = ctx.store.export(job.environment_id, job.export_id).await.map_err(|e| retry(e.into()))? else {
        tracing::warn!(export_id = %job.export_id, "no such export; message dropped");
        return Ok(());
    };
    if record.status != ExportStatus::Pending {
        return Ok(());
    }
    record.started_at = Some(Timestamp::now());
    ctx.store.put_export(&record, false).await.map_err(|e| retry(e.into()))?;
    match write_file(ctx, &record).await {
        Ok(users) => {
            record.status = ExportStatus::Completed;
            record.users = Some(users);
            tracing::info!(export_id = %record.id, users, "export completed");
        }
        Err(e) if attempt < MAX_ATTEMPTS => return Err(RunError::Retry(e)),
        Err(e) => {
            tracing::error!(export_id = %record.id, error = %e, "export failed");
            record.status = ExportStatus::Failed;
            record.error = Some("The export could not be written; create a new one.".into());
        }
    }
    record.completed_at = Some(Timestamp::now());
    ctx.store.put_export(&record, false).await.map_err(|e| retry(e.into()))
}

/// Streams the CSV into a multipart upload; the number of users written. An upload that fails
/// is aborted (and the bucket's lifecycle rule clears any part left behind).
async fn write_file(ctx: &AppContext, record: &ExportRecord) -> Result<u64, String> {
    let bucket = ctx.settings.export_bucket.as_deref().ok_or("EXPORT_BUCKET is not set")?;
    let s3 = &ctx.export_clients().s3;
    let key = record.object_key();
    let upload = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(&key)
        .content_type("text/csv; charset=utf-8")
        .send()
        .await
        .map_err(|e| format!("create upload: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    let upload_id = upload.upload_id().ok_or("S3 gave no upload id")?.to_string();
    let outcome = async {
        let columns = csv_columns();
        let mut buffer = csv_bytes(&[columns.clone()])?;
        let mut parts = Vec::new();
        let mut count = 0u64;
        let mut pages = UserPages::new(ctx, record.environment_id).await.map_err(|e| e.message)?;
        while let Some(users) = pages.next().await.map_err(|e| e.message)? {
            count += users.len() as u64;
            let rows: Vec<Vec<String>> = users.iter().map(|u| csv_row(&columns, u)).collect();
            buffer.extend(csv_bytes(&rows)?);
            if buffer.len() >= PART_BYTES {
                parts.push(upload_part(s3, bucket, &key, &upload_id, parts.len() as i32 + 1, std::mem::take(&mut buffer)).await?);
            }
        }
        parts.push(upload_part(s3, bucket, &key, &upload_id, parts.len() as i32 + 1, buffer).await?);
        let done = CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
        s3.complete_multipart_upload()
            .bucket(bucket)
            .key(&key)
            .upload_id(&upload_id)
            .multipart_upload(done)
            .send()
            .await
            .map_err(|e| format!("complete upload: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        Ok::<u64, String>(count)
    }
    .await;
    if outcome.is_err() {
        let _ = s3.abort_multipart_upload().bucket(bucket).key(&key).upload_id(&upload_id).send().await;
    }
    outcome
}

fn csv_bytes(rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    for row in rows {
        w.write_record(row).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

async fn upload_part(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, upload_id: &str, number: i32, bytes: Vec<u8>) -> Result<CompletedPart, String> {
    let part = s3
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(number)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map_err(|e| format!("upload part {number}: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    Ok(CompletedPart::builder().part_number(number).set_e_tag(part.e_tag().map(str::to_string)).build())
}
