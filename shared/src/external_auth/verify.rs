//! One external token checked against the environment's trusted issuers. The issuer is read
//! from the unverified payload only to choose whose keys and rules apply; nothing else of it is
//! believed before the signature verifies. Each refusal names its reason in a stable code.

use super::jwks::JwksCache;
use crate::model::external_auth::ExternalAuth;
use crate::model::values::Email;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Map, Value};

/// Clock skew allowed on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECONDS: u64 = 60;
const MAX_TOKEN_BYTES: usize = 16 * 1024;
const MAX_USER_ID_CHARS: usize = 255;

/// Who a verified token says the user is.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalIdentity {
    pub issuer: String,
    pub user_id: String,
    pub email: Option<Email>,
    pub email_verified: bool,
}

impl ExternalIdentity {
    /// The uniqueness claim of this identity (per environment and issuer).
    pub fn claim_field(&self) -> String {
        crate::model::credentials::Credential::external_claim_field(&self.issuer)
    }

    /// The address to trust: only one the issuer says it verified.
    pub fn verified_email(&self) -> Option<&Email> {
        self.email.as_ref().filter(|_| self.email_verified)
    }
}

/// Why a token is refused; `unavailable` when the issuer could not be asked for its keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    pub unavailable: bool,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { code, message: message.into(), unavailable: false }
}

pub async fn verify(jwks: &JwksCache, config: &ExternalAuth, token: &str, allow_loopback: bool, now_unix: i64) -> Result<ExternalIdentity, Refusal> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(refuse("invalid_external_token", format!("The token is over {MAX_TOKEN_BYTES} bytes.")));
    }
    // `alg: none` and unknown algorithms fail here: they are no algorithm jsonwebtoken knows.
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| refuse("invalid_external_token", "The token is not a signed JWT (RS256 or ES256; alg none is never accepted)."))?;
    let unverified = jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token)
        .map_err(|_| refuse("invalid_external_token", "The token's payload is not a JSON object."))?;
    let iss = unverified.claims.get("iss").and_then(Value::as_str).ok_or_else(|| refuse("untrusted_issuer", "The token names no issuer (iss)."))?;
    let issuer = config.issuer(iss).ok_or_else(|| refuse("untrusted_issuer", "The token's issuer is not one this environment trusts."))?;
    if !issuer.algorithms.iter().any(|a| a.jwt() == header.alg) {
        return Err(refuse("algorithm_not_allowed", format!("This issuer's tokens are signed with {:?}, not {:?}.", issuer.algorithms, header.alg)));
    }
    let jwk = jwks
        .key(&issuer.jwks_url, header.kid.as_deref(), allow_loopback)
        .await
        .map_err(|e| Refusal { code: "issuer_unavailable", message: format!("The issuer's keys could not be fetched: {}", e.0), unavailable: true })?
        .ok_or_else(|| refuse("unknown_signing_key", "The issuer publishes no key with the token's kid."))?;
    if jwk.common.key_algorithm.is_some_and(|a| a.to_string() != format!("{:?}", header.alg)) {
        return Err(refuse("algorithm_not_allowed", "The issuer's key is for another algorithm."));
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| refuse("unknown_signing_key", "The issuer's key with the token's kid cannot verify."))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&issuer.iss]);
    validation.set_audience(&[&issuer.aud]);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| refusal_of(e.kind()))?.claims;
    if let Some(iat) = claims.get("iat") {
        let iat = iat.as_i64().ok_or_else(|| refuse("invalid_external_token", "The token's iat is not a number."))?;
        if iat > now_unix + LEEWAY_SECONDS as i64 {
            return Err(refuse("token_issued_in_future", "The token says it was issued in the future."));
        }
    }
    let user_id = match claims.get(&issuer.user_id_claim) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(refuse("missing_external_user_id", format!("The token has no {} claim.", issuer.user_id_claim))),
    };
    if user_id.is_empty() || user_id.chars().count() > MAX_USER_ID_CHARS || user_id.chars().any(char::is_control) {
        return Err(refuse("missing_external_user_id", format!("The token's {} is not 1 to {MAX_USER_ID_CHARS} characters.", issuer.user_id_claim)));
    }
    let email = claims.get(&issuer.email_claim).and_then(Value::as_str).and_then(|e| Email::parse(e.to_string()).ok());
    // Cognito's ID tokens say "true" as text.
    let email_verified = matches!(claims.get(&issuer.email_verified_claim), Some(Value::Bool(true))) || claims.get(&issuer.email_verified_claim).and_then(Value::as_str) == Some("true");
    Ok(ExternalIdentity { issuer: issuer.iss.clone(), user_id, email, email_verified })
}

fn refusal_of(kind: &ErrorKind) -> Refusal {
    match kind {
        ErrorKind::InvalidSignature => refuse("invalid_external_token", "The token's signature does not verify."),
        ErrorKind::ExpiredSignature => refuse("token_expired", "The token has expired."),
        ErrorKind::ImmatureSignature => refuse("token_not_yet_valid", "The token is not valid yet (nbf)."),
        ErrorKind::InvalidAudience => refuse("invalid_audience", "The token is for another audience (aud)."),
        ErrorKind::InvalidIssuer => refuse("untrusted_issuer", "The token's issuer is not one this environment trusts."),
        ErrorKind::InvalidAlgorithm => refuse("algorithm_not_allowed", "The token's algorithm does not match the issuer's key."),
        ErrorKind::MissingRequiredClaim(claim) => refuse("invalid_external_token", format!("The token has no {claim} claim.")),
        ErrorKind::InvalidClaimFormat(claim) => refuse("invalid_external_token", format!("The token's {claim} claim is malformed.")),
        _ => refuse("invalid_external_token", "The token is malformed or its signature does not verify."),
    }
}
