//! Lambda entry point; the handler lives in `userfields::handlers::list_users`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::Nothing, userfields::handlers::list_users::handle).await
}
