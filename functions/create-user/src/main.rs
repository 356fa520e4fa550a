//! Lambda entry point; the handler lives in `userfields::handlers::create_user`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::Nothing, userfields::handlers::create_user::handle).await
}
