//! Lambda entry point; the handler lives in `userfields::handlers::sdk_settings`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::Nothing, userfields::handlers::sdk_settings::handle).await
}
