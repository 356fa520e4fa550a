//! Lambda entry point; the handler lives in `userfields::handlers::external_auth`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::Nothing, userfields::handlers::external_auth::handle).await
}
