//! One atomic multi-item write with a guard per item, so a cancelled transaction says which
//! condition failed (an id taken, a unique value claimed, a stale version...).

use super::{storage_error, Item, Store};
use crate::error::ApiError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::error::SdkError;
use std::collections::HashMap;

/// What an item's condition protects, to explain its failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// The user item: absent on create, at the read version on update.
    User,
    /// A unique value of this field must not belong to someone else.
    Claim(String),
    /// The pending email verification must still be the one that was read.
    Verification,
    /// Any other item.
    Other,
}

#[derive(Debug)]
pub enum TxError {
    /// The condition on an item failed.
    Failed(Guard),
    /// DynamoDB cancelled on a concurrent transaction touching the same items; retry.
    Conflict,
    Api(ApiError),
}

pub type Values = HashMap<String, AttributeValue>;

#[derive(Default)]
pub struct Tx {
    items: Vec<TransactWriteItem>,
    guards: Vec<Guard>,
}

impl Tx {
    pub fn put(&mut self, table: &str, item: Item, condition: Option<&str>, values: Values, guard: Guard) {
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .build()
            .expect("table and item are set");
        self.items.push(TransactWriteItem::builder().put(put).build());
        self.guards.push(guard);
    }

    pub fn delete(&mut self, table: &str, key: Item, condition: Option<&str>, values: Values, guard: Guard) {
        let delete = Delete::builder()
            .table_name(table)
            .set_key(Some(key))
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .build()
            .expect("table and key are set");
        self.items.push(TransactWriteItem::builder().delete(delete).build());
        self.guards.push(guard);
    }

    pub fn update(&mut self, table: &str, key: Item, expression: &str, condition: &str, values: Values, guard: Guard) {
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(key))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .build()
            .expect("table, key and expression are set");
        self.items.push(TransactWriteItem::builder().update(update).build());
        self.guards.push(guard);
    }
}

impl Store {
    pub async fn transact(&self, tx: Tx) -> Result<(), TxError> {
        let Tx { items, guards } = tx;
        let result = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        if let SdkError::ServiceError(service) = &err {
            if let TransactWriteItemsError::TransactionCanceledException(cancel) = service.err() {
                let reasons = cancel.cancellation_reasons();
                for (reason, guard) in reasons.iter().zip(&guards) {
                    if reason.code() == Some("ConditionalCheckFailed") {
                        return Err(TxError::Failed(guard.clone()));
                    }
                }
                if reasons.iter().any(|r| r.code() == Some("TransactionConflict")) {
                    return Err(TxError::Conflict);
                }
            }
            if matches!(service.err(), TransactWriteItemsError::TransactionInProgressException(_)) {
                return Err(TxError::Conflict);
            }
        }
        Err(TxError::Api(storage_error(err)))
    }
}

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
