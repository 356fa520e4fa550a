//! Lambda entry point; the handler lives in `userfields::handlers::bulk_create_users`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::Nothing, userfields::handlers::bulk_create_users::handle).await
}
