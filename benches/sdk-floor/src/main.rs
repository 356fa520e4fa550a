//! `hello-floor` plus one DynamoDB `GetItem` (of a key that is never there) per invoke, through
//! the SDK configuration every function uses: what one call costs through the SDK alone, so the
//! benchmark can tell the SDK's share of a function's CPU from the function's own.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{service_fn, Request};
use userfields::settings::Settings;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let settings = Settings::from_env()?;
    let client = aws_sdk_dynamodb::Client::new(&userfields::aws::sdk_config(&settings).await);
    let (client, table) = (&*Box::leak(Box::new(client)), &*settings.table_name.leak());
    lambda_http::run(service_fn(move |_req: Request| async move {
        let read = client
            .get_item()
            .table_name(table)
            .key("pk", AttributeValue::S("BENCH#SDK-FLOOR".into()))
            .key("sk", AttributeValue::S("NONE".into()))
            .consistent_read(true)
            .send()
            .await;
        Ok::<_, std::convert::Infallible>(hello_floor::answer(read.is_ok()))
    }))
    .await
}
