//! 100 conflicting requests at once: nothing lost, no duplicates.

use futures::future::join_all;
use serde_json::{json, Value};
use userfields::store::keys;
use userfields_tests::*;

const N: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conflicting_creates_make_one_user_per_unique_value() {
    let ctx = shared_context().await;
    let env: &'static Env = Box::leak(Box::new(environment(ctx).await));
    // Half race for one email, half for one username; every request also has a value of its own.
    let tasks = (0..N).map(|i| {
        let body = if i % 2 == 0 {
            json!({"email": "same@example.com", "username": format!("solo_{i}")})
        } else {
            json!({"username": "same_name", "email": format!("solo{i}@example.com")})
        };
        tokio::spawn(async move { create_user(ctx, env, body).await })
    });
    let results: Vec<(u16, Value)> = join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let winners: Vec<&Value> = results.iter().filter(|(s, _)| *s == 201).map(|(_, b)| b).collect();
    assert_eq!(winners.iter().filter(|b| b["user"]["email"] == "same@example.com").count(), 1);
    assert_eq!(winners.iter().filter(|b| b["user"]["username"] == "same_name").count(), 1);
    for (status, body) in results.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 422, "{body}");
    }
    // Losers left no claim behind: their own values are still free.
    for (i, (status, _)) in results.iter().enumerate() {
        if *status != 201 {
            let (field, value) = if i % 2 == 0 { ("username", format!("solo_{i}")) } else { ("email", format!("solo{i}@example.com")) };
            let claim = ctx.store.get_item(&keys::claim(env.id, field, &value)).await.unwrap();
            assert!(claim.is_none(), "{field} {value} was claimed by a refused create");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conflicting_updates_give_a_value_to_exactly_one_user() {
    let ctx = shared_context().await;
    let env: &'static Env = Box::leak(Box::new(environment(ctx).await));
    let mut users = Vec::new();
    for _ in 0..N {
        users.push(user_id_of(&create_user(ctx, env, json!({})).await.1));
    }
    let tasks = users.iter().map(|&id| tokio::spawn(async move { (id, update_user(ctx, env, id, json!({"username": "wanted"})).await) }));
    let results: Vec<_> = join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let winners: Vec<_> = results.iter().filter(|(_, (s, _))| *s == 200).collect();
    assert_eq!(winners.len(), 1, "exactly one user gets the name");
    for (_, (status, body)) in results.iter().filter(|(_, (s, _))| *s != 200) {
        assert_error(&(*status, body.clone()), 422, "username_already_exists", Some("username"));
    }
    let holder = ctx.store.claim_holder(env.id, "username", "wanted").await.unwrap();
    assert_eq!(holder, Some(winners[0].0));
    let mut holders = 0;
    for id in &users {
        if get_user(ctx, env, *id).await.1["user"]["username"] == "wanted" {
            holders += 1;
        }
    }
    assert_eq!(holders, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_guesses_at_once_test_at_most_five_codes() {
    let ctx = shared_context().await;
    let env: &'static Env = Box::leak(Box::new(environment(ctx).await));
    let (_, body) = create_user(ctx, env, json!({})).await;
    let id = user_id_of(&body);
    let email = format!("guess.{}@example.com", uuid::Uuid::new_v4().simple());
    let (status, body) = update_user(ctx, env, id, json!({"email": email})).await;
    assert_eq!(status, 200, "{body}");
    let verification = body["emailVerification"]["verificationUUID"].as_str().unwrap().to_string();
    let code = sent_codes(&email).await.pop().unwrap();
    // 100 wrong guesses at once, and the right code among them.
    let tasks = (0..N).map(|i| {
        let verification = verification.clone();
        let guess = if i == N / 2 { code.clone() } else { format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i as u32) % 1_000_000) };
        tokio::spawn(async move { verify_email(ctx, env, id, &verification, &guess).await })
    });
    let results: Vec<(u16, Value)> = join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    let judged = results
        .iter()
        .filter(|(s, b)| *s == 200 || b["code"] == "wrong_email_verification_token")
        .count();
    assert!(judged <= 5, "only five attempts may be compared, {judged} were");
    assert!(results.iter().filter(|(s, _)| *s == 200).count() <= 1);
    for (status, body) in &results {
        assert!(*status == 200 || *status == 422, "{status} {body}");
    }
}
