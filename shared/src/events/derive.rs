//! From a stream record to the events it means. Pure: the field configuration that renders the
//! user (and decides what is missing) is handed in.

use super::stream::StreamRecord;
use super::Event;
use crate::http::views::UserView;
use crate::model::field_settings::FieldSettings;
use crate::model::user::User;
use crate::model::values::Timestamp;
use crate::store::keys::{SK_PROFILE, SK_SESSION};
use crate::store::{parse_session, parse_user, Item, Session};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The namespace of event ids (UUIDv5 of the stream record's id and the event's name).
const EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x5f0c_6b8e_7a43_4c1e_9d2b_77e1_0a6f_3c21);

/// What a record is about, before the configuration is known.
pub enum Subject {
    User { env: Uuid, old: Option<User>, new: Option<User> },
    Session { env: Uuid, session: Session, started: bool },
}

/// The record's subject, or `None` for an item no event is about (claims, counters, codes...),
/// a session TTL removed (it expired; nobody revoked it), or an image that does not parse.
pub fn subject(record: &StreamRecord) -> Option<Subject> {
    let keys = record.dynamodb.keys.as_ref()?;
    let sk = crate::store::attrs_string(keys, "sk")?;
    let env = environment_of(crate::store::attrs_string(keys, "pk")?)?;
    let image = |item: &Option<Item>| item.clone();
    if sk == SK_PROFILE {
        let parse = |item: Option<Item>| item.map(parse_user).transpose();
        let (old, new) = match (parse(image(&record.dynamodb.old_image)), parse(image(&record.dynamodb.new_image))) {
            (Ok(old), Ok(new)) => (old, new),
            _ => {
                tracing::error!(event_id = %record.event_id, "a user image does not parse; no event");
                return None;
            }
        };
        return Some(Subject::User { env, old, new });
    }
    if sk.starts_with(SK_SESSION) {
        let started = record.event_name == "INSERT";
        if !started && (record.event_name != "REMOVE" || record.removed_by_ttl()) {
            return None;
        }
        let item = if started { image(&record.dynamodb.new_image) } else { image(&record.dynamodb.old_image) };
        let session = parse_session(item?).ok()?;
        return Some(Subject::Session { env, session, started });
    }
    None
}

/// `ENV#<env>#USER#<user>` → the environment.
fn environment_of(pk: &str) -> Option<Uuid> {
    let rest = pk.strip_prefix("ENV#")?;
    let (env, _) = rest.split_once("#USER#")?;
    env.parse().ok()
}

/// The events of one record, in the order they happened.
pub fn events(record: &StreamRecord, subject: &Subject, fields: &FieldSettings) -> Vec<Event> {
    let timestamp = record.created_millis().and_then(Timestamp::from_unix_millis).unwrap_or_else(Timestamp::now);
    let event = |name: &'static str, env: Uuid, user: &User, changed: Option<Vec<String>>| Event {
        event_id: Uuid::new_v5(&EVENT_NAMESPACE, format!("{}#{name}", record.event_id).as_bytes()),
        event_name: name,
        environment_id: env,
        subject_user_id: user.id,
        actor: user.changed_by.clone(),
        changed_fields: changed,
        external_user_id: user.credentials(crate::model::credentials::CredentialFormat::ExternalUser).next().map(|c| c.public_identifier.clone()),
        timestamp,
        data: serde_json::to_value(UserView::new(user, fields, false)).unwrap_or_default(),
    };
    match subject {
        Subject::User { env, old: None, new: Some(new) } => {
            let mut out = vec![event("user.created", *env, new, None)];
            if fields.missing(&new.profile).is_empty() {
                out.push(event("user.profile.completed", *env, new, None));
            }
            out
        }
        Subject::User { env, old: Some(old), new: Some(new) } => {
            let mut out = Vec::new();
            let changed = changed_fields(old, new);
            if !changed.is_empty() {
                out.push(event("user.updated", *env, new, Some(changed)));
            }
            if !fields.missing(&old.profile).is_empty() && fields.missing(&new.profile).is_empty() {
                out.push(event("user.profile.completed", *env, new, None));
            }
            out
        }
        Subject::User { env, old: Some(old), new: None } => {
            // The store records the deleter on the item just before it removes it.
            vec![event("user.deleted", *env, old, None)]
        }
        Subject::User { .. } => Vec::new(),
        Subject::Session { env, session, started } => {
            let name = if *started { "user.session.created" } else { "user.session.revoked" };
            vec![Event {
                event_id: Uuid::new_v5(&EVENT_NAMESPACE, format!("{}#{name}", record.event_id).as_bytes()),
                event_name: name,
                environment_id: *env,
                subject_user_id: session.user_id,
                actor: started.then_some(crate::model::actor::Actor::EndUser),
                changed_fields: None,
                external_user_id: session.external_user_id.clone(),
                timestamp,
                data: serde_json::json!({
                    "sessionId": session.sid,
                    "userId": session.user_id,
                    "createdAt": session.created_at,
                    "expiresAt": session.expires_at,
                }),
            }]
        }
    }
}

/// The names of the fields whose values differ: pre-made fields by name, custom fields as
/// `metadata.<key>`, and `verifiedCredentials` when a credential was added, removed or changed.
pub fn changed_fields(old: &User, new: &User) -> Vec<String> {
    let as_map = |user: &User| match serde_json::to_value(&user.profile) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let (before, after) = (as_map(old), as_map(new));
    let mut names: Vec<String> = Vec::new();
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).filter(|k| *k != "metadata").collect();
    keys.sort();
    keys.dedup();
    names.extend(keys.into_iter().filter(|k| before.get(*k) != after.get(*k)).cloned());
    let metadata = |map: &Map<String, Value>| map.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
    let (old_meta, new_meta) = (metadata(&before), metadata(&after));
    let mut meta_keys: Vec<&String> = old_meta.keys().chain(new_meta.keys()).collect();
    meta_keys.sort();
    meta_keys.dedup();
    names.extend(meta_keys.into_iter().filter(|k| old_meta.get(*k) != new_meta.get(*k)).map(|k| format!("metadata.{k}")));
    if old.verified_credentials != new.verified_credentials {
        names.push("verifiedCredentials".into());
    }
    names
}
