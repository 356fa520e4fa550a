//! Operator user management: delete (erasure), listing with filters and a cursor, bulk create.

use serde_json::{json, Value};
use userfields::context::AppContext;
use userfields::handlers::{delete_user, user_field_settings};
use userfields_tests::*;
use uuid::Uuid;

const ETH: &str = "0xbF394748301603f18d953C90F0b087CBEC0E1834";

async fn delete(ctx: &AppContext, env: &Env, id: Uuid) -> (u16, Option<Value>) {
    let resp = delete_user::handle(ctx, event("delete-user.json", env, Some(id))).await;
    let status = resp.status().as_u16();
    let body: &[u8] = resp.body().as_ref();
    (status, (!body.is_empty()).then(|| serde_json::from_slice(body).expect("an error body is JSON")))
}

/// Every item of the table that mentions `id`, in its key or any string attribute.
async fn items_mentioning(ctx: &AppContext, id: Uuid) -> Vec<String> {
    let needle = id.to_string();
    let out = raw_dynamodb().await.scan().table_name(ctx.store.table_name()).send().await.unwrap();
    out.items()
        .iter()
        .filter(|item| item.values().any(|v| v.as_s().is_ok_and(|s| s.contains(&needle))))
        .map(|item| format!("{:?}/{:?}", item.get("pk"), item.get("sk")))
        .collect()
}

#[tokio::test]
async fn delete_erases_the_user_and_frees_every_value_it_held() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let fields = json!([{"name": "email", "type": "standard"}, {"name": "badge", "type": "custom", "unique": true}]);
    let req = event_with_body("put-user-field-settings.json", &env, None, &json!({ "fields": fields }));
    assert_eq!(call!(user_field_settings::handle, &ctx, req).await.0, 200);
    let full = json!({"email": "gone@example.com", "emailVerifiedAt": "2025-01-01T00:00:00Z", "username": "gone_user",
        "metadata": {"badge": "gold"}, "wallets": [{"publicWalletAddress": ETH, "chain": "ETH"}],
        "oauthAccounts": [{"provider": "github", "accountId": "77"}]});
    let (status, body) = create_user(&ctx, &env, full.clone()).await;
    assert_eq!(status, 201, "{body}");
    let id = user_id_of(&body);
    // A pending email change too.
    let (status, body) = update_user(&ctx, &env, id, json!({"email": format!("pending-{id}@example.com")})).await;
    assert_eq!((status, &body["isEmailVerificationRequired"]), (200, &json!(true)), "{body}");
    assert!(!items_mentioning(&ctx, id).await.is_empty());

    let other = Env { id: Uuid::new_v4(), key: env.key.clone() };
    assert_eq!(delete(&ctx, &other, id).await.0, 403);
    assert_eq!(delete(&ctx, &env, id).await, (204, None));
    assert_eq!(items_mentioning(&ctx, id).await, Vec::<String>::new(), "nothing of the user is left");
    assert_error(&get_user(&ctx, &env, id).await, 404, "not_found", Some("userId"));
    let (status, body) = delete(&ctx, &env, id).await;
    assert_eq!(status, 404, "{body:?}");
    // Every value it held can be taken by a new user.
    let (status, body) = create_user(&ctx, &env, full).await;
    assert_eq!(status, 201, "{body}");
}

async fn list(ctx: &AppContext, env: &Env, query: &[(&str, &str)]) -> (u16, Value) {
    list_users(ctx, env, query).await
}

pub async fn list_users(ctx: &AppContext, env: &Env, query: &[(&str, &str)]) -> (u16, Value) {
    let mut raw: Value = serde_json::from_str(&event_text("list-users.json", env, None)).unwrap();
    raw["queryStringParameters"] = Value::Object(query.iter().map(|(k, v)| (k.to_string(), json!(v))).collect());
    let encode = |t: &str| t.replace('%', "%25").replace(' ', "%20").replace('+', "%2B").replace('&', "%26");
    raw["rawQueryString"] = json!(query.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&"));
    call!(userfields::handlers::list_users::handle, ctx, request(&raw.to_string())).await
}

pub fn ids(page: &Value) -> Vec<String> {
    page["users"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn filters_find_users_by_their_unique_values() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let fields = json!([{"name": "email", "type": "standard"}, {"name": "badge", "type": "custom", "unique": true}]);
    let req = event_with_body("put-user-field-settings.json", &env, None, &json!({ "fields": fields }));
    assert_eq!(call!(user_field_settings::handle, &ctx, req).await.0, 200);
    let (_, body) = create_user(&ctx, &env, json!({"email": "Find.Me@example.com", "username": "findme", "metadata": {"badge": "Gold"},
        "wallets": [{"publicWalletAddress": ETH, "chain": "ETH"}]})).await;
    let id = user_id_of(&body).to_string();
    create_user(&ctx, &env, json!({"email": "other@example.com"})).await;
    for query in [
        vec![("email", "find.me@EXAMPLE.com")],
        vec![("username", "FindMe")],
        vec![("field", "badge"), ("value", "gold")],
        vec![("walletAddress", &ETH.to_lowercase())],
    ] {
        let (status, page) = list(&ctx, &env, &query).await;
        assert_eq!(status, 200, "{query:?} {page}");
        assert_eq!(ids(&page), [id.clone()], "{query:?}");
        assert_eq!((page["count"].clone(), page["nextCursor"].clone()), (json!(1), Value::Null));
    }
    let (_, page) = list(&ctx, &env, &[("email", "nobody@example.com")]).await;
    assert_eq!(page["count"], 0);
    assert_error(&list(&ctx, &env, &[("field", "nickname"), ("value", "x")]).await, 400, "invalid_filter", Some("field"));
    assert_error(&list(&ctx, &env, &[("email", "x@example.com"), ("username", "abc")]).await, 400, "bad_request", None);
    assert_error(&list(&ctx, &env, &[("limit", "0")]).await, 400, "invalid_limit", Some("limit"));
    assert_error(&list(&ctx, &env, &[("limit", "101")]).await, 400, "invalid_limit", Some("limit"));
    assert_error(&list(&ctx, &env, &[("sort", "name")]).await, 400, "bad_request", Some("sort"));

    // As Dynamic's getEnvironmentUsers asks: filter[filterColumn] and filter[filterValue].
    let eth = ETH.to_lowercase();
    for (column, value) in [("email", "FIND.ME@example.com"), ("username", "findME"), ("id", id.as_str()), ("wallet", eth.as_str()),
        ("walletPublicKey", ETH), ("all", "find.me@example.com"), ("all", id.as_str()), ("all", eth.as_str())] {
        let (status, page) = list(&ctx, &env, &[("filter[filterColumn]", column), ("filter[filterValue]", value)]).await;
        assert_eq!(status, 200, "{column} {page}");
        assert_eq!((ids(&page), page["count"].clone()), (vec![id.clone()], json!(1)), "{column}");
    }
    let chain = list(&ctx, &env, &[("filter[filterColumn]", "wallet"), ("filter[filterValue]", &eth), ("filter[chain]", "SOL")]).await;
    assert_error(&chain, 400, "invalid_wallet_address", Some("filter[filterValue]"));
    let (_, none) = list(&ctx, &env, &[("filter[filterColumn]", "all"), ("filter[filterValue]", "nobody")]).await;
    assert_eq!(none["count"], 0);
    let (status, nobody) = list(&ctx, &env, &[("filter[filterColumn]", "firstName"), ("filter[filterValue]", "Nobody")]).await;
    assert_eq!((status, nobody["count"].clone()), (200, json!(0)), "{nobody}");
    assert_error(&list(&ctx, &env, &[("filter[filterColumn]", "shoeSize"), ("filter[filterValue]", "9")]).await, 400, "invalid_filter", Some("filter[filterColumn]"));
    assert_error(&list(&ctx, &env, &[("filter[filterColumn]", "email")]).await, 400, "bad_request", Some("filter[filterValue]"));
    assert_error(&list(&ctx, &env, &[("filter[filterColumn]", "id"), ("filter[filterValue]", "x")]).await, 400, "invalid_uuid", Some("filter[filterValue]"));
    let mixed = list(&ctx, &env, &[("filter[filterColumn]", "email"), ("filter[filterValue]", "a@b.co"), ("email", "a@b.co")]).await;
    assert_error(&mixed, 400, "bad_request", Some("filter[filterColumn]"));
}

#[tokio::test]
async fn offset_pages_through_the_id_order_up_to_its_ceiling() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    for i in 0..5 {
        create_user(&ctx, &env, json!({"alias": format!("o{i}")})).await;
    }
    let (_, all) = list(&ctx, &env, &[("limit", "5")]).await;
    let (status, page) = list(&ctx, &env, &[("offset", "2"), ("limit", "2")]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), ids(&all)[2..4]);
    let (_, beyond) = list(&ctx, &env, &[("offset", "9")]).await;
    assert_eq!(beyond["count"], 0);
    assert_error(&list(&ctx, &env, &[("offset", "1001")]).await, 400, "invalid_offset", Some("offset"));
    assert_error(&list(&ctx, &env, &[("offset", "-1")]).await, 400, "invalid_offset", Some("offset"));
    let cursor = all["nextCursor"].as_str().map(str::to_string);
    if let Some(cursor) = cursor {
        assert_error(&list(&ctx, &env, &[("offset", "1"), ("cursor", &cursor)]).await, 400, "bad_request", Some("offset"));
    }
}

/// Paging through more users than fit in a few pages: every user exactly once, in id order,
/// and a cursor from another environment is refused.
#[tokio::test]
async fn paging_visits_every_user_once_in_id_order() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let mut created = Vec::new();
    for chunk in 0..6 {
        let users: Vec<Value> = (0..45).map(|i| json!({"alias": format!("u{chunk}-{i}")})).collect();
        let req = event_with_body("bulk-create-users.json", &env, None, &json!({ "users": users }));
        let (status, body) = call!(userfields::handlers::bulk_create_users::handle, &ctx, req).await;
        assert_eq!((status, &body["failed"]), (200, &json!([])), "{body}");
        created.extend(ids(&json!({"users": body["created"]})));
    }
    assert_eq!(created.len(), 270);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let limit = "100";
        let query: Vec<(&str, &str)> = match &cursor {
            Some(c) => vec![("limit", limit), ("cursor", c.as_str())],
            None => vec![("limit", limit)],
        };
        let (status, page) = list(&ctx, &env, &query).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["count"].as_u64().unwrap() <= 100);
        seen.extend(ids(&page));
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    let mut expected = created.clone();
    expected.sort();
    assert_eq!(seen, expected, "every user once, in id order");

    // A cursor of this environment is refused on another, even with that one's own key.
    let (_, first) = list(&ctx, &env, &[("limit", "5")]).await;
    let foreign = first["nextCursor"].as_str().unwrap().to_string();
    let other = environment(&ctx).await;
    assert_error(&list(&ctx, &other, &[("cursor", foreign.as_str())]).await, 400, "invalid_cursor", Some("cursor"));
    assert_error(&list(&ctx, &env, &[("cursor", "not-a-cursor")]).await, 400, "invalid_cursor", Some("cursor"));
}

#[tokio::test]
async fn bulk_create_fails_only_the_bad_entries() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    create_user(&ctx, &env, json!({"email": "exists@example.com"})).await;
    let (status, body) = call!(userfields::handlers::bulk_create_users::handle, &ctx, event("bulk-create-users.json", &env, None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 3);
    assert_eq!(body["created"].as_array().unwrap().len(), 1);
    let failed = body["failed"].as_array().unwrap();
    assert_eq!(failed.iter().map(|f| (f["index"].clone(), f["code"].clone())).collect::<Vec<_>>(),
        [(json!(1), json!("invalid_email")), (json!(2), json!("email_already_exists"))]);

    let entries = json!({"users": [{"email": "exists@example.com"}, {"alias": "fine"}, [1, 2], {"nickname": "x"}]});
    let req = event_with_body("bulk-create-users.json", &env, None, &entries);
    let (status, body) = call!(userfields::handlers::bulk_create_users::handle, &ctx, req).await;
    assert_eq!(status, 200, "{body}");
    let codes: Vec<_> = body["failed"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect();
    assert_eq!(codes, ["email_already_exists", "bad_request", "bad_request"]);
    assert_eq!(body["created"][0]["alias"], "fine");

    // Dynamic's body: a top-level array; with upsert, entries naming a user (by id, else by
    // email) update it, the others are created, and a bad one fails alone.
    let existing = user_id_of(&create_user(&ctx, &env, json!({"email": "kept@example.com", "alias": "old"})).await.1);
    let by_id = user_id_of(&create_user(&ctx, &env, json!({"alias": "by-id"})).await.1);
    let dynamic = json!([
        {"email": "KEPT@example.com", "firstName": "Ada"},
        {"id": by_id, "lastName": "Byron"},
        {"email": "new.upsert@example.com"},
        {"email": "not-an-email"}
    ]);
    let mut raw: Value = serde_json::from_str(&event_text("bulk-create-users.json", &env, None)).unwrap();
    raw["body"] = json!(dynamic.to_string());
    raw["queryStringParameters"] = json!({"upsert": "true"});
    raw["rawQueryString"] = json!("upsert=true");
    let (status, body) = call!(userfields::handlers::bulk_create_users::handle, &ctx, request(&raw.to_string())).await;
    assert_eq!(status, 200, "{body}");
    let updated = body["updated"].as_array().unwrap();
    assert_eq!(updated.iter().map(|u| u["id"].as_str().unwrap().parse::<Uuid>().unwrap()).collect::<Vec<_>>(), [existing, by_id]);
    assert_eq!((updated[0]["firstName"].as_str(), updated[0]["alias"].as_str()), (Some("Ada"), Some("old")), "an update keeps the rest");
    assert_eq!(updated[1]["lastName"], "Byron");
    assert_eq!(body["created"][0]["email"], "new.upsert@example.com");
    assert_eq!((body["failed"][0]["index"].as_u64(), body["failed"][0]["code"].as_str()), (Some(3), Some("invalid_email")));
    assert_eq!(body["failed"][0]["user"], json!({"email": "not-an-email"}), "the entry as sent");
    assert_eq!(body["total"], 4);
    // Without upsert the same address is a duplicate, as before.
    raw["queryStringParameters"] = json!({"upsert": "false"});
    raw["rawQueryString"] = json!("upsert=false");
    raw["body"] = json!(json!([{"email": "kept@example.com"}]).to_string());
    let (_, body) = call!(userfields::handlers::bulk_create_users::handle, &ctx, request(&raw.to_string())).await;
    assert_eq!(body["failed"][0]["code"], "email_already_exists");
    for (query, code) in [("upsert=maybe", "invalid_upsert"), ("other=1", "unknown_query_parameter")] {
        let (k, v) = query.split_once('=').unwrap();
        raw["queryStringParameters"] = json!({ k: v });
        raw["rawQueryString"] = json!(query);
        assert_error(&call!(userfields::handlers::bulk_create_users::handle, &ctx, request(&raw.to_string())).await, 400, code, None);
    }
    let req = event_with_body("bulk-create-users.json", &env, None, &json!([]));
    assert_error(&call!(userfields::handlers::bulk_create_users::handle, &ctx, req).await, 400, "no_users", Some("users"));

    let many = json!({"users": vec![json!({}); 51]});
    let req = event_with_body("bulk-create-users.json", &env, None, &many);
    assert_error(&call!(userfields::handlers::bulk_create_users::handle, &ctx, req).await, 400, "too_many_users", Some("users"));
}
