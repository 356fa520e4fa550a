//! One atomic multi-item write with a guard per item, so a cancelled transaction says which
//! condition failed, as a [`StoreError`].

use super::attrs::Item;
use super::errors::{from_sdk, StoreError};
use super::Store;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update};
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

    fn parts(self) -> (Option<String>, Option<Values>, Option<HashMap<String, String>>) {
        let values = (!self.values.is_empty()).then_some(self.values);
        (Some(self.expression.to_string()), values, (!self.names.is_empty()).then_some(self.names))
    }
}

#[derive(Default)]
pub struct Tx {
    items: Vec<TransactWriteItem>,
    guards: Vec<Guard>,
}

/// DynamoDB's limit on the items of one transaction.
pub const MAX_TX_ITEMS: usize = 100;

impl Tx {
    pub fn put(&mut self, table: &str, item: Item, condition: Option<Condition>, guard: Guard) {
        let (expression, values, names) = condition.map(Condition::parts).unwrap_or((None, None, None));
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .set_condition_expression(expression)
            .set_expression_attribute_values(values)
            .set_expression_attribute_names(names);
        self.push(TransactWriteItem::builder().put(put.build().expect("table and item are set")).build(), guard);
    }

    pub fn delete(&mut self, table: &str, key: Item, condition: Option<Condition>, guard: Guard) {
        let (expression, values, names) = condition.map(Condition::parts).unwrap_or((None, None, None));
        let delete = Delete::builder()
            .table_name(table)
            .set_key(Some(key))
            .set_condition_expression(expression)
            .set_expression_attribute_values(values)
            .set_expression_attribute_names(names);
        self.push(TransactWriteItem::builder().delete(delete.build().expect("table and key are set")).build(), guard);
    }

    pub fn update(&mut self, table: &str, key: Item, expression: &str, condition: Condition, guard: Guard) {
        let (cond, values, names) = condition.parts();
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(expression)
            .set_condition_expression(cond)
            .set_expression_attribute_values(values)
            .set_expression_attribute_names(names);
        self.push(
            TransactWriteItem::builder().update(update.build().expect("table, key and expression are set")).build(),
            guard,
        );
    }

    pub fn check(&mut self, table: &str, key: Item, condition: Condition, guard: Guard) {
        let (cond, values, names) = condition.parts();
        let check = ConditionCheck::builder()
            .table_name(table)
            .set_key(Some(key))
            .set_condition_expression(cond)
            .set_expression_attribute_values(values)
            .set_expression_attribute_names(names);
        self.push(
            TransactWriteItem::builder().condition_check(check.build().expect("table, key and condition are set")).build(),
            guard,
        );
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    fn push(&mut self, item: TransactWriteItem, guard: Guard) {
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
        let err = match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        if let SdkError::ServiceError(service) = &err {
            match service.err() {
                TransactWriteItemsError::TransactionCanceledException(cancel) => {
                    let reasons = cancel.cancellation_reasons();
                    if let Some(guard) = reasons
                        .iter()
                        .zip(&guards)
                        .find(|(reason, _)| reason.code() == Some("ConditionalCheckFailed"))
                        .map(|(_, guard)| guard)
                    {
                        return Err(guard.error());
                    }
                    if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) {
                        return Err(StoreError::Conflict);
                    }
                }
                TransactWriteItemsError::TransactionInProgressException(_) => return Err(StoreError::Conflict),
                _ => {}
            }
        }
        Err(from_sdk(err))
    }
}
