//! Lambda entry point; the handler lives in `userfields::handlers::sdk_session`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::Nothing, userfields::handlers::sdk_session::handle).await
}
