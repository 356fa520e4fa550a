//! `userfields`: bootstrap commands, configured by the same environment variables as the
//! functions (TABLE_NAME, AWS_ENDPOINT_URL, ...).
//!
//!   userfields create-table                 create the table if missing (idempotent)
//!   userfields create-environment [--name N] print {"environmentId","apiKey"}; the key is shown once
//!   userfields create-api-key ENVIRONMENT_ID another key for an environment (rotation), shown once
//!   userfields revoke-api-key KEY            delete a key (warm functions forget it within 60 s)
//!   userfields verify-sender                 register EMAIL_FROM as an SES identity

use std::process::ExitCode;
use userfields::context::AppContext;

const USAGE: &str = "usage: userfields create-table | create-environment [--name NAME] | \
create-api-key ENVIRONMENT_ID | revoke-api-key KEY | verify-sender";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ctx = match userfields::settings::Settings::for_admin() {
        Ok(settings) => AppContext::with_settings(settings).await,
        Err(e) => {
            eprintln!("userfields: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["create-table"] => ctx.store.create_table().await.map(|created| {
            let table = &ctx.store.table;
            eprintln!("{}", if created { format!("created table {table}") } else { format!("table {table} exists") });
        }),
        ["create-environment"] => create_environment(&ctx, "default").await,
        ["create-environment", "--name", name] => create_environment(&ctx, name).await,
        ["create-api-key", env] => match env.parse() {
            Ok(env) => ctx.store.create_api_key(env).await.map(|key| println!("{}", serde_json::json!({ "apiKey": key }))),
            Err(_) => Err(userfields::error::ApiError::bad_request("invalid_uuid", "ENVIRONMENT_ID must be a UUID.")),
        },
        ["revoke-api-key", key] => ctx.store.revoke_api_key(key).await.and_then(|found| {
            if found {
                eprintln!("key revoked");
                Ok(())
            } else {
                Err(userfields::error::ApiError::not_found("API key"))
            }
        }),
        ["verify-sender"] => ctx
            .mailer
            .client()
            .create_email_identity()
            .email_identity(ctx.mailer.from_address())
            .send()
            .await
            .map(|_| eprintln!("SES identity {} registered", ctx.mailer.from_address()))
            .or_else(|e| {
                if e.as_service_error().is_some_and(|e| e.is_already_exists_exception()) {
                    Ok(())
                } else {
                    Err(userfields::error::ApiError::unavailable("ses_unavailable", format!("{e}")))
                }
            }),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("userfields: {} ({})", e.message, e.code);
            ExitCode::FAILURE
        }
    }
}

async fn create_environment(ctx: &AppContext, name: &str) -> Result<(), userfields::error::ApiError> {
    let (env, key) = ctx.store.create_environment(name).await?;
    println!("{}", serde_json::json!({ "environmentId": env, "apiKey": key }));
    Ok(())
}
