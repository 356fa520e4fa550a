//! Sends verification codes through Amazon SES v2 (locally: the same client against moto).

use crate::error::{ApiError, ApiResult};
use lambda_http::http::StatusCode;
use aws_config::SdkConfig;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What a send is taken to last before this container has timed one.
const FIRST_SEND_GUESS: Duration = Duration::from_millis(60);

pub struct Mailer {
    sdk: SdkConfig,
    client: OnceLock<aws_sdk_sesv2::Client>,
    from: String,
    /// A running average of how long SES took to accept a message, in microseconds.
    send_micros: AtomicU64,
}

impl Mailer {
    pub fn new(sdk: &SdkConfig, from: String) -> Self {
        Self { sdk: sdk.clone(), client: OnceLock::new(), from, send_micros: AtomicU64::new(FIRST_SEND_GUESS.as_micros() as u64) }
    }

    /// Waits about as long as a send takes here, without sending: an answer that must not say
    /// whether a code went out keeps the timing of one that did.
    pub async fn pause_like_a_send(&self) {
        tokio::time::sleep(Duration::from_micros(self.send_micros.load(Ordering::Relaxed))).await;
    }

    fn record_send(&self, took: Duration) {
        let took = took.as_micros().min(5_000_000) as u64;
        let average = self.send_micros.load(Ordering::Relaxed);
        self.send_micros.store((average * 7 + took) / 8, Ordering::Relaxed);
    }

    /// The SES client, built on first use: building one costs every cold start of the functions
    /// that never send (most of them) about 0.3 M instructions.
    pub fn client(&self) -> &aws_sdk_sesv2::Client {
        self.client.get_or_init(|| aws_sdk_sesv2::Client::new(&self.sdk))
    }

    pub fn from_address(&self) -> &str {
        &self.from
    }

    pub async fn send_code(&self, to: &str, code: &str) -> ApiResult<()> {
        let text = |s: String| Content::builder().data(s).charset("UTF-8").build().expect("data is set");
        let message = Message::builder()
            .subject(text("Your verification code".into()))
            .body(Body::builder().text(text(format!(
                "Your verification code is {code}. It expires in 10 minutes. \
                 If you did not ask for it, ignore this email."
            ))).build())
            .build();
        let started = Instant::now();
        let sent = self
            .client()
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await;
        self.record_send(started.elapsed());
        sent.map(|_| ())
            .map_err(|e| {
                // The SDK error never contains the message body, so the code is not logged here.
                tracing::error!(error = %aws_sdk_sesv2::error::DisplayErrorContext(&e), "SES send failed");
                let code = e.as_service_error().and_then(|s| s.meta().code()).unwrap_or_default();
                if is_permanent(code) {
                    ApiError::new(
                        StatusCode::BAD_GATEWAY,
                        "email_rejected",
                        "The email service refused to send the code, and will again: the sender's email setup needs the operator's attention.",
                    )
                    .field("email")
                } else {
                    ApiError::unavailable("email_delivery_failed", "The verification email could not be sent; try again.")
                        .field("email")
                }
            })
    }
}

/// SES refusals that a retry cannot change: the message or sender refused, sending paused or
/// suspended, an identity missing or unverified, the function not allowed to send (IAM, or the
/// SES sandbox checking the recipient). Throttling and network failures are not here.
fn is_permanent(code: &str) -> bool {
    matches!(
        code,
        "MessageRejected"
            | "AccessDeniedException"
            | "AccountSuspendedException"
            | "SendingPausedException"
            | "MailFromDomainNotVerifiedException"
            | "NotFoundException"
            | "BadRequestException"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_refusals_that_stay_are_permanent() {
        for code in ["MessageRejected", "AccountSuspendedException", "SendingPausedException"] {
            assert!(super::is_permanent(code), "{code}");
        }
        for code in ["TooManyRequestsException", "LimitExceededException", "InternalFailure", ""] {
            assert!(!super::is_permanent(code), "{code}");
        }
    }
}
