//! `userfields`: operator commands, configured by the same environment variables as the
//! functions (TABLE_NAME, AWS_ENDPOINT_URL, ...).
//!
//!   userfields create-table                  create the table if missing (idempotent)
//!   userfields create-environment [--name N] print {"environmentId","apiKey"}; the key is shown once
//!   userfields create-api-key ENVIRONMENT_ID another key for an environment (rotation), shown once
//!   userfields revoke-api-key KEY            delete a key (warm functions forget it within 60 s)
//!   userfields verify-sender                 register EMAIL_FROM as an SES identity
//!   userfields reconcile-claims ENVIRONMENT_ID [--repair]
//!                                            find (and with --repair, fix) uniqueness claims out
//!                                            of step with the users' claims records

use std::process::ExitCode;
use userfields::admin;
use userfields::context::AppContext;
use userfields::error::ApiError;
use uuid::Uuid;

const USAGE: &str = "usage: userfields create-table | create-environment [--name NAME] | \
create-api-key ENVIRONMENT_ID | revoke-api-key KEY | verify-sender | \
reconcile-claims ENVIRONMENT_ID [--repair]";

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
    let ctx = AppContext::new(&sdk, settings);
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["create-table"] => create_table(&ctx).await,
        ["create-environment"] => create_environment(&ctx, "default").await,
        ["create-environment", "--name", name] => create_environment(&ctx, name).await,
        ["create-api-key", env] => create_api_key(&ctx, env).await,
        ["revoke-api-key", key] => revoke_api_key(&ctx, key).await,
        ["verify-sender"] => verify_sender(&ctx).await,
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
    let (env, key) = admin::create_environment(&ctx.store, name).await?;
    println!("{}", serde_json::json!({ "environmentId": env, "apiKey": key }));
    Ok(())
}

async fn create_api_key(ctx: &AppContext, env: &str) -> Result<(), ApiError> {
    let key = admin::create_api_key(&ctx.store, environment_id(env)?).await?;
    println!("{}", serde_json::json!({ "apiKey": key }));
    Ok(())
}

async fn revoke_api_key(ctx: &AppContext, key: &str) -> Result<(), ApiError> {
    if admin::revoke_api_key(&ctx.store, key).await? {
        eprintln!("key revoked");
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
