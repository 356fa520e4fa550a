//! A local OIDC issuer for the external-authentication tests: its own RSA and EC keys, tokens
//! signed with them, and its JWKS served on loopback (`Cache-Control: max-age=600`), counting
//! fetches. `rotate` replaces its RSA key; `hanging` is an issuer that accepts and never answers.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct RsaKey {
    pub kid: String,
    pair: KeyPair,
}

impl RsaKey {
    pub fn new(kid: &str) -> Self {
        Self { kid: kid.into(), pair: KeyPair::generate(KeySize::Rsa2048).unwrap() }
    }

    pub fn jwk(&self) -> Value {
        let public = self.pair.public_key();
        json!({"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
               "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
               "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero())})
    }

    /// The public key's DER (what an attacker would use as an HMAC secret).
    pub fn public_der(&self) -> Vec<u8> {
        self.pair.public_key().as_der().unwrap().as_ref().to_vec()
    }

    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let message = signing_input(header, claims);
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message.as_bytes(), &mut signature).unwrap();
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

pub struct EcKey {
    pub kid: String,
    pair: EcdsaKeyPair,
}

impl EcKey {
    pub fn new(kid: &str) -> Self {
        Self { kid: kid.into(), pair: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap() }
    }

    pub fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref().to_vec();
        json!({"kty": "EC", "kid": self.kid, "crv": "P-256", "alg": "ES256",
               "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])})
    }

    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let message = signing_input(header, claims);
        let signature = self.pair.sign(&SystemRandom::new(), message.as_bytes()).unwrap();
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }
}

pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

pub struct Issuer {
    pub iss: String,
    pub aud: String,
    pub jwks_url: String,
    pub rsa: Mutex<Arc<RsaKey>>,
    pub ec: EcKey,
    jwks: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

impl Issuer {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (rsa, ec) = (RsaKey::new("rsa-1"), EcKey::new("ec-1"));
        let jwks = Arc::new(Mutex::new(json!({"keys": [rsa.jwk(), ec.jwk()]})));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (jwks.clone(), fetches.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (served, counted) = (served.clone(), counted.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0; 4096];
                    let _ = socket.read(&mut buf).await;
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = served.lock().unwrap().to_string();
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: public, max-age=600\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        Self { iss: format!("{base}/issuer"), aud: "test-client".into(), jwks_url: format!("{base}/jwks.json"), rsa: Mutex::new(Arc::new(rsa)), ec, jwks, fetches }
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// A new RSA key replaces the old one, in the JWKS and in signing.
    pub fn rotate(&self, kid: &str) {
        let key = Arc::new(RsaKey::new(kid));
        *self.jwks.lock().unwrap() = json!({"keys": [key.jwk(), self.ec.jwk()]});
        *self.rsa.lock().unwrap() = key;
    }

    pub fn rsa_key(&self) -> Arc<RsaKey> {
        self.rsa.lock().unwrap().clone()
    }

    /// Claims a valid token of this issuer carries, for `sub`.
    pub fn claims(&self, sub: &str, email: Option<&str>, verified: bool) -> Value {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let mut claims = json!({"iss": self.iss, "aud": self.aud, "sub": sub, "iat": now, "exp": now + 600, "token_use": "id"});
        if let Some(email) = email {
            claims["email"] = json!(email);
            claims["email_verified"] = json!(verified);
        }
        claims
    }

    /// An RS256 token with the current key.
    pub fn token(&self, claims: &Value) -> String {
        let key = self.rsa_key();
        key.sign(&json!({"alg": "RS256", "typ": "JWT", "kid": key.kid}), claims)
    }

    /// The issuer as `security.externalAuth` names it.
    pub fn config(&self) -> Value {
        json!({"enabled": true, "iss": self.iss, "aud": self.aud, "jwksUrl": self.jwks_url, "cookieName": null})
    }
}

/// An issuer whose JWKS address accepts connections and never answers; its JWKS URL.
pub async fn hanging() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/jwks.json", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}
