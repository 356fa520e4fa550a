//! The code-hashing key is read from Secrets Manager (moto here), never from the environment.

use userfields::secrets::load_otp_key;
use userfields::settings::OtpKeySource;
use userfields_tests::endpoint;
use uuid::Uuid;

async fn sdk() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint())
        .load()
        .await
}

#[tokio::test]
async fn the_otp_key_is_read_from_secrets_manager_and_checked() {
    let sdk = sdk().await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let name = format!("userfields-otp-{}", Uuid::new_v4().simple());
    let value = "k".repeat(48);
    client.create_secret().name(&name).secret_string(&value).send().await.unwrap();
    let key = load_otp_key(&sdk, &OtpKeySource::Secret(name.clone())).await.unwrap();
    assert_eq!(key, value.as_bytes());

    let short = format!("{name}-short");
    client.create_secret().name(&short).secret_string("too-short").send().await.unwrap();
    let err = load_otp_key(&sdk, &OtpKeySource::Secret(short)).await.unwrap_err();
    assert!(err.contains("shorter than 32") && !err.contains("too-short"), "{err}");

    let err = load_otp_key(&sdk, &OtpKeySource::Secret(format!("{name}-missing"))).await.unwrap_err();
    assert!(err.contains("reading the OTP key secret"), "{err}");
    assert!(!err.contains(&value));
}
