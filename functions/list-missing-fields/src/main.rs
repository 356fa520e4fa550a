//! Lambda entry point; the handler lives in `userfields::handlers::list_missing_fields`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::Nothing, userfields::handlers::list_missing_fields::handle).await
}
