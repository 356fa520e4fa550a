//! Lambda entry point; the handler lives in `userfields::handlers::user_field_settings`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run(userfields::runtime::Needs::Nothing, userfields::handlers::user_field_settings::handle).await
}
