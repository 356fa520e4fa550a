//! The `main` of every function: logging, one context per container, then the Lambda loop.
//!
//! The loop is `run_concurrent`: on classic Lambda (and under `cargo lambda watch`, which sets
//! `AWS_LAMBDA_MAX_CONCURRENCY=1`) it polls one event at a time as `run` does; on Lambda Managed
//! Instances, with `AWS_LAMBDA_MAX_CONCURRENCY` above 1, it serves that many events at once from
//! the same context (every handler future is `Send`, the caches are behind mutexes).

use crate::context::AppContext;
use crate::settings::{OtpKeySource, Settings};
use lambda_http::{service_fn, Body, Request, Response};
use std::convert::Infallible;
use std::future::Future;
use tracing::Instrument;

/// What a function needs at init beyond the shared settings.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    /// The key email and sign-in codes are hashed under (the functions that send or check codes).
    OtpKey,
}

pub async fn run<F, Fut>(needs: Needs, handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static AppContext, Request) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    crate::logging::init();
    let mut settings = Settings::from_env()?;
    let sdk = crate::aws::sdk_config(&settings).await;
    if needs == Needs::OtpKey {
        settings.otp_key = crate::secrets::load_otp_key(&sdk, &OtpKeySource::from_env()?).await?;
    }
    let ctx: &'static AppContext = Box::leak(Box::new(AppContext::new(&sdk, settings)));
    lambda_http::run_concurrent(service_fn(move |req: Request| {
        let span = crate::logging::request_span(&req);
        let response = handler(ctx, req);
        async move { Ok::<_, Infallible>(response.await) }.instrument(span)
    }))
    .await
}

/// The `main` of a function fed by an event source (SQS) rather than HTTP: the same context,
/// the event and the answer as JSON.
pub async fn run_events<E, R, F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    E: serde::de::DeserializeOwned + Send + 'static,
    R: serde::Serialize + Send + 'static,
    F: Fn(&'static AppContext, E) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    crate::logging::init();
    let settings = Settings::from_env()?;
    let sdk = crate::aws::sdk_config(&settings).await;
    let ctx: &'static AppContext = Box::leak(Box::new(AppContext::new(&sdk, settings)));
    lambda_http::lambda_runtime::run(service_fn(move |event: lambda_http::LambdaEvent<E>| {
        let answer = handler(ctx, event.payload);
        async move { Ok::<_, Infallible>(answer.await) }
    }))
    .await
}
