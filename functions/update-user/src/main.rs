//! Lambda entry point; the handler lives in `userfields::handlers::update_user`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::OtpKey, userfields::handlers::update_user::handle).await
}
