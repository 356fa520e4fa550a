//! `userfields`: operator commands (`userfields --help` lists them), configured by the same
//! environment variables as the functions (TABLE_NAME, AWS_ENDPOINT_URL, ...).

mod args;
mod bench_seed;
mod commands;

use args::{Cli, Command};
use clap::Parser;
use commands::ImportOutcome;
use std::process::ExitCode;
use userfields::context::AppContext;
use userfields::error::ApiError;

/// The exit codes `--help` lists.
const AWS_FAILED: u8 = 1;
const USAGE: u8 = 2;
const REFUSED: u8 = 3;
const IMPORT_INCOMPLETE: u8 = 4;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // clap prints its own usage errors and exits 2; --help and --version exit 0.
    let cli = Cli::parse();
    // The SDK's own account of a failed call (refused connection, missing credentials...) goes
    // to stderr as one plain line.
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(tracing::Level::ERROR).without_time().try_init();
    let settings = match userfields::settings::Settings::for_admin() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("userfields: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let sdk = userfields::aws::sdk_config(&settings).await;
    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        eprintln!("userfields: no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a profile with a region)");
        return ExitCode::from(USAGE);
    };
    let target = match &settings.endpoint_url {
        Some(url) => format!("the endpoint {url}"),
        None => format!("AWS in {region}"),
    };
    let ctx: &'static AppContext = Box::leak(Box::new(AppContext::new(&sdk, settings)));
    match run(ctx, &sdk, cli.command).await {
        Ok(ImportOutcome::Complete) => ExitCode::SUCCESS,
        Ok(ImportOutcome::Incomplete) => ExitCode::from(IMPORT_INCOMPLETE),
        Err(e) => {
            let (code, line) = explain(&e, &target);
            eprintln!("userfields: {line}");
            ExitCode::from(code)
        }
    }
}

async fn run(ctx: &'static AppContext, sdk: &aws_config::SdkConfig, command: Command) -> Result<ImportOutcome, ApiError> {
    use commands as c;
    match command {
        Command::Import { environment_id, file, report } => return c::import(ctx, environment_id, &file, report.as_deref()).await,
        Command::Export { environment_id, format } => c::export(ctx, environment_id, format).await,
        Command::CreateTable => c::create_table(ctx).await,
        Command::CreateEnvironment { name } => c::create_environment(ctx, &name).await,
        Command::CreateApiKey { environment_id, name, scopes } => c::create_api_key(ctx, environment_id, &name, scopes.as_deref()).await,
        Command::ListApiKeys { environment_id } => c::list_api_keys(ctx, environment_id).await,
        Command::RevokeApiKey { id: Some(id) } => c::revoke_api_key_by_id(ctx, &id).await,
        Command::RevokeApiKey { id: None } => c::revoke_api_key(ctx).await,
        Command::RotateSigningKey { environment_id, lead } => c::rotate_signing_key(ctx, environment_id, lead).await,
        Command::RevokeSigningKey { environment_id, kid } => c::revoke_signing_key(ctx, environment_id, &kid).await,
        Command::SetAudience { environment_id, audience } => c::set_audience(ctx, environment_id, &audience).await,
        Command::TrustIssuer { environment_id, iss, aud, jwks_url, user_id_claim, email_claim, email_verified_claim, algorithms } => {
            let input = userfields::model::external_auth::IssuerInput {
                iss: Some(iss),
                aud: Some(aud),
                jwks_url: Some(jwks_url),
                user_id_claim,
                email_claim,
                email_verified_claim,
                algorithms,
            };
            c::trust_issuer(ctx, environment_id, input).await
        }
        Command::DistrustIssuer { environment_id, iss } => c::distrust_issuer(ctx, environment_id, &iss).await,
        Command::SetSessionLength { environment_id, seconds } => c::set_session_length(ctx, environment_id, seconds).await,
        Command::VerifySender => c::verify_sender(ctx).await,
        Command::SwitchToUnique { environment_id, field } => c::switch_to_unique(ctx, environment_id, &field).await,
        Command::ReconcileClaims { environment_id, repair } => c::reconcile_claims(ctx, environment_id, repair).await,
        Command::IndexSearch { environment_id } => c::index_search(ctx, environment_id).await,
        Command::BenchSeed => {
            let source = userfields::settings::OtpKeySource::from_env().map_err(|e| ApiError::bad_request("usage", e))?;
            let key = userfields::secrets::load_otp_key(sdk, &source).await.map_err(|e| ApiError::unavailable("secret_unavailable", e))?;
            bench_seed::run(ctx, &key).await.map_err(|e| ApiError::unavailable("io_failed", e))
        }
    }?;
    Ok(ImportOutcome::Complete)
}

/// The exit code and the line for a failed command: AWS's failures name the target, refusals
/// say what was refused.
fn explain(e: &ApiError, target: &str) -> (u8, String) {
    match e.code {
        "storage_unavailable" => (AWS_FAILED, format!("DynamoDB at {target} did not answer (unreachable, throttled or timed out); see the error above")),
        "internal_error" => (AWS_FAILED, format!("the DynamoDB call to {target} failed (credentials? table?); see the error above")),
        _ if e.status.is_server_error() => (AWS_FAILED, format!("{} ({})", e.message, e.code)),
        "usage" => (USAGE, e.message.clone()),
        _ => (REFUSED, format!("{} ({})", e.message, e.code)),
    }
}
