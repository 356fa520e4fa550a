//! Lambda entry point; the handler lives in `userfields::handlers::sdk_users`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::OtpKey, userfields::handlers::sdk_users::handle).await
}
