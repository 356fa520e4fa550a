//! Lambda entry point of the export worker (an SQS event source); the handler lives in
//! `userfields::handlers::export_worker`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run_events(userfields::handlers::export_worker::handle).await
}
