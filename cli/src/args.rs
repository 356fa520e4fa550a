//! The command line, as clap reads it: every command and option with its help text.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "userfields",
    version,
    about = "Operator commands for userfields: the table, environments, API keys, signing keys, users in bulk.",
    long_about = "Operator commands for userfields: the table, environments, API keys, signing keys, users in bulk.\n\n\
                  Configured by the same environment variables as the functions (TABLE_NAME, EMAIL_FROM, \
                  AWS_REGION, AWS_PROFILE...). Against a local endpoint (AWS_ENDPOINT_URL) nothing else is \
                  needed: the region and credentials default to local ones and the signing KMS key is found \
                  by its alias, alias/userfields-signing-keys.",
    after_help = "Exit codes: 0 done; 1 AWS failed (unreachable, credentials, throttled); 2 the command line is wrong; \
                  3 refused (not found, conflict, invalid value); 4 an import left lines out."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create the table if it is missing (keys, user index and TTL as shared/src/store/table.rs defines them).
    CreateTable,
    /// Create an environment and its first API key (every scope), and its first signing key.
    ///
    /// Prints {"environmentId","apiKey","apiKeyId","signingKeyId"}; the key is shown once.
    CreateEnvironment {
        #[arg(long, default_value = "default")]
        name: String,
    },
    /// Create another API key for an environment (rotation, or a narrower one), shown once.
    CreateApiKey {
        environment_id: Uuid,
        #[arg(long, default_value = "unnamed")]
        name: String,
        /// Comma-separated: users:read, users:write, settings:read, settings:write (default: all).
        #[arg(long, value_delimiter = ',')]
        scopes: Option<Vec<String>>,
    },
    /// List an environment's API keys: ids, names, scopes and dates, never a secret.
    ListApiKeys { environment_id: Uuid },
    /// Revoke an API key: by its public id, or the key read from standard input (never the command line).
    ///
    /// Warm functions forget a revoked key within 60 s.
    RevokeApiKey {
        /// The 16 hex digits after `uf_` in the key.
        #[arg(long)]
        id: Option<String>,
    },
    /// Publish a new signing key now; it signs the environment's tokens after a lead.
    ///
    /// The previous key stays in the JWKS until its tokens expire. Needs the signing KMS key
    /// (SIGNING_KMS_KEY_ID, or its alias against a local endpoint).
    RotateSigningKey {
        environment_id: Uuid,
        /// Seconds between publishing and signing: what a relying party may cache a JWKS for.
        #[arg(long, default_value_t = userfields::ops::signing_keys::DEFAULT_ROTATION_LEAD.as_secs())]
        lead: u64,
    },
    /// Retire a leaked signing key at once: out of the JWKS, its tokens refused; a new key signs if it signed.
    RevokeSigningKey { environment_id: Uuid, kid: String },
    /// Set the `aud` of the environment's tokens (default: the environment id).
    SetAudience { environment_id: Uuid, audience: String },
    /// Trust an external issuer's tokens for sign-in (Cognito: iss https://cognito-idp.<region>.amazonaws.com/<pool id>, aud the app client id); enables external authentication.
    TrustIssuer {
        environment_id: Uuid,
        #[arg(long)]
        iss: String,
        #[arg(long)]
        aud: String,
        #[arg(long)]
        jwks_url: String,
        /// The claim holding the external user id (default sub).
        #[arg(long)]
        user_id_claim: Option<String>,
        #[arg(long)]
        email_claim: Option<String>,
        #[arg(long)]
        email_verified_claim: Option<String>,
        /// Comma-separated: RS256, ES256 (default RS256).
        #[arg(long, value_delimiter = ',')]
        algorithms: Option<Vec<String>>,
    },
    /// Stop trusting an external issuer.
    DistrustIssuer {
        environment_id: Uuid,
        #[arg(long)]
        iss: String,
    },
    /// Set how long end-user sign-ins last (300 s to 90 days; default 7 days).
    SetSessionLength { environment_id: Uuid, seconds: i64 },
    /// Register EMAIL_FROM as an SES identity.
    VerifySender,
    /// Make a custom field unique however many users hold values (the API refuses above 2,000).
    SwitchToUnique { environment_id: Uuid, field: String },
    /// Write every user (with missingFields) to standard output in id order; progress on stderr.
    Export {
        environment_id: Uuid,
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
    },
    /// Import users from a JSON-lines file through create-user's rules, 8 at a time.
    ///
    /// Ids are kept, so a rerun skips the users already there.
    Import {
        environment_id: Uuid,
        file: PathBuf,
        /// Where failed lines go (default: FILE.failures.jsonl).
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Find (and with --repair, fix) uniqueness claims out of step with the users' claims records.
    ReconcileClaims {
        environment_id: Uuid,
        #[arg(long)]
        repair: bool,
    },
    /// Index for search the users saved before the search index existed (until then a search by
    /// name, phone number, job title, account id or a searchable custom field misses them).
    IndexSearch { environment_id: Uuid },
    /// For scripts/bench: seeds test data read as JSON lines on stdin (cli/src/bench_seed.rs).
    #[command(hide = true)]
    BenchSeed,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}
