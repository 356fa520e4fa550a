//! The `main` of every function: logging, one context per container, then the Lambda loop.

use crate::context::AppContext;
use lambda_http::{service_fn, Body, Request, Response};
use std::convert::Infallible;
use std::future::Future;
use tracing::Instrument;

pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static AppContext, Request) -> Fut,
    Fut: Future<Output = Response<Body>> + Send,
{
    crate::logging::init();
    let ctx: &'static AppContext = Box::leak(Box::new(AppContext::from_env().await?));
    let handler = &handler;
    lambda_http::run(service_fn(move |req: Request| {
        let span = crate::logging::request_span(&req);
        let response = handler(ctx, req);
        async move { Ok::<_, Infallible>(response.await) }.instrument(span)
    }))
    .await
}
