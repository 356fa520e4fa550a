//! Searching users by the columns no uniqueness claim answers (names, phone, job title, OAuth
//! account id) and by searchable custom fields: index items kept in step with every save,
//! never a scan.

use crate::user_management::{ids, list_users};
use serde_json::{json, Value};
use userfields::handlers::custom_fields;
use userfields::model::search::MAX_SEARCHABLE_CUSTOM;
use userfields_tests::*;

fn by(column: &'static str, value: &'static str) -> [(&'static str, &'static str); 2] {
    [("filter[filterColumn]", column), ("filter[filterValue]", value)]
}

#[tokio::test]
async fn names_titles_and_accounts_are_found_case_insensitively_and_follow_changes() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, ada) = create_user(&ctx, &env, json!({"firstName": "Ada", "lastName": "Lovelace", "jobTitle": "Engineer", "phoneNumber": "+44 20 7946 0000",
        "oauthAccounts": [{"provider": "github", "accountId": "Ada-42"}]})).await;
    let (_, other) = create_user(&ctx, &env, json!({"firstName": "ADA", "lastName": "Byron"})).await;
    let (_, grace) = create_user(&ctx, &env, json!({"firstName": "Grace", "alias": "amazing grace", "jobTitle": "engineer"})).await;
    let (ada, other, grace) = (user_id_of(&ada).to_string(), user_id_of(&other).to_string(), user_id_of(&grace).to_string());
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };

    for (query, want) in [
        (by("firstName", "ada"), sorted(vec![ada.clone(), other.clone()])),
        (by("lastName", "LOVELACE"), vec![ada.clone()]),
        (by("jobTitle", "Engineer"), sorted(vec![ada.clone(), grace.clone()])),
        (by("alias", "Amazing Grace"), vec![grace.clone()]),
        (by("phoneNumber", "+44 20 7946 0000"), vec![ada.clone()]),
        (by("accountId", "ada-42"), vec![ada.clone()]),
        (by("all", "ada"), sorted(vec![ada.clone(), other.clone()])),
        (by("firstName", "Ad"), vec![]),
    ] {
        let (status, page) = list_users(&ctx, &env, &query).await;
        assert_eq!(status, 200, "{query:?} {page}");
        assert_eq!(ids(&page), want, "{query:?}");
        assert_eq!(page["count"], want.len());
    }

    // orderBy, offset and limit over a filtered result.
    let (_, newest) = list_users(&ctx, &env, &[by("firstName", "ada")[0], by("firstName", "ada")[1], ("orderBy", "createdAt-desc"), ("limit", "1")]).await;
    assert_eq!(ids(&newest), [other.clone()]);
    let (_, second) = list_users(&ctx, &env, &[by("firstName", "ada")[0], by("firstName", "ada")[1], ("orderBy", "createdAt-desc"), ("offset", "1")]).await;
    assert_eq!(ids(&second), [ada.clone()]);
    assert_error(&list_users(&ctx, &env, &[by("firstName", "ada")[0], by("firstName", "ada")[1], ("orderBy", "shoeSize")]).await, 400, "invalid_order", Some("orderBy"));
    assert_error(&list_users(&ctx, &env, &[("orderBy", "createdAt")]).await, 400, "invalid_order", Some("orderBy"));

    // A change moves the entry; a delete removes it.
    let ada_id = ada.parse().unwrap();
    assert_eq!(update_user(&ctx, &env, ada_id, json!({"firstName": "Augusta"})).await.0, 200);
    let (_, page) = list_users(&ctx, &env, &by("firstName", "ada")).await;
    assert_eq!(ids(&page), [other.clone()]);
    let (_, page) = list_users(&ctx, &env, &by("firstName", "augusta")).await;
    assert_eq!(ids(&page), [ada.clone()]);
    assert_eq!(update_user(&ctx, &env, ada_id, json!({"firstName": null, "oauthAccounts": []})).await.0, 200);
    assert_eq!(list_users(&ctx, &env, &by("firstName", "augusta")).await.1["count"], 0);
    assert_eq!(list_users(&ctx, &env, &by("accountId", "ada-42")).await.1["count"], 0);
    let resp = userfields::handlers::delete_user::handle(&ctx, event("delete-user.json", &env, Some(grace.parse().unwrap()))).await;
    assert_eq!(resp.status(), 204);
    let (_, page) = list_users(&ctx, &env, &by("jobTitle", "engineer")).await;
    assert_eq!(ids(&page), [ada.clone()]);
}

/// Creates (or replaces) the custom field `squad`, searchable or not.
async fn squad_field(ctx: &userfields::context::AppContext, env: &Env, searchable: bool) -> (u16, Value) {
    let mut body = json!({"name": "Squad", "enabled": true, "required": false, "fieldType": "text", "position": 30, "searchable": searchable});
    let id = userfields::model::custom_field::custom_field_id(env.id, "squad").to_string();
    let resp = custom_fields::handle(ctx, custom_field_event("get-custom-field.json", env, &id, None)).await;
    if resp.status() == 404 {
        body["key"] = json!("squad");
        call!(custom_fields::handle, ctx, event_with_body("create-custom-field.json", env, None, &body)).await
    } else {
        call!(custom_fields::handle, ctx, custom_field_event("put-custom-field.json", env, &id, Some(&body))).await
    }
}

#[tokio::test]
async fn a_custom_field_made_searchable_indexes_the_values_users_already_hold() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, blue) = create_user(&ctx, &env, json!({"metadata": {"squad": "Blue"}})).await;
    let (_, red) = create_user(&ctx, &env, json!({"metadata": {"squad": "red"}})).await;
    let (blue, red) = (user_id_of(&blue).to_string(), user_id_of(&red).to_string());
    let find = |value: &'static str| [("field", "squad"), ("value", value)];

    assert_eq!(squad_field(&ctx, &env, false).await.0, 201);
    assert_error(&list_users(&ctx, &env, &find("blue")).await, 400, "invalid_filter", Some("field"));
    let (status, saved) = squad_field(&ctx, &env, true).await;
    assert_eq!((status, saved["searchable"].clone()), (200, json!(true)), "{saved}");
    let (_, page) = list_users(&ctx, &env, &find("BLUE")).await;
    assert_eq!(ids(&page), [blue.clone()], "existing values were indexed");
    let (_, late) = create_user(&ctx, &env, json!({"metadata": {"squad": "blue"}})).await;
    let late = user_id_of(&late).to_string();
    let (_, page) = list_users(&ctx, &env, &find("blue")).await;
    let mut want = vec![blue.clone(), late.clone()];
    want.sort();
    assert_eq!(ids(&page), want);
    assert_eq!(update_user(&ctx, &env, red.parse().unwrap(), json!({"metadata": {"squad": "Blue"}})).await.0, 200);
    assert_eq!(list_users(&ctx, &env, &find("blue")).await.1["count"], 3);
    assert_eq!(list_users(&ctx, &env, &find("red")).await.1["count"], 0);

    // Off again: the filter is refused (entries left behind go at each holder's next save).
    assert_eq!(squad_field(&ctx, &env, false).await.0, 200);
    assert_error(&list_users(&ctx, &env, &find("blue")).await, 400, "invalid_filter", Some("field"));
}

#[tokio::test]
async fn searchable_is_for_custom_text_and_select_fields_and_bounded() {
    let ctx = context().await;
    let env = environment(&ctx).await;
    let put = |fields: Value| event_with_body("put-user-field-settings.json", &env, None, &json!({ "fields": fields }));
    let got = call!(userfields::handlers::user_field_settings::handle, &ctx, put(json!([{"name": "firstName", "type": "standard", "searchable": true}]))).await;
    assert_error(&got, 400, "searchable_not_configurable", Some("firstName"));
    let got = call!(userfields::handlers::user_field_settings::handle, &ctx, put(json!([{"name": "ok", "type": "custom", "validationType": "checkbox", "searchable": true}]))).await;
    assert_error(&got, 400, "searchable_not_configurable", Some("ok"));
    let many: Vec<Value> = (0..=MAX_SEARCHABLE_CUSTOM).map(|i| json!({"name": format!("f{i}"), "type": "custom", "searchable": true})).collect();
    let got = call!(userfields::handlers::user_field_settings::handle, &ctx, put(Value::Array(many))).await;
    assert_error(&got, 400, "too_many_searchable", Some("fields"));
}

/// A user item from before the search index records no entries: `userfields index-search` gives
/// it its entries once, and leaves alone what is indexed already.
#[tokio::test]
async fn users_saved_before_the_index_are_found_once_indexed() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use userfields::ops::index_search::{index_users_saved_before_search, Indexed};
    use userfields::store::keys;
    let ctx = context().await;
    let env = environment(&ctx).await;
    let (_, old) = create_user(&ctx, &env, json!({"firstName": "Olde", "jobTitle": "Archivist"})).await;
    let (_, new) = create_user(&ctx, &env, json!({"firstName": "Olde"})).await;
    let (old, new) = (user_id_of(&old), user_id_of(&new));
    // Make `old` as an item saved before the index: no record, no entries.
    let db = raw_dynamodb().await;
    let (pk, sk) = keys::profile(env.id, old);
    db.update_item().table_name(ctx.store.table_name()).key("pk", AttributeValue::S(pk)).key("sk", AttributeValue::S(sk))
        .update_expression("REMOVE searchIndex").send().await.unwrap();
    for (column, value) in [("firstName", "olde"), ("jobTitle", "archivist")] {
        let (pk, sk) = keys::search_entry(env.id, column, value, old);
        db.delete_item().table_name(ctx.store.table_name()).key("pk", AttributeValue::S(pk)).key("sk", AttributeValue::S(sk)).send().await.unwrap();
    }
    let (_, page) = list_users(&ctx, &env, &by("firstName", "olde")).await;
    assert_eq!(ids(&page), [new.to_string()], "missed before indexing");
    let before = get_user(&ctx, &env, old).await.1;

    let done = index_users_saved_before_search(&ctx, env.id).await.unwrap();
    assert_eq!(done, Indexed { users: 2, indexed: 1, saved_meanwhile: 0, unreadable: 0 });
    let mut want = vec![old.to_string(), new.to_string()];
    want.sort();
    assert_eq!(ids(&list_users(&ctx, &env, &by("firstName", "olde")).await.1), want);
    assert_eq!(ids(&list_users(&ctx, &env, &by("jobTitle", "ARCHIVIST")).await.1), [old.to_string()]);
    assert_eq!(get_user(&ctx, &env, old).await.1, before, "the user's answer is unchanged");
    // A second run finds nothing to do; a later save keeps the entries in step.
    assert_eq!(index_users_saved_before_search(&ctx, env.id).await.unwrap().indexed, 0);
    assert_eq!(update_user(&ctx, &env, old, json!({"jobTitle": "Curator"})).await.0, 200);
    assert!(ids(&list_users(&ctx, &env, &by("jobTitle", "archivist")).await.1).is_empty());
}
