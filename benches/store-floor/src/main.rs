//! `hello-floor` plus one DynamoDB `GetItem` (of a key that is never there) per invoke, through
//! the functions' own store (`aws::json_service`): what one call costs a function, so the benchmark
//! can tell that share of a function's CPU from the function's own work. `sdk-floor` makes the
//! same call through the AWS SDK's client, which the store used before issue #14.

use lambda_http::{service_fn, Request};
use userfields::settings::Settings;
use userfields::store::Store;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let settings = Settings::from_env()?;
    let sdk = userfields::aws::sdk_config(&settings).await;
    let store: &'static Store = Box::leak(Box::new(Store::new(userfields::aws::dynamodb(&sdk), settings.table_name)));
    lambda_http::run(service_fn(move |_req: Request| async move {
        let key = ("BENCH#STORE-FLOOR".to_string(), "NONE".to_string());
        let read = store.get_item(&key).await;
        Ok::<_, std::convert::Infallible>(hello_floor::answer(read.is_ok()))
    }))
    .await
}
