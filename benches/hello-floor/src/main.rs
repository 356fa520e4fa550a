//! The smallest useful lambda_http function, built with the same profile as the real ones, so
//! benchmark results can be read as ratios to it.

use lambda_http::{service_fn, Body, Request, Response};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(service_fn(|_req: Request| async {
        Ok::<_, std::convert::Infallible>(
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::Text("{\"hello\":\"world\"}".into()))
                .expect("static response"),
        )
    }))
    .await
}
