//! Moving an environment's users out and in: the CLI's `export` (JSON lines or CSV, every user
//! as the API returns it, `missingFields` included) and `import` (JSON lines through the same
//! rules as create-user). Import keeps the ids in the file, so running it again after an
//! interruption creates no duplicates: a user already there is counted, not failed.

use crate::model::actor::Actor;
use crate::context::{AppContext, CompiledFields};
use crate::error::{ApiError, ApiResult};
use crate::http::views::UserView;
use crate::http::json_value;
use crate::model::profile_fields::{OTHER_FIELDS, PREMADE_FIELDS, UserInput};
use crate::store::keys::USER_INDEX_SHARDS;
use crate::ops::create_user::create_user;
use serde_json::{json, Map, Value};
use std::io::Write;
use tokio::task::JoinSet;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

/// Users read per index query while exporting.
const EXPORT_PAGE: i32 = 100;

/// The CSV columns: ids, every pre-made and other profile value, credentials, dates, and the
/// names of the missing fields (`;`-separated). Non-text values are written as JSON.
pub fn csv_columns() -> Vec<String> {
    let mut columns = vec!["id".to_string(), "projectEnvironmentId".to_string()];
    columns.extend(PREMADE_FIELDS.iter().map(|f| f.name.to_string()));
    columns.extend(OTHER_FIELDS.iter().map(|f| f.to_string()));
    for extra in ["verifiedCredentials", "wallets", "oauthAccounts", "lastVerifiedCredentialId", "createdAt", "updatedAt", "missingFields"] {
        columns.push(extra.to_string());
    }
    columns
}

/// A cell as written: one that a spreadsheet would run as a formula (it starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return; end users set most of these values) is prefixed with
/// `'`, as OWASP advises. JSON lines stay exact.
fn csv_cell(column: &str, value: Option<&Value>) -> String {
    let text = raw_csv_cell(column, value);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

fn raw_csv_cell(column: &str, value: Option<&Value>) -> String {
    match (column, value) {
        (_, None | Some(Value::Null)) => String::new(),
        ("missingFields", Some(Value::Array(fields))) => {
            fields.iter().filter_map(|f| f["name"].as_str()).collect::<Vec<_>>().join(";")
        }
        (_, Some(Value::String(s))) => s.clone(),
        (_, Some(other)) => other.to_string(),
    }
}

/// Writes every user of `env` to `out`, in id order; `progress` hears each one. Returns the count.
pub async fn export_users<W: Write>(ctx: &AppContext, env: Uuid, format: Format, mut out: W, mut progress: impl FnMut(u64)) -> ApiResult<u64> {
    let write_error = |e: std::io::Error| ApiError::unavailable("write_failed", format!("Could not write the export: {e}"));
    let columns = csv_columns();
    let count = match format {
        Format::Jsonl => {
            let count = each_user(ctx, env, |view, n| {
                progress(n);
                writeln!(out, "{view}").map_err(write_error)
            })
            .await?;
            out.flush().map_err(write_error)?;
            count
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(&columns).map_err(|e| write_error(e.into()))?;
            let count = each_user(ctx, env, |view, n| {
                progress(n);
                w.write_record(csv_row(&columns, view)).map_err(|e| write_error(e.into()))
            })
            .await?;
            w.flush().map_err(write_error)?;
            count
        }
    };
    Ok(count)
}

/// Calls `emit` with every user of `env` as the API returns it, and the running count.
async fn each_user(ctx: &AppContext, env: Uuid, mut emit: impl FnMut(&Value, u64) -> ApiResult<()>) -> ApiResult<u64> {
    let mut pages = UserPages::new(ctx, env).await?;
    let mut count = 0;
    while let Some(users) = pages.next().await? {
        for user in &users {
            count += 1;
            emit(user, count)?;
        }
    }
    Ok(count)
}

/// Every user of `env` as the API returns it, a page of the user index at a time, in id order
/// (shard order then id order), judged by the configuration read when it began: what an export
/// streams, holding one page in memory.
pub struct UserPages<'a> {
    ctx: &'a AppContext,
    env: Uuid,
    fields: std::sync::Arc<crate::model::field_settings::FieldSettings>,
    shard: u32,
    after: Option<Uuid>,
}

impl<'a> UserPages<'a> {
    pub async fn new(ctx: &'a AppContext, env: Uuid) -> ApiResult<Self> {
        let fields = ctx.fresh_fields(env).await?.settings;
        Ok(Self { ctx, env, fields, shard: 0, after: None })
    }

    /// The next page (possibly empty when a shard ends); `None` once every shard is read.
    pub async fn next(&mut self) -> ApiResult<Option<Vec<Value>>> {
        if self.shard >= USER_INDEX_SHARDS {
            return Ok(None);
        }
        let page = self.ctx.store.users_page(self.env, self.shard, self.after, EXPORT_PAGE).await?;
        if !page.unreadable.is_empty() {
            tracing::warn!(skipped = ?page.unreadable, "unreadable users left out of the export");
        }
        match page.last {
            Some(last) => self.after = Some(last),
            None => {
                self.shard += 1;
                self.after = None;
            }
        }
        Ok(Some(page.users.iter().map(|u| serde_json::to_value(UserView::new(u, &self.fields, false)).unwrap_or_default()).collect()))
    }
}

/// One CSV row of a user as the API returns it, in [`csv_columns`] order, formula cells
/// neutralised.
pub fn csv_row(columns: &[String], view: &Value) -> Vec<String> {
    columns.iter().map(|c| csv_cell(c, view.get(c))).collect()
}

/// What importing one line came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Imported {
    Created,
    /// A user with the line's id is already there (an earlier, interrupted run).
    AlreadyThere,
    Failed { line: usize, id: Option<String>, code: String, error: String, payload: Value },
}

/// An exported user as a create-user body: values it can be given back, credentials as the
/// `wallets` / `oauthAccounts` lists that recreate them, response-only properties left out.
pub fn import_body(exported: Value) -> Result<Value, String> {
    let Value::Object(mut user) = exported else { return Err("a line must be a JSON object".into()) };
    let credentials = match user.remove("verifiedCredentials") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    for response_only in ["projectEnvironmentId", "missingFields", "newUser", "createdAt", "updatedAt", "lastVerifiedCredentialId", "wallets", "oauthAccounts"] {
        user.remove(response_only);
    }
    let pick = |c: &Value, pairs: &[(&str, &str)]| -> Value {
        Value::Object(pairs.iter().filter(|(from, _)| !c[*from].is_null()).map(|(from, to)| (to.to_string(), c[*from].clone())).collect::<Map<_, _>>())
    };
    let wallets: Vec<Value> = credentials
        .iter()
        .filter(|c| c["format"] == "blockchain")
        .map(|c| pick(c, &[("address", "publicWalletAddress"), ("chain", "chain"), ("wallet_name", "walletName"), ("wallet_provider", "walletProvider"), ("wallet_additional_addresses", "additionalWalletAddresses")]))
        .collect();
    let accounts: Vec<Value> = credentials
        .iter()
        .filter(|c| c["format"] == "oauth")
        .map(|c| pick(c, &[("oauth_provider", "provider"), ("oauth_account_id", "accountId"), ("oauth_emails", "emails"), ("oauth_display_name", "displayName"), ("oauth_username", "username"), ("oauth_account_photos", "photos"), ("oauth_metadata", "profile")]))
        .collect();
    if !wallets.is_empty() {
        user.insert("wallets".into(), Value::Array(wallets));
    }
    if !accounts.is_empty() {
        user.insert("oauthAccounts".into(), Value::Array(accounts));
    }
    Ok(Value::Object(user))
}

async fn import_line(ctx: &'static AppContext, env: Uuid, fields: Option<CompiledFields>, number: usize, text: String) -> Imported {
    let failed = |id: Option<String>, e: ApiError| Imported::Failed {
        line: number,
        id,
        code: e.code.to_string(),
        error: e.message.clone(),
        payload: Value::Object(e.payload.clone()),
    };
    let parsed: Result<Value, _> = serde_json::from_str(&text);
    let body = match parsed.map_err(|e| e.to_string()).and_then(import_body) {
        Ok(body) => body,
        Err(why) => return failed(None, ApiError::bad_request("bad_request", format!("Line {number}: {why}"))),
    };
    let id = body["id"].as_str().map(str::to_string);
    let input: UserInput = match json_value(body) {
        Ok(input) => input,
        Err(e) => return failed(id, e),
    };
    match create_user(ctx, env, input, fields, Actor::Operator).await {
        Ok(_) => Imported::Created,
        Err(e) if e.code == "user_already_exists" => Imported::AlreadyThere,
        Err(e) => failed(id, e),
    }
}

/// Imports JSON lines into `env`, `concurrency` creates at a time (each is one small
/// transaction, far inside DynamoDB's limits); `done` hears every outcome in line order per batch.
pub async fn import_users(
    ctx: &'static AppContext,
    env: Uuid,
    lines: Vec<String>,
    concurrency: usize,
    mut done: impl FnMut(Imported),
) {
    // One read of the configuration for the whole file (each write still checks its version).
    let fields = ctx.fresh_fields(env).await.ok();
    let numbered: Vec<(usize, String)> =
        lines.into_iter().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(|(i, l)| (i + 1, l)).collect();
    for batch in numbered.chunks(concurrency.max(1)) {
        let mut tasks = JoinSet::new();
        for (number, text) in batch.iter().cloned() {
            let fields = fields.clone();
            tasks.spawn(async move { (number, import_line(ctx, env, fields, number, text).await) });
        }
        let mut outcomes = Vec::with_capacity(batch.len());
        while let Some(joined) = tasks.join_next().await {
            if let Ok(outcome) = joined {
                outcomes.push(outcome);
            }
        }
        outcomes.sort_by_key(|(number, _)| *number);
        outcomes.into_iter().for_each(|(_, outcome)| done(outcome));
    }
}

/// A failure as a line of the report file.
pub fn failure_line(outcome: &Imported) -> Option<String> {
    match outcome {
        Imported::Failed { line, id, code, error, payload } => {
            Some(json!({ "line": line, "id": id, "code": code, "error": error, "payload": payload }).to_string())
        }
        _ => None,
    }
}
