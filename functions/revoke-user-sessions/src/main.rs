//! Lambda entry point; the handler lives in `userfields::handlers::revoke_user_sessions`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::Nothing, userfields::handlers::revoke_user_sessions::handle).await
}
