//! `userfields`: operator commands, configured by the same environment variables as the
//! functions (TABLE_NAME, AWS_ENDPOINT_URL, ...).
//!
//!   userfields create-table                  create the table if missing (idempotent)
//!   userfields create-environment [--name N] print {"environmentId","apiKey","apiKeyId"}; the key is
//!                                            shown once and holds every scope
//!   userfields create-api-key ENVIRONMENT_ID [--name N] [--scopes users:read,users:write,...]
//!                                            another key (rotation, or a narrower one), shown once
//!   userfields list-api-keys ENVIRONMENT_ID  ids, names, scopes (never a secret)
//!   userfields revoke-api-key --id ID        delete a key by its public id (the `uf_<id>_...` part)
//!   userfields revoke-api-key                delete the key read from standard input
//!                                            (warm functions forget a revoked key within 60 s)
//!   userfields rotate-signing-key ENVIRONMENT_ID [--lead SECONDS]
//!                                            a new RSA key is published at once and signs the
//!                                            environment's tokens SECONDS later (default 7200:
//!                                            what API Gateway may cache a JWKS for); the old
//!                                            one stays in the JWKS until its tokens expire
//!                                            (needs SIGNING_KMS_KEY_ID; create-environment makes
//!                                            the first key when it is set)
//!   userfields revoke-signing-key ENVIRONMENT_ID KID
//!                                            retire a leaked key at once: out of the JWKS, its
//!                                            tokens refused; a new key signs if it signed
//!   userfields set-audience ENVIRONMENT_ID AUDIENCE
//!                                            the tokens' `aud` (default: the environment id)
//!   userfields set-session-length ENVIRONMENT_ID SECONDS
//!                                            how long end-user sign-ins last (default 7 days)
//!   userfields verify-sender                 register EMAIL_FROM as an SES identity
//!   userfields switch-to-unique ENVIRONMENT_ID FIELD
//!                                            make a custom field unique however many users the
//!                                            environment has (the API refuses above 2,000)
//!   userfields export ENVIRONMENT_ID [--format jsonl|csv]
//!                                            every user (with missingFields) to stdout, in id
//!                                            order; a progress line on stderr
//!   userfields import ENVIRONMENT_ID FILE.jsonl [--report FAILURES.jsonl]
//!                                            users through create-user's rules, 8 at a time, ids
//!                                            kept (a rerun skips those already there); failures
//!                                            go to FILE.failures.jsonl unless --report says
//!   userfields reconcile-claims ENVIRONMENT_ID [--repair]
//!                                            find (and with --repair, fix) uniqueness claims out
//!                                            of step with the users' claims records

use std::io::Read;
use std::process::ExitCode;
use userfields::ops::{api_keys, environments, signing_keys};
use userfields::auth::api_keys::is_public_id;
use userfields::auth::scopes::Scopes;
use userfields::context::AppContext;
use userfields::error::ApiError;
use uuid::Uuid;

const USAGE: &str = "usage: userfields create-table | create-environment [--name NAME] | \
create-api-key ENVIRONMENT_ID [--name NAME] [--scopes S1,S2] | list-api-keys ENVIRONMENT_ID | \
revoke-api-key --id ID | revoke-api-key (key on stdin) | rotate-signing-key ENVIRONMENT_ID [--lead SECONDS] | \
revoke-signing-key ENVIRONMENT_ID KID | set-audience ENVIRONMENT_ID AUDIENCE | \
set-session-length ENVIRONMENT_ID SECONDS | verify-sender | \
switch-to-unique ENVIRONMENT_ID FIELD | export ENVIRONMENT_ID [--format jsonl|csv] | \
import ENVIRONMENT_ID FILE.jsonl [--report FAILURES.jsonl] | reconcile-claims ENVIRONMENT_ID [--repair]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The SDK's own account of a failed call (refused connection, missing credentials...) goes
    // to stderr as one plain line.
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(tracing::Level::ERROR).without_time().try_init();
    let settings = match userfields::settings::Settings::for_admin() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("userfields: {e}");
            return ExitCode::FAILURE;
        }
    };
    let sdk = userfields::aws::sdk_config(&settings).await;
    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        eprintln!("userfields: no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a profile with a region)");
        return ExitCode::FAILURE;
    };
    let target = match &settings.endpoint_url {
        Some(url) => format!("the endpoint {url}"),
        None => format!("AWS in {region}"),
    };
    let ctx: &'static AppContext = Box::leak(Box::new(AppContext::new(&sdk, settings)));
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["export", env] => export(ctx, env, "jsonl").await,
        ["export", env, "--format", format] => export(ctx, env, format).await,
        ["import", env, file] => import(ctx, env, file, None).await,
        ["import", env, file, "--report", report] => import(ctx, env, file, Some(report)).await,
        ["create-table"] => create_table(&ctx).await,
        ["create-environment"] => create_environment(&ctx, "default").await,
        ["create-environment", "--name", name] => create_environment(&ctx, name).await,
        ["create-api-key", env, options @ ..] => create_api_key(&ctx, env, options).await,
        ["list-api-keys", env] => list_api_keys(&ctx, env).await,
        ["revoke-api-key", "--id", id] => revoke_api_key_by_id(&ctx, id).await,
        ["revoke-api-key"] => revoke_api_key(&ctx).await,
        ["rotate-signing-key", env] => rotate_signing_key(ctx, env, None).await,
        ["rotate-signing-key", env, "--lead", seconds] => rotate_signing_key(ctx, env, Some(seconds)).await,
        ["revoke-signing-key", env, kid] => revoke_signing_key(ctx, env, kid).await,
        ["set-audience", env, audience] => set_audience(ctx, env, audience).await,
        ["set-session-length", env, seconds] => set_session_length(ctx, env, seconds).await,
        ["verify-sender"] => verify_sender(&ctx).await,
        ["switch-to-unique", env, field] => switch_to_unique(&ctx, env, field).await,
        ["reconcile-claims", env] => reconcile_claims(&ctx, env, false).await,
        ["reconcile-claims", env, "--repair"] => reconcile_claims(&ctx, env, true).await,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.code == "storage_unavailable" => {
            eprintln!("userfields: DynamoDB at {target} did not answer (unreachable, throttled or timed out); see the error above");
            ExitCode::FAILURE
        }
        Err(e) if e.code == "internal_error" => {
            eprintln!("userfields: the DynamoDB call to {target} failed (credentials? table?); see the error above");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("userfields: {} ({})", e.message, e.code);
            ExitCode::FAILURE
        }
    }
}

fn environment_id(text: &str) -> Result<Uuid, ApiError> {
    text.parse().map_err(|_| ApiError::bad_request("invalid_uuid", "ENVIRONMENT_ID must be a UUID."))
}

async fn create_table(ctx: &AppContext) -> Result<(), ApiError> {
    let created = ctx.store.create_table().await?;
    let table = ctx.store.table_name();
    eprintln!("{}", if created { format!("created table {table}") } else { format!("table {table} exists") });
    Ok(())
}

async fn create_environment(ctx: &AppContext, name: &str) -> Result<(), ApiError> {
    let (env, key) = environments::create_environment(&ctx.store, name).await?;
    let signing = match &ctx.settings.signing_kms_key_id {
        Some(kms_key) => Some(signing_keys::rotate_signing_key(&ctx.store, ctx.keyring.kms(), kms_key, env, signing_keys::DEFAULT_ROTATION_LEAD).await?),
        None => {
            eprintln!("SIGNING_KMS_KEY_ID is not set: end users cannot sign in until `userfields rotate-signing-key {env}`");
            None
        }
    };
    println!("{}", serde_json::json!({ "environmentId": env, "apiKey": key.key, "apiKeyId": key.id, "signingKeyId": signing }));
    Ok(())
}

async fn rotate_signing_key(ctx: &AppContext, env: &str, lead: Option<&str>) -> Result<(), ApiError> {
    let env = environment_id(env)?;
    let lead = match lead {
        None => signing_keys::DEFAULT_ROTATION_LEAD,
        Some(text) => std::time::Duration::from_secs(text.parse().map_err(|_| usage("SECONDS is a whole number"))?),
    };
    let kms_key = ctx.settings.signing_kms_key_id.as_deref().ok_or_else(|| {
        usage("set SIGNING_KMS_KEY_ID to the KMS key signing keys are encrypted under (the stack's SigningKeysKmsKey output)")
    })?;
    let kid = signing_keys::rotate_signing_key(&ctx.store, ctx.keyring.kms(), kms_key, env, lead).await?;
    println!("{}", serde_json::json!({ "environmentId": env, "signingKeyId": kid, "signsInSeconds": lead.as_secs() }));
    eprintln!("the new key is published now and signs in {} s; the previous one stays published until its tokens expire", lead.as_secs());
    Ok(())
}

async fn revoke_signing_key(ctx: &AppContext, env: &str, kid: &str) -> Result<(), ApiError> {
    let env = environment_id(env)?;
    let replacement = signing_keys::revoke_signing_key(&ctx.store, ctx.keyring.kms(), ctx.settings.signing_kms_key_id.as_deref(), env, kid).await?;
    println!("{}", serde_json::json!({ "environmentId": env, "revokedKeyId": kid, "signingKeyId": replacement }));
    eprintln!("{kid} is out of the JWKS and its tokens are refused from now on");
    Ok(())
}

async fn set_audience(ctx: &AppContext, env: &str, audience: &str) -> Result<(), ApiError> {
    let env = environment_id(env)?;
    environments::set_audience(&ctx.store, env, audience).await?;
    eprintln!("tokens of {env} signed from now on carry aud {audience:?} (containers pick it up within a minute)");
    Ok(())
}

async fn set_session_length(ctx: &AppContext, env: &str, seconds: &str) -> Result<(), ApiError> {
    let env = environment_id(env)?;
    let seconds: i64 = seconds.parse().map_err(|_| usage("SECONDS is a whole number"))?;
    environments::set_session_length(&ctx.store, env, seconds).await?;
    eprintln!("sign-ins to {env} now last {seconds} s (tokens issued from now on)");
    Ok(())
}

fn usage(message: &str) -> ApiError {
    ApiError::bad_request("usage", format!("{message}\n{USAGE}"))
}

async fn create_api_key(ctx: &AppContext, env: &str, options: &[&str]) -> Result<(), ApiError> {
    let env = environment_id(env)?;
    let (mut name, mut scopes) = ("unnamed", Scopes::all());
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        let value = rest.next().ok_or_else(|| usage(&format!("{option} needs a value")))?;
        match *option {
            "--name" => name = value,
            "--scopes" => {
                let names: Vec<&str> = value.split(',').collect();
                scopes = Scopes::parse_list(&names).map_err(|e| usage(&e))?;
            }
            other => return Err(usage(&format!("unknown option {other}"))),
        }
    }
    let key = api_keys::create_api_key(&ctx.store, env, name, scopes).await?;
    println!("{}", serde_json::json!({ "apiKey": key.key, "apiKeyId": key.id, "name": name, "scopes": scopes.names() }));
    Ok(())
}

async fn list_api_keys(ctx: &AppContext, env: &str) -> Result<(), ApiError> {
    let keys = ctx.store.api_keys(environment_id(env)?).await?;
    println!("{}", serde_json::to_string_pretty(&keys).unwrap_or_default());
    Ok(())
}

async fn revoke_api_key_by_id(ctx: &AppContext, id: &str) -> Result<(), ApiError> {
    if !is_public_id(id) {
        return Err(usage("ID is the 16 hex digits after uf_ in the key"));
    }
    revoked(api_keys::revoke_api_key_by_id(&ctx.store, id).await?)
}

/// The key comes on standard input, never the command line (shell history, `ps`).
async fn revoke_api_key(ctx: &AppContext) -> Result<(), ApiError> {
    let mut key = String::new();
    std::io::stdin()
        .take(1024)
        .read_to_string(&mut key)
        .map_err(|_| usage("could not read the key from standard input"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(usage("give the key on standard input, or revoke it by --id"));
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

async fn verify_sender(ctx: &AppContext) -> Result<(), ApiError> {
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
async fn switch_to_unique(ctx: &AppContext, env: &str, field: &str) -> Result<(), ApiError> {
    let env = environment_id(env)?;
    let stored = ctx.store.fields(env).await?;
    let version = stored.version;
    let current = stored.settings();
    let mut specs = current.specs();
    let spec = specs
        .iter_mut()
        .find(|s| s.name == field && s.kind == userfields::model::field_spec::FieldKind::Custom)
        .ok_or_else(|| ApiError::not_found("Custom field").field(field))?;
    spec.unique = Some(true);
    if let Some(rules) = spec.validation_rules.as_mut() {
        rules.unique = Some(true);
    }
    let new = userfields::model::field_rules::FieldSettings::parse(specs)?;
    let saved = userfields::ops::save_field_settings::save_field_settings(ctx, env, &current, version, new, None).await?;
    println!("{}", serde_json::json!({ "version": saved.version, "skippedUsers": saved.skipped }));
    eprintln!("{field} is unique (configuration version {})", saved.version);
    Ok(())
}

async fn export(ctx: &'static AppContext, env: &str, format: &str) -> Result<(), ApiError> {
    let env = environment_id(env)?;
    let format = match format {
        "jsonl" => userfields::ops::transfer::Format::Jsonl,
        "csv" => userfields::ops::transfer::Format::Csv,
        _ => return Err(usage("--format is jsonl or csv")),
    };
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {pos} users exported ({per_sec})").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()));
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let count = userfields::ops::transfer::export_users(ctx, env, format, out, |n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    eprintln!("{count} users exported");
    Ok(())
}

async fn import(ctx: &'static AppContext, env: &str, file: &str, report: Option<&str>) -> Result<(), ApiError> {
    use userfields::ops::transfer::{failure_line, import_users, Imported};
    let env = environment_id(env)?;
    let text = std::fs::read_to_string(file).map_err(|e| usage(&format!("cannot read {file}: {e}")))?;
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let report_path = report.map(str::to_string).unwrap_or_else(|| format!("{file}.failures.jsonl"));
    let mut report_file = std::fs::File::create(&report_path).map_err(|e| usage(&format!("cannot write {report_path}: {e}")))?;
    let bar = indicatif::ProgressBar::with_draw_target(Some(lines.len() as u64), indicatif::ProgressDrawTarget::stderr());
    bar.set_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} lines ({per_sec}, eta {eta})").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
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
    eprintln!("{created} created, {existing} already there, {failed} failed (see {report_path})");
    if write_failed {
        return Err(ApiError::unavailable("write_failed", format!("Could not write every failure to {report_path}.")));
    }
    if failed > 0 {
        return Err(ApiError::unprocessable("import_incomplete", format!("{failed} lines were not imported; see {report_path}.")));
    }
    Ok(())
}

/// Prints the report as JSON on stdout and a one-line summary on stderr.
async fn reconcile_claims(ctx: &AppContext, env: &str, repair: bool) -> Result<(), ApiError> {
    let env = environment_id(env)?;
    let fields = ctx.store.fields(env).await?.settings();
    let report = ctx.store.reconcile_claims(env, &fields, repair).await?;
    println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    let summary = format!(
        "{} users, {} claims: {} orphaned, {} missing, {} unrecorded, {} conflicts, {} unreadable",
        report.users,
        report.claims,
        report.orphaned.len(),
        report.missing.len(),
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
