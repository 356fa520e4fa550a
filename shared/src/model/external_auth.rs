//! Trusted external issuers (Cognito, Auth0, any OIDC provider) whose tokens sign end users in.
//! Dynamic's `ExternalAuth {enabled, iss, aud, jwksUrl, cookieName}` names one issuer; the claims
//! to read and the algorithms allowed sit beside its fields, and further issuers beside it in
//! `externalAuthIssuers` (our extensions). Dynamic's own client drops what its model does not
//! name, so an extension that is absent keeps what is configured.

use super::rejection::Rejection;
use super::webhook::WebhookUrl;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub const MAX_ISSUERS: usize = 5;
const MAX_TEXT: usize = 256;
const MAX_CLAIM_NAME: usize = 64;

/// What an issuer's tokens may be signed with: RSA or ECDSA, never `none` or HMAC (an HMAC
/// "verified" with the public key would let anyone sign).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExternalAlgorithm {
    RS256,
    ES256,
}

impl ExternalAlgorithm {
    pub fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::RS256 => jsonwebtoken::Algorithm::RS256,
            Self::ES256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

/// One trusted issuer, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedIssuer {
    pub iss: String,
    pub aud: String,
    pub jwks_url: String,
    pub user_id_claim: String,
    pub email_claim: String,
    pub email_verified_claim: String,
    pub algorithms: Vec<ExternalAlgorithm>,
}

/// An environment's external authentication, as stored on its item.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalAuth {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_name: Option<String>,
    #[serde(default)]
    pub issuers: Vec<TrustedIssuer>,
}

/// One issuer as a request sends it; the extensions may be absent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuerInput {
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub aud: Option<String>,
    #[serde(default)]
    pub jwks_url: Option<String>,
    #[serde(default)]
    pub user_id_claim: Option<String>,
    #[serde(default)]
    pub email_claim: Option<String>,
    #[serde(default)]
    pub email_verified_claim: Option<String>,
    #[serde(default)]
    pub algorithms: Option<Vec<String>>,
}

/// Dynamic's `ExternalAuth` with our extensions: `enabled`, `cookieName` and one issuer's fields.
#[derive(Debug, Default)]
pub struct ExternalAuthInput {
    pub enabled: Option<bool>,
    pub cookie_name: Option<String>,
    pub issuer: IssuerInput,
}

impl<'de> Deserialize<'de> for ExternalAuthInput {
    /// Serde's `flatten` cannot refuse unknown fields, so the issuer's are read from what is
    /// left once `enabled` and `cookieName` are taken.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = Map::<String, Value>::deserialize(deserializer)?;
        fn take<T: serde::de::DeserializeOwned>(map: &mut Map<String, Value>, name: &str) -> serde_json::Result<Option<T>> {
            map.remove(name).filter(|v| !v.is_null()).map(serde_json::from_value).transpose()
        }
        let enabled = take(&mut map, "enabled").map_err(D::Error::custom)?;
        let cookie_name = take(&mut map, "cookieName").map_err(D::Error::custom)?;
        let issuer = serde_json::from_value(Value::Object(map)).map_err(D::Error::custom)?;
        Ok(Self { enabled, cookie_name, issuer })
    }
}

fn text(value: &str, field: &str, max: usize) -> Result<(), Rejection> {
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(Rejection::invalid("invalid_external_auth", format!("{field} is 1 to {max} characters, none of them control characters.")).field(field));
    }
    Ok(())
}

fn too_many_issuers() -> Rejection {
    Rejection::invalid("too_many_issuers", format!("At most {MAX_ISSUERS} issuers are trusted."))
}

fn claim_name(value: Option<String>, kept: Option<&String>, default: &str, field: &str) -> Result<String, Rejection> {
    let name = value.or_else(|| kept.cloned()).unwrap_or_else(|| default.to_string());
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_:.-/".contains(c);
    if name.is_empty() || name.len() > MAX_CLAIM_NAME || !name.chars().all(allowed) {
        return Err(Rejection::invalid("invalid_external_auth", format!("{field} is a claim name of 1 to {MAX_CLAIM_NAME} letters, digits or _:.-/")).field(field));
    }
    Ok(name)
}

impl TrustedIssuer {
    /// `kept`: the issuer configured with the same `iss`, whose extensions an absent one keeps.
    fn parse(input: IssuerInput, kept: Option<&TrustedIssuer>, at: &str, allow_loopback: bool) -> Result<Self, Rejection> {
        let field = |name: &str| format!("{at}{name}");
        let iss = input.iss.ok_or_else(|| Rejection::invalid("invalid_external_auth", "iss is required.").field(field("iss")))?;
        text(&iss, &field("iss"), MAX_TEXT)?;
        // The issuer names the identities' uniqueness claims (`external:<iss>#<id>`).
        if iss.contains('#') {
            return Err(Rejection::invalid("invalid_external_auth", "iss may not contain '#'.").field(field("iss")));
        }
        let kept = kept.filter(|k| k.iss == iss);
        let aud = input.aud.ok_or_else(|| Rejection::invalid("invalid_external_auth", "aud is required: the app client id tokens are issued to.").field(field("aud")))?;
        text(&aud, &field("aud"), MAX_TEXT)?;
        let jwks_url = input.jwks_url.ok_or_else(|| Rejection::invalid("invalid_external_auth", "jwksUrl is required.").field(field("jwksUrl")))?;
        WebhookUrl::parse_named(&jwks_url, allow_loopback, "invalid_external_auth", &field("jwksUrl"))?;
        let algorithms = match input.algorithms {
            Some(names) => {
                let mut out = Vec::new();
                for name in names {
                    let alg = match name.as_str() {
                        "RS256" => ExternalAlgorithm::RS256,
                        "ES256" => ExternalAlgorithm::ES256,
                        _ => return Err(Rejection::invalid("invalid_external_auth", "algorithms holds RS256 or ES256 (never none or HMAC).").field(field("algorithms"))),
                    };
                    if !out.contains(&alg) {
                        out.push(alg);
                    }
                }
                if out.is_empty() {
                    return Err(Rejection::invalid("invalid_external_auth", "algorithms may not be empty.").field(field("algorithms")));
                }
                out
            }
            None => kept.map(|k| k.algorithms.clone()).unwrap_or_else(|| vec![ExternalAlgorithm::RS256]),
        };
        Ok(Self {
            user_id_claim: claim_name(input.user_id_claim, kept.map(|k| &k.user_id_claim), "sub", &field("userIdClaim"))?,
            email_claim: claim_name(input.email_claim, kept.map(|k| &k.email_claim), "email", &field("emailClaim"))?,
            email_verified_claim: claim_name(input.email_verified_claim, kept.map(|k| &k.email_verified_claim), "email_verified", &field("emailVerifiedClaim"))?,
            iss,
            aud,
            jwks_url,
            algorithms,
        })
    }

    fn view(&self) -> Map<String, Value> {
        let value = json!({
            "iss": self.iss,
            "aud": self.aud,
            "jwksUrl": self.jwks_url,
            "userIdClaim": self.user_id_claim,
            "emailClaim": self.email_claim,
            "emailVerifiedClaim": self.email_verified_claim,
            "algorithms": self.algorithms,
        });
        value.as_object().cloned().unwrap_or_default()
    }
}

impl ExternalAuth {
    /// The configuration a PUT asks for: `primary` (Dynamic's `externalAuth`) and `further`
    /// (`externalAuthIssuers`), each absent keeping what `current` has.
    pub fn parse(primary: Option<ExternalAuthInput>, further: Option<Vec<IssuerInput>>, current: &ExternalAuth, allow_loopback: bool) -> Result<Self, Rejection> {
        let base = "security.externalAuth.";
        let (enabled, cookie_name, first) = match primary {
            None => (current.enabled, current.cookie_name.clone(), current.issuers.first().cloned()),
            Some(input) => {
                if let Some(cookie) = &input.cookie_name {
                    text(cookie, &format!("{base}cookieName"), 128)?;
                }
                let named = input.issuer.iss.is_some();
                let first = named.then(|| TrustedIssuer::parse(input.issuer, current.issuers.first(), base, allow_loopback)).transpose()?;
                (input.enabled.unwrap_or(current.enabled), input.cookie_name, first)
            }
        };
        let rest = match further {
            None => current.issuers.iter().skip(1).cloned().collect(),
            Some(list) => {
                if list.len() >= MAX_ISSUERS {
                    return Err(too_many_issuers().field("security.externalAuthIssuers"));
                }
                let mut out = Vec::new();
                for (i, input) in list.into_iter().enumerate() {
                    let kept = input.iss.as_ref().and_then(|iss| current.issuers.iter().find(|k| &k.iss == iss));
                    out.push(TrustedIssuer::parse(input, kept, &format!("security.externalAuthIssuers[{i}]."), allow_loopback)?);
                }
                out
            }
        };
        let issuers: Vec<TrustedIssuer> = first.into_iter().chain(rest).collect();
        for (i, issuer) in issuers.iter().enumerate() {
            if issuers[..i].iter().any(|other| other.iss == issuer.iss) {
                return Err(Rejection::unacceptable("duplicate_issuer", format!("The issuer {} is listed twice.", issuer.iss)).field("security.externalAuthIssuers"));
            }
        }
        if issuers.len() > MAX_ISSUERS {
            return Err(too_many_issuers().field("security.externalAuthIssuers"));
        }
        if enabled && issuers.is_empty() {
            return Err(Rejection::unacceptable("external_auth_without_issuer", "External authentication is enabled without an issuer: set iss, aud and jwksUrl.").field("security.externalAuth.iss"));
        }
        Ok(Self { enabled, cookie_name, issuers })
    }

    /// This configuration, enabled, trusting `input` too (replacing the issuer of the same `iss`).
    pub fn with_issuer(mut self, input: IssuerInput, allow_loopback: bool) -> Result<Self, Rejection> {
        let kept = input.iss.as_ref().and_then(|iss| self.issuers.iter().find(|k| &k.iss == iss)).cloned();
        let issuer = TrustedIssuer::parse(input, kept.as_ref(), "", allow_loopback)?;
        let full = self.issuers.len() >= MAX_ISSUERS;
        match self.issuers.iter_mut().find(|k| k.iss == issuer.iss) {
            Some(slot) => *slot = issuer,
            None if full => return Err(too_many_issuers()),
            None => self.issuers.push(issuer),
        }
        self.enabled = true;
        Ok(self)
    }

    /// This configuration without the issuer `iss` (disabled when none is left).
    pub fn without_issuer(mut self, iss: &str) -> Self {
        self.issuers.retain(|k| k.iss != iss);
        self.enabled &= !self.issuers.is_empty();
        self
    }

    /// The issuer a token names, if trusted.
    pub fn issuer(&self, iss: &str) -> Option<&TrustedIssuer> {
        self.issuers.iter().find(|i| i.iss == iss)
    }

    /// `security` as Dynamic's `ProjectSettingsSecurity` shows it: `externalAuth` (the first
    /// issuer) and `externalAuthIssuers` (the others).
    pub fn security_view(&self) -> Value {
        let mut primary = self.issuers.first().map(TrustedIssuer::view).unwrap_or_default();
        primary.insert("enabled".into(), json!(self.enabled));
        primary.insert("cookieName".into(), json!(self.cookie_name));
        let further: Vec<Value> = self.issuers.iter().skip(1).map(|i| Value::Object(i.view())).collect();
        json!({ "externalAuth": primary, "externalAuthIssuers": further })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(value: Value) -> ExternalAuthInput {
        serde_json::from_value(value).unwrap()
    }

    fn cognito() -> Value {
        json!({"enabled": true, "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc", "aud": "client1",
               "jwksUrl": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json"})
    }

    #[test]
    fn defaults_are_cognitos_and_auth0s_claims() {
        let auth = ExternalAuth::parse(Some(input(cognito())), None, &ExternalAuth::default(), false).unwrap();
        let issuer = &auth.issuers[0];
        assert_eq!((issuer.user_id_claim.as_str(), issuer.email_claim.as_str(), issuer.email_verified_claim.as_str()), ("sub", "email", "email_verified"));
        assert_eq!(issuer.algorithms, [ExternalAlgorithm::RS256]);
        assert!(auth.enabled);
    }

    #[test]
    fn absent_extensions_keep_what_is_configured() {
        let mut first = cognito();
        first["userIdClaim"] = json!("custom:id");
        first["algorithms"] = json!(["ES256"]);
        let further = vec![serde_json::from_value(json!({"iss": "https://other.test/", "aud": "a", "jwksUrl": "https://other.test/jwks"})).unwrap()];
        let current = ExternalAuth::parse(Some(input(first)), Some(further), &ExternalAuth::default(), false).unwrap();
        // What Dynamic's client sends back: its own fields only.
        let again = ExternalAuth::parse(Some(input(cognito())), None, &current, false).unwrap();
        assert_eq!(again, current);
    }

    #[test]
    fn refuses_hmac_none_http_and_duplicates() {
        let mut hmac = cognito();
        hmac["algorithms"] = json!(["HS256"]);
        assert_eq!(ExternalAuth::parse(Some(input(hmac)), None, &ExternalAuth::default(), false).unwrap_err().code, "invalid_external_auth");
        let mut none = cognito();
        none["algorithms"] = json!(["none"]);
        assert!(ExternalAuth::parse(Some(input(none)), None, &ExternalAuth::default(), false).is_err());
        let mut http = cognito();
        http["jwksUrl"] = json!("http://127.0.0.1:9/jwks");
        assert!(ExternalAuth::parse(Some(input(http.clone())), None, &ExternalAuth::default(), false).is_err());
        assert!(ExternalAuth::parse(Some(input(http)), None, &ExternalAuth::default(), true).is_ok());
        let twice = vec![serde_json::from_value(cognito().as_object().unwrap().iter().filter(|(k, _)| *k != "enabled").map(|(k, v)| (k.clone(), v.clone())).collect::<Map<_, _>>().into()).unwrap()];
        assert_eq!(ExternalAuth::parse(Some(input(cognito())), Some(twice), &ExternalAuth::default(), false).unwrap_err().code, "duplicate_issuer");
        let enabled_alone = input(json!({"enabled": true}));
        assert_eq!(ExternalAuth::parse(Some(enabled_alone), None, &ExternalAuth::default(), false).unwrap_err().code, "external_auth_without_issuer");
    }
}
