//! Lambda entry point; the handler lives in `userfields::handlers::auth_email_start`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::OtpKey, userfields::handlers::auth_email_start::handle).await
}
