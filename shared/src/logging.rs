//! Structured JSON logs. Request and environment ids are span fields; codes, keys and email
//! bodies are never logged.

use lambda_http::{Request, RequestExt};
use tracing::Span;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The JSON subscriber every function logs through, writing to `writer`.
pub fn subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    subscriber_with(&std::env::var("RUST_LOG").unwrap_or_default(), writer)
}

fn subscriber_with<W>(rust_log: &str, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter_directives(rust_log)).unwrap_or_else(|_| EnvFilter::new(filter_directives("")));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .with_writer(writer)
        .finish()
}

/// Targets held at `info` whatever `RUST_LOG` asks: at `debug`/`trace` the AWS SDK and the HTTP
/// stack print requests and responses, bodies included (codes, keys, secrets).
const PINNED: &[&str] = &["aws_smithy", "aws_sdk", "aws_sigv4", "aws_config", "aws_runtime", "hyper", "h2", "rustls"];

/// `RUST_LOG` (default `info`) without any directive for a pinned target, then the pins.
fn filter_directives(rust_log: &str) -> String {
    let mut kept: Vec<&str> = rust_log
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .filter(|d| {
            let target = d.split(['=', '[']).next().unwrap_or_default();
            // A bare level ("trace") has no target and stays; it no longer reaches the pins.
            !(d.contains('=') || d.contains('[')) || !PINNED.iter().any(|p| target.starts_with(p))
        })
        .collect();
    if kept.is_empty() {
        kept.push("info");
    }
    let pins = PINNED.iter().map(|p| format!("{p}=info"));
    kept.into_iter().map(str::to_string).chain(pins).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_stays_at_info_whatever_rust_log_says() {
        let d = filter_directives("trace,aws_smithy_runtime=trace,userfields=debug,hyper[span]=trace");
        assert!(d.starts_with("trace,userfields=debug,"), "{d}");
        assert!(!d.contains("aws_smithy_runtime=trace") && !d.contains("hyper[span]"), "{d}");
        assert!(d.contains("aws_smithy=info") && d.contains("hyper=info"), "{d}");
        assert!(filter_directives("").starts_with("info,"));
    }

    #[test]
    fn sdk_debug_events_are_dropped_under_rust_log_trace() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = subscriber_with("trace,aws_smithy_runtime=trace", move || sink.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "request body: code 123456");
            tracing::trace!(target: "hyper::proto", "wire bytes");
            tracing::debug!(target: "userfields::handlers", "ours at debug");
            tracing::info!(target: "aws_smithy_runtime::client", "sdk at info");
        });
        let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(!out.contains("123456") && !out.contains("wire bytes"), "{out}");
        assert!(out.contains("sdk at info"), "{out}");
        // Release builds compile `debug` out altogether (`release_max_level_info`).
        assert_eq!(out.contains("ours at debug"), cfg!(debug_assertions), "{out}");
    }
}

pub fn init() {
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stdout));
}

/// The span a request is handled in: its Lambda request id now, its environment id once parsed.
pub fn request_span(req: &Request) -> Span {
    let request_id = req.lambda_context_ref().map(|c| c.request_id.clone()).unwrap_or_default();
    tracing::info_span!("request", request_id = %request_id, environment_id = tracing::field::Empty)
}
