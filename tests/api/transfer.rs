//! Export and import (the CLI's `export` / `import`): an environment exported and imported into
//! a new one round-trips every value; a rerun creates no duplicates; bad lines are reported.

use serde_json::{json, Value};
use userfields::ops::transfer::{csv_columns, export_users, import_users, Format, Imported};
use userfields_tests::*;

/// A user's values as compared across environments: the environment, dates and credential ids
/// are the new environment's own.
fn comparable(mut user: Value) -> Value {
    let obj = user.as_object_mut().unwrap();
    for key in ["projectEnvironmentId", "createdAt", "updatedAt", "lastVerifiedCredentialId"] {
        obj.remove(key);
    }
    for list in ["verifiedCredentials", "wallets", "oauthAccounts"] {
        for item in obj.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
            item.as_object_mut().unwrap().remove("id");
            item.as_object_mut().unwrap().remove("verifiedAt");
        }
    }
    user
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test]
async fn export_then_import_round_trips_every_value_and_reruns_create_nothing() {
    let ctx = shared_context().await;
    let from = environment(ctx).await;
    let sample = [
        json!({"email": "full@example.com", "emailVerifiedAt": "2024-05-01T10:00:00Z", "username": "full_user", "alias": "Al",
            "firstName": "Ada", "lastName": "Lovelace", "jobTitle": "Analyst", "phoneNumber": "+44 1", "tShirtSize": "M",
            "team": "Engines", "country": "GB", "policiesConsent": true, "metadata": {"plan": "pro", "n": [1, 2.5]},
            "mfaBackupCodeAcknowledgement": "complete", "kdaWallet": format!("k:{}", "a".repeat(64)), "newsletterNotification": false,
            "wallets": [{"publicWalletAddress": "0xbF394748301603f18d953C90F0b087CBEC0E1834", "chain": "ETH", "walletName": "MetaMask",
                "additionalWalletAddresses": [{"address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "type": "ordinals"}]}],
            "oauthAccounts": [{"provider": "github", "accountId": "42", "username": "ada", "emails": ["full@example.com"],
                "photos": ["https://x.test/a.png"], "profile": {"company": "Engines"}}]}),
        json!({"email": "unverified@example.com"}),
        json!({}),
    ];
    for body in &sample {
        let (status, created) = create_user(ctx, &from, body.clone()).await;
        assert_eq!(status, 201, "{created}");
    }
    let mut exported = Vec::new();
    let mut heard = 0;
    let count = export_users(ctx, from.id, Format::Jsonl, &mut exported, |n| heard = n).await.unwrap();
    assert_eq!((count, heard), (3, 3));
    let exported_users = lines(&exported);
    assert!(exported_users.iter().all(|u| u["missingFields"].is_array()));

    let to = environment(ctx).await;
    let text: Vec<String> = String::from_utf8(exported.clone()).unwrap().lines().map(str::to_string).collect();
    let mut outcomes = Vec::new();
    import_users(ctx, to.id, text.clone(), 8, |o| outcomes.push(o)).await;
    assert_eq!(outcomes, vec![Imported::Created; 3]);

    let mut again = Vec::new();
    export_users(ctx, to.id, Format::Jsonl, &mut again, |_| {}).await.unwrap();
    let imported_users = lines(&again);
    assert_eq!(imported_users.len(), 3);
    for (a, b) in exported_users.iter().zip(&imported_users) {
        assert_eq!(comparable(a.clone()), comparable(b.clone()));
    }

    // Interrupted and run again: nothing is created twice.
    let mut rerun = Vec::new();
    import_users(ctx, to.id, text, 8, |o| rerun.push(o)).await;
    assert_eq!(rerun, vec![Imported::AlreadyThere; 3]);

    // A bad line is reported with its line number; the good ones still land.
    let mixed = vec![json!({"email": "new@example.com"}).to_string(), "not json".into(), json!({"email": "bad"}).to_string()];
    let mut outcomes = Vec::new();
    import_users(ctx, to.id, mixed, 8, |o| outcomes.push(o)).await;
    assert_eq!(outcomes[0], Imported::Created);
    assert!(matches!(&outcomes[1], Imported::Failed { line: 2, code, .. } if code == "bad_request"), "{outcomes:?}");
    assert!(matches!(&outcomes[2], Imported::Failed { line: 3, code, .. } if code == "invalid_email"), "{outcomes:?}");
}

#[tokio::test]
async fn csv_export_has_a_column_per_value() {
    let ctx = shared_context().await;
    let env = environment(ctx).await;
    create_user(ctx, &env, json!({"email": "csv@example.com", "metadata": {"k": "v, with comma"}})).await;
    let mut out = Vec::new();
    export_users(ctx, env.id, Format::Csv, &mut out, |_| {}).await.unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(headers, csv_columns());
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| row.get(headers.iter().position(|h| h == name).unwrap()).unwrap().to_string();
    assert_eq!(cell("email"), "csv@example.com");
    assert_eq!(serde_json::from_str::<Value>(&cell("metadata")).unwrap(), json!({"k": "v, with comma"}));
    assert_eq!(cell("missingFields"), "");
}

#[tokio::test]
async fn csv_export_defuses_formulas_and_jsonl_stays_exact() {
    let ctx = shared_context().await;
    let env = environment(ctx).await;
    let formula = "=HYPERLINK(\"http://x\")";
    let body = json!({"email": "formula@example.com", "firstName": formula, "lastName": "+1", "alias": "@a", "jobTitle": "-x"});
    assert_eq!(create_user(ctx, &env, body).await.0, 201);
    let mut out = Vec::new();
    export_users(ctx, env.id, Format::Csv, &mut out, |_| {}).await.unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| row.get(headers.iter().position(|h| h == name).unwrap()).unwrap().to_string();
    assert_eq!(cell("firstName"), format!("'{formula}"));
    assert_eq!((cell("lastName"), cell("alias"), cell("jobTitle")), ("'+1".into(), "'@a".into(), "'-x".into()));
    assert_eq!(cell("email"), "formula@example.com");
    let mut lines = Vec::new();
    export_users(ctx, env.id, Format::Jsonl, &mut lines, |_| {}).await.unwrap();
    let exported: Value = serde_json::from_slice(lines.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(exported["firstName"], formula);
}
