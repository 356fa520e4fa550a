//! The `main` of every function: logging, one context per container, then the Lambda loop.

use crate::context::AppContext;
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
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
        let request_id = req.lambda_context_ref().map(|c| c.request_id.clone()).unwrap_or_default();
        let span = tracing::info_span!("request", request_id = %request_id, environment_id = tracing::field::Empty);
        let response = handler(ctx, req);
        async move { Ok::<_, Infallible>(response.await) }.instrument(span)
    }))
    .await
}
