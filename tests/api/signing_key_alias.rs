//! Against the local stack the CLI finds the signing KMS key by the alias the dev stack gives it,
//! so `create-environment` makes an environment end users can sign in to with nothing but
//! `AWS_ENDPOINT_URL` set.

use userfields::ops::signing_keys::kms_key_by_alias;
use userfields_tests::*;

#[tokio::test]
async fn the_signing_key_is_found_by_its_alias_and_a_missing_alias_is_none() {
    let ctx = context().await;
    let kms = ctx.keyring.kms();
    let alias = format!("alias/userfields-test-{}", uuid::Uuid::new_v4().simple());
    assert_eq!(kms_key_by_alias(kms, &alias).await.unwrap(), None, "no key has the alias yet");
    let key = kms.create_key().description("userfields tests").send().await.unwrap().key_metadata.unwrap().key_id;
    kms.create_alias().alias_name(&alias).target_key_id(&key).send().await.unwrap();
    assert_eq!(kms_key_by_alias(kms, &alias).await.unwrap(), Some(key));
}
