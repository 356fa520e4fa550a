//! Lambda entry point of the stream function (the table's DynamoDB Stream); the handler lives in
//! `userfields::handlers::user_events`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run_events(userfields::handlers::user_events::handle).await
}
