//! Lambda entry point of the webhook delivery function (an SQS event source); the handler lives
//! in `userfields::handlers::webhook_delivery`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    userfields::runtime::run_events(userfields::handlers::webhook_delivery::handle).await
}
