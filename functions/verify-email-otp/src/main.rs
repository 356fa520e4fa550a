//! Lambda entry point; the handler lives in `userfields::handlers::verify_email_otp`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::OtpKey, userfields::handlers::verify_email_otp::handle).await
}
