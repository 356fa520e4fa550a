//! One atomic multi-item write with a guard per item, so a cancelled transaction says which
//! condition failed, as a [`StoreError`].

use super::attrs::{AttributeValue, Item};
use super::errors::{from_call, StoreError};
use super::wire;
use crate::aws::json_service::CallError;
use super::Store;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What an item's condition protects: the error its failure means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// The user item: absent on create ([`StoreError::UserExists`]), at the read version on
    /// update ([`StoreError::UserChanged`]).
    NewUser,
    UserVersion,
    /// Claiming a value of this field: free or already ours ([`StoreError::Taken`]).
    Claim(String),
    /// Releasing a value this user holds: absent or ours ([`StoreError::ClaimsOutOfSync`]).
    Release(String),
    /// The field configuration is still at the version the values were checked against.
    FieldsVersion,
    /// The pending verification is still the one that was read.
    Verification,
    /// A send counter had room ([`StoreError::RateLimited`], the charge's index).
    Rate(usize),
    /// A failure counter still has room ([`StoreError::TooManyFailures`], with the wait).
    Room(u64),
    /// The pending sign-in is still live and unused.
    SignIn,
    /// The session exists (logging out twice, or after it expired).
    Session,
    /// The environment item exists (and, for a rotation, still names the key read).
    Environment,
    /// An item whose condition only fails if a random id collides.
    Fresh,
}

impl Guard {
    fn error(&self) -> StoreError {
        match self {
            Guard::NewUser => StoreError::UserExists,
            Guard::UserVersion => StoreError::UserChanged,
            Guard::Claim(field) => StoreError::Taken(field.clone()),
            Guard::Release(field) => StoreError::ClaimsOutOfSync(field.clone()),
            Guard::FieldsVersion => StoreError::FieldsChanged,
            Guard::Verification => StoreError::VerificationGone,
            Guard::Rate(index) => StoreError::RateLimited { index: *index, retry_after_seconds: 0 },
            Guard::Room(wait) => StoreError::TooManyFailures { retry_after_seconds: *wait },
            Guard::SignIn => StoreError::VerificationGone,
            Guard::Session => StoreError::NoSession,
            Guard::Environment => StoreError::NoEnvironment,
            Guard::Fresh => StoreError::Conflict,
        }
    }
}

pub type Values = HashMap<String, AttributeValue>;

/// A condition expression and its values.
pub struct Condition {
    pub expression: &'static str,
    pub values: Values,
    /// `#name` placeholders, for attribute names DynamoDB reserves (such as `ttl`).
    pub names: HashMap<String, String>,
}

impl Condition {
    pub fn new(expression: &'static str) -> Self {
        Self { expression, values: Values::new(), names: HashMap::new() }
    }

    pub fn name(mut self, placeholder: &str, name: &str) -> Self {
        self.names.insert(placeholder.to_string(), name.to_string());
        self
    }

    pub fn with(mut self, name: &str, value: AttributeValue) -> Self {
        self.values.insert(name.to_string(), value);
        self
    }
}

/// One item of a TransactWriteItems, as DynamoDB's JSON names it (`{"Put": {...}}`).
#[derive(Serialize)]
enum TransactItem {
    Put(Write),
    Delete(Write),
    Update(Write),
    ConditionCheck(Write),
}

/// The members of a Put, Delete, Update or ConditionCheck; each sets those it takes.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Write {
    table_name: String,
    #[serde(serialize_with = "wire::serialize_optional_item", skip_serializing_if = "Option::is_none")]
    item: Option<Item>,
    #[serde(serialize_with = "wire::serialize_optional_item", skip_serializing_if = "Option::is_none")]
    key: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition_expression: Option<&'static str>,
    #[serde(serialize_with = "wire::serialize_item", skip_serializing_if = "Values::is_empty")]
    expression_attribute_values: Values,
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    expression_attribute_names: HashMap<String, String>,
}

impl Write {
    fn new(table: &str, item: Option<Item>, key: Option<Item>, condition: Option<Condition>) -> Self {
        let (condition_expression, expression_attribute_values, expression_attribute_names) = match condition {
            Some(c) => (Some(c.expression), c.values, c.names),
            None => (None, Values::new(), HashMap::new()),
        };
        Self {
            table_name: table.to_string(),
            item,
            key,
            update_expression: None,
            condition_expression,
            expression_attribute_values,
            expression_attribute_names,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TransactWriteItems {
    transact_items: Vec<TransactItem>,
    /// The same on every retry of one call, so a transaction retried after a lost answer is
    /// not applied twice (the SDK fills it the same way).
    client_request_token: String,
}

/// A cancelled transaction's reasons, one per item in order.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Cancelled {
    #[serde(default)]
    cancellation_reasons: Vec<Reason>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Reason {
    code: Option<String>,
}

#[derive(Default)]
pub struct Tx {
    items: Vec<TransactItem>,
    guards: Vec<Guard>,
}

/// DynamoDB's limit on the items of one transaction.
pub const MAX_TX_ITEMS: usize = 100;

impl Tx {
    pub fn put(&mut self, table: &str, item: Item, condition: Option<Condition>, guard: Guard) {
        self.push(TransactItem::Put(Write::new(table, Some(item), None, condition)), guard);
    }

    pub fn delete(&mut self, table: &str, key: Item, condition: Option<Condition>, guard: Guard) {
        self.push(TransactItem::Delete(Write::new(table, None, Some(key), condition)), guard);
    }

    pub fn update(&mut self, table: &str, key: Item, expression: &str, condition: Condition, guard: Guard) {
        let mut update = Write::new(table, None, Some(key), Some(condition));
        update.update_expression = Some(expression.to_string());
        self.push(TransactItem::Update(update), guard);
    }

    pub fn check(&mut self, table: &str, key: Item, condition: Condition, guard: Guard) {
        self.push(TransactItem::ConditionCheck(Write::new(table, None, Some(key), Some(condition))), guard);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    fn push(&mut self, item: TransactItem, guard: Guard) {
        self.items.push(item);
        self.guards.push(guard);
    }
}

impl Store {
    /// Runs `tx` in one TransactWriteItems; a failed condition is the error of its guard.
    pub(super) async fn run(&self, tx: Tx) -> Result<(), StoreError> {
        let Tx { items, guards } = tx;
        if items.is_empty() {
            return Ok(());
        }
        let request = TransactWriteItems { transact_items: items, client_request_token: uuid::Uuid::new_v4().to_string() };
        let err = match self.call_raw::<super::dynamodb::Ignored>("TransactWriteItems", &request).await {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        match (err.code(), &err) {
            (Some("TransactionCanceledException"), CallError::Service { body, .. }) => {
                let reasons = serde_json::from_slice::<Cancelled>(body).map(|c| c.cancellation_reasons).unwrap_or_default();
                let code = |reason: &Reason, wanted: &str| reason.code.as_deref() == Some(wanted);
                if let Some(guard) = reasons.iter().zip(&guards).find(|(reason, _)| code(reason, "ConditionalCheckFailed")).map(|(_, guard)| guard) {
                    return Err(guard.error());
                }
                if reasons.iter().any(|r| code(r, "TransactionConflict")) {
                    return Err(StoreError::Conflict);
                }
            }
            (Some("TransactionInProgressException"), _) => return Err(StoreError::Conflict),
            _ => {}
        }
        Err(from_call("TransactWriteItems", err))
    }
}
