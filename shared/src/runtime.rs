//! The `main` of every function: logging, one context per container, then the Lambda loop.
//!
//! The loop is `run_concurrent`: on classic Lambda (and under `cargo lambda watch`, which sets
//! `AWS_LAMBDA_MAX_CONCURRENCY=1`) it polls one event at a time as `run` does; on Lambda Managed
//! Instances, with `AWS_LAMBDA_MAX_CONCURRENCY` above 1, it serves that many events at once from
//! the same context (every handler future is `Send`, the caches are behind mutexes).

use crate::context::AppContext;
use lambda_http::{service_fn, Body, Request, Response};
use std::convert::Infallible;
use std::future::Future;
use tracing::Instrument;

pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static AppContext, Request) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    crate::logging::init();
    let ctx: &'static AppContext = Box::leak(Box::new(AppContext::from_env().await?));
    lambda_http::run_concurrent(service_fn(move |req: Request| {
        let span = crate::logging::request_span(&req);
        let response = handler(ctx, req);
        async move { Ok::<_, Infallible>(response.await) }.instrument(span)
    }))
    .await
}
