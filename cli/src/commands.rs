//! What each command does: a call of the project's own operations, JSON on stdout, a summary on
//! stderr. Arguments arrive typed (clap parsed them); refusals come back as `ApiError`.

use crate::args::ExportFormat;
use std::io::Read;
use std::path::Path;
use userfields::auth::api_keys::is_public_id;
use userfields::auth::scopes::Scopes;
use userfields::context::AppContext;
use userfields::error::ApiError;
use userfields::ops::save_field_settings::edit_field_settings;
use userfields::ops::{api_keys, environments, signing_keys, transfer};
use uuid::Uuid;

pub async fn create_table(ctx: &AppContext) -> Result<(), ApiError> {
    let created = ctx.store.create_table().await?;
    let table = ctx.store.table_name();
    eprintln!("{}", if created { format!("created table {table}") } else { format!("table {table} exists") });
    Ok(())
}

/// The KMS key new signing keys are encrypted under: `SIGNING_KMS_KEY_ID`, else, against a
/// local endpoint, the key the dev stack made under its alias.
async fn signing_kms_key(ctx: &AppContext) -> Result<Option<String>, ApiError> {
    if let Some(key) = &ctx.settings.signing_kms_key_id {
        return Ok(Some(key.clone()));
    }
    if ctx.settings.endpoint_url.is_none() {
        return Ok(None);
    }
    signing_keys::kms_key_by_alias(ctx.keyring.kms(), signing_keys::LOCAL_KMS_KEY_ALIAS).await
}

const NO_KMS_KEY: &str = "set SIGNING_KMS_KEY_ID to the KMS key signing keys are encrypted under (the stack's SigningKeysKmsKey output)";

pub async fn create_environment(ctx: &AppContext, name: &str) -> Result<(), ApiError> {
    // Looked up first: an environment nobody can sign in to is not made by accident.
    let kms_key = signing_kms_key(ctx).await?;
    let (env, key) = environments::create_environment(&ctx.store, name).await?;
    let signing = match &kms_key {
        Some(kms_key) => {
            Some(signing_keys::rotate_signing_key(&ctx.store, ctx.keyring.kms(), kms_key, env, signing_keys::DEFAULT_ROTATION_LEAD).await?)
        }
        None => {
            eprintln!("no signing KMS key (SIGNING_KMS_KEY_ID, or locally the key scripts/dev.sh makes): end users cannot sign in until `userfields rotate-signing-key {env}`");
            None
        }
    };
    println!("{}", serde_json::json!({ "environmentId": env, "apiKey": key.key, "apiKeyId": key.id, "signingKeyId": signing }));
    Ok(())
}

pub async fn rotate_signing_key(ctx: &AppContext, env: Uuid, lead_seconds: u64) -> Result<(), ApiError> {
    let lead = std::time::Duration::from_secs(lead_seconds);
    let kms_key = signing_kms_key(ctx).await?.ok_or_else(|| ApiError::bad_request("usage", NO_KMS_KEY))?;
    let kid = signing_keys::rotate_signing_key(&ctx.store, ctx.keyring.kms(), &kms_key, env, lead).await?;
    println!("{}", serde_json::json!({ "environmentId": env, "signingKeyId": kid, "signsInSeconds": lead_seconds }));
    eprintln!("the new key is published now and signs in {lead_seconds} s; the previous one stays published until its tokens expire");
    Ok(())
}

pub async fn revoke_signing_key(ctx: &AppContext, env: Uuid, kid: &str) -> Result<(), ApiError> {
    let kms_key = signing_kms_key(ctx).await?;
    let replacement = signing_keys::revoke_signing_key(&ctx.store, ctx.keyring.kms(), kms_key.as_deref(), env, kid).await?;
    println!("{}", serde_json::json!({ "environmentId": env, "revokedKeyId": kid, "signingKeyId": replacement }));
    eprintln!("{kid} is out of the JWKS and its tokens are refused from now on");
    Ok(())
}

pub async fn set_audience(ctx: &AppContext, env: Uuid, audience: &str) -> Result<(), ApiError> {
    environments::set_audience(&ctx.store, env, audience).await?;
    eprintln!("tokens of {env} signed from now on carry aud {audience:?} (containers pick it up within a minute)");
    Ok(())
}

pub async fn trust_issuer(ctx: &AppContext, env: Uuid, input: userfields::model::external_auth::IssuerInput) -> Result<(), ApiError> {
    let config = environments::trust_issuer(&ctx.store, env, input, ctx.settings.external_auth_allow_loopback).await?;
    eprintln!("{env} trusts {} issuer(s); external sign-in is on (containers pick it up within a minute)", config.issuers.len());
    Ok(())
}

pub async fn distrust_issuer(ctx: &AppContext, env: Uuid, iss: &str) -> Result<(), ApiError> {
    let config = environments::distrust_issuer(&ctx.store, env, iss).await?;
    eprintln!("{env} trusts {} issuer(s); external sign-in is {}", config.issuers.len(), if config.enabled { "on" } else { "off" });
    Ok(())
}

pub async fn set_session_length(ctx: &AppContext, env: Uuid, seconds: i64) -> Result<(), ApiError> {
    environments::set_session_length(&ctx.store, env, seconds).await?;
    eprintln!("sign-ins to {env} now last {seconds} s (tokens issued from now on)");
    Ok(())
}

pub async fn create_api_key(ctx: &AppContext, env: Uuid, name: &str, scopes: Option<&[String]>) -> Result<(), ApiError> {
    let scopes = match scopes {
        None => Scopes::all(),
        Some(names) => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            Scopes::parse_list(&names).map_err(|e| ApiError::bad_request("invalid_scope", e))?
        }
    };
    let key = api_keys::create_api_key(&ctx.store, env, name, scopes).await?;
    println!("{}", serde_json::json!({ "apiKey": key.key, "apiKeyId": key.id, "name": name, "scopes": scopes.names() }));
    Ok(())
}

pub async fn list_api_keys(ctx: &AppContext, env: Uuid) -> Result<(), ApiError> {
    let keys = ctx.store.api_keys(env).await?;
    println!("{}", serde_json::to_string_pretty(&keys).unwrap_or_default());
    Ok(())
}

pub async fn revoke_api_key_by_id(ctx: &AppContext, id: &str) -> Result<(), ApiError> {
    if !is_public_id(id) {
        return Err(ApiError::bad_request("usage", "--id is the 16 hex digits after uf_ in the key"));
    }
    revoked(api_keys::revoke_api_key_by_id(&ctx.store, id).await?)
}

/// The key comes on standard input, never the command line (shell history, `ps`).
pub async fn revoke_api_key(ctx: &AppContext) -> Result<(), ApiError> {
    let mut key = String::new();
    std::io::stdin()
        .take(1024)
        .read_to_string(&mut key)
        .map_err(|_| ApiError::bad_request("usage", "could not read the key from standard input"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(ApiError::bad_request("usage", "give the key on standard input, or revoke it by --id"));
    }
    revoked(api_keys::revoke_api_key(&ctx.store, key).await?)
}

fn revoked(found: bool) -> Result<(), ApiError> {
    if found {
        eprintln!("key revoked (warm functions forget it within 60 s)");
        Ok(())
    } else {
        Err(ApiError::not_found("API key"))
    }
}

pub async fn verify_sender(ctx: &AppContext) -> Result<(), ApiError> {
    let from = ctx.mailer.from_address();
    match ctx.mailer.client().create_email_identity().email_identity(from).send().await {
        Ok(_) => {
            eprintln!("SES identity {from} registered");
            Ok(())
        }
        Err(e) if e.as_service_error().is_some_and(|e| e.is_already_exists_exception()) => Ok(()),
        Err(e) => Err(ApiError::unavailable("ses_unavailable", format!("{e}"))),
    }
}

/// The settings PUT with no bound on the users claimed for: reads the configuration, marks the
/// field unique and saves it through the same operation (claims first, taken back on failure).
pub async fn switch_to_unique(ctx: &AppContext, env: Uuid, field: &str) -> Result<(), ApiError> {
    let (saved, (), _) = edit_field_settings(ctx, env, None, |specs| {
        let spec = specs
            .iter_mut()
            .find(|s| s.name == field && s.kind == userfields::model::field_spec::FieldKind::Custom)
            .ok_or_else(|| ApiError::not_found("Custom field").field(field))?;
        spec.unique = Some(true);
        if let Some(rules) = spec.validation_rules.as_mut() {
            rules.unique = Some(true);
        }
        Ok(())
    })
    .await?;
    println!("{}", serde_json::json!({ "version": saved.version, "skippedUsers": saved.skipped }));
    eprintln!("{field} is unique (configuration version {})", saved.version);
    Ok(())
}

pub async fn export(ctx: &'static AppContext, env: Uuid, format: ExportFormat) -> Result<(), ApiError> {
    let format = match format {
        ExportFormat::Jsonl => transfer::Format::Jsonl,
        ExportFormat::Csv => transfer::Format::Csv,
    };
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} users exported ({per_sec})").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let count = transfer::export_users(ctx, env, format, out, |n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    eprintln!("{count} users exported");
    Ok(())
}

/// How an import ended when it ran to the end.
pub enum ImportOutcome {
    Complete,
    /// Some lines were not imported (they are in the report).
    Incomplete,
}

pub async fn import(ctx: &'static AppContext, env: Uuid, file: &Path, report: Option<&Path>) -> Result<ImportOutcome, ApiError> {
    use transfer::{failure_line, import_users, Imported};
    let text = std::fs::read_to_string(file).map_err(|e| ApiError::bad_request("unreadable_file", format!("cannot read {}: {e}", file.display())))?;
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let report_path = report.map(Path::to_path_buf).unwrap_or_else(|| format!("{}.failures.jsonl", file.display()).into());
    let mut report_file = std::fs::File::create(&report_path)
        .map_err(|e| ApiError::bad_request("unwritable_file", format!("cannot write {}: {e}", report_path.display())))?;
    let bar = indicatif::ProgressBar::with_draw_target(Some(lines.len() as u64), indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} lines ({per_sec}, eta {eta})").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (mut created, mut existing, mut failed) = (0u64, 0u64, 0u64);
    let mut write_failed = false;
    import_users(ctx, env, lines, 8, |outcome| {
        bar.inc(1);
        match &outcome {
            Imported::Created => created += 1,
            Imported::AlreadyThere => existing += 1,
            Imported::Failed { .. } => failed += 1,
        }
        if let Some(line) = failure_line(&outcome) {
            write_failed |= std::io::Write::write_all(&mut report_file, format!("{line}\n").as_bytes()).is_err();
        }
    })
    .await;
    bar.finish_and_clear();
    eprintln!("{created} created, {existing} already there, {failed} failed (see {})", report_path.display());
    if write_failed {
        return Err(ApiError::unavailable("write_failed", format!("Could not write every failure to {}.", report_path.display())));
    }
    Ok(if failed > 0 { ImportOutcome::Incomplete } else { ImportOutcome::Complete })
}

/// Prints what was indexed as JSON on stdout.
pub async fn index_search(ctx: &AppContext, env: Uuid) -> Result<(), ApiError> {
    let indexed = userfields::ops::index_search::index_users_saved_before_search(ctx, env).await?;
    println!("{}", serde_json::to_string_pretty(&indexed).unwrap_or_default());
    eprintln!("{} users: {} indexed now, {} saved meanwhile, {} unreadable", indexed.users, indexed.indexed, indexed.saved_meanwhile, indexed.unreadable);
    Ok(())
}

/// Prints the report as JSON on stdout and a one-line summary on stderr.
pub async fn reconcile_claims(ctx: &AppContext, env: Uuid, repair: bool) -> Result<(), ApiError> {
    let fields = ctx.store.fields(env).await?.settings();
    let report = ctx.store.reconcile_claims(env, &fields, repair).await?;
    println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    let summary = format!(
        "{} users, {} claims: {} orphaned, {} missing, {} of fields no longer unique, {} unrecorded, {} conflicts, {} unreadable",
        report.users,
        report.claims,
        report.orphaned.len(),
        report.missing.len(),
        report.stale.len(),
        report.unrecorded.len(),
        report.conflicts.len(),
        report.unreadable.len()
    );
    let what = match (report.is_clean(), repair) {
        (true, _) => "nothing to repair",
        (false, true) => "repaired (conflicts are left for an operator)",
        (false, false) => "dry run: run again with --repair to fix",
    };
    eprintln!("{summary}; {what}");
    Ok(())
}
