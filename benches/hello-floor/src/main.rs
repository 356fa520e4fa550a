//! The smallest useful lambda_http function, built with the same profile as the real ones, so
//! benchmark results can be read as ratios to it.

use lambda_http::{service_fn, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(service_fn(|_req: Request| async { Ok::<_, std::convert::Infallible>(hello_floor::answer(true)) }))
        .await
}
