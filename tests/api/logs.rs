//! Logs are JSON lines carrying the request and environment ids, and never a secret: not the
//! API key, not a code, not its hash.

use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing::Instrument;
use userfields::handlers::{update_user, verify_email_otp};
use userfields::logging::{request_span, subscriber};
use userfields_tests::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Captured {
    type Writer = Captured;
    fn make_writer(&'w self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn logs_carry_ids_and_no_secrets() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(subscriber(captured.clone()));
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, body) = create_user(&ctx, &env, json!({})).await;
    let id = user_id_of(&body);
    let email = format!("logs.{}@example.com", uuid::Uuid::new_v4().simple());

    let req = event_with_body("update-user.json", &env, Some(id), &json!({"email": email}));
    let span = request_span(&req);
    let (status, updated) = call!(update_user::handle, &ctx, req).instrument(span).await;
    assert_eq!(status, 200, "{updated}");
    let code = sent_codes(&email).await.pop().unwrap();
    let verification = updated["emailVerification"]["verificationUUID"].as_str().unwrap().to_string();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for token in [wrong, code.as_str()] {
        let body = json!({"verificationUUID": verification, "verificationToken": token});
        let req = event_with_body("verify-email-otp.json", &env, Some(id), &body);
        let span = request_span(&req);
        call!(verify_email_otp::handle, &ctx, req).instrument(span).await;
    }

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("every log line is JSON")).collect();
    assert!(lines.iter().any(|l| l["fields"]["message"] == "user updated"), "{text}");
    assert!(lines.iter().any(|l| l["fields"]["message"] == "wrong verification code"), "{text}");
    let in_requests: Vec<&Value> = lines.iter().filter(|l| l["span"]["name"] == "request").collect();
    assert!(in_requests.len() >= 3, "{text}");
    for line in in_requests {
        assert_eq!(line["span"]["environment_id"], env.id.to_string(), "{line}");
        assert!(line["span"]["request_id"].is_string(), "{line}");
    }
    assert!(!text.contains(&env.key), "the API key was logged");
    assert!(!text.contains(&code), "the code was logged");
    let stored = ctx.store.get_item(&userfields::store::keys::email_verification(env.id, id)).await.unwrap();
    assert!(stored.is_none(), "the verification was consumed");
    assert!(!text.contains(&userfields::codes::secret::hash_code(OTP_KEY, verification.parse().unwrap(), &code)));
}
