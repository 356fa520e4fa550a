//! Making a signing key (CLI only): an RSA-2048 pair from aws-lc-rs, the private half encrypted
//! under KMS at once, bound by encryption context to its environment and kid, so a ciphertext
//! copied to another environment's item does not decrypt.

use crate::model::values::Timestamp;
use crate::store::SigningKeyRecord;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use uuid::Uuid;

/// The encryption context every signing key is encrypted and decrypted under.
pub fn encryption_context(env: Uuid, kid: &str) -> [(&'static str, String); 2] {
    [("environmentId", env.to_string()), ("kid", kid.to_string())]
}

pub async fn new_signing_key(kms: &aws_sdk_kms::Client, kms_key_id: &str, env: Uuid) -> Result<SigningKeyRecord, String> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| "RSA key generation failed".to_string())?;
    let pkcs8 = pair.as_der().map_err(|_| "RSA key encoding failed".to_string())?;
    let public = pair.public_key();
    let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
    let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
    let mut id = [0u8; 8];
    rand::rng().fill_bytes(&mut id);
    let kid = hex::encode(id);
    let mut request = kms.encrypt().key_id(kms_key_id).plaintext(aws_sdk_kms::primitives::Blob::new(pkcs8.as_ref()));
    for (name, value) in encryption_context(env, &kid) {
        request = request.encryption_context(name, value);
    }
    let out = request
        .send()
        .await
        .map_err(|e| format!("KMS Encrypt with key {kms_key_id}: {}", aws_sdk_kms::error::DisplayErrorContext(&e)))?;
    let blob = out.ciphertext_blob.ok_or("KMS Encrypt returned no ciphertext")?;
    Ok(SigningKeyRecord {
        kid,
        n,
        e,
        encrypted_private_key: STANDARD.encode(blob.as_ref()),
        created_at: Timestamp::now(),
        retires_at: None,
        ttl: None,
    })
}
