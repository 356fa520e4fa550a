//! Search index items: one per (column, search form, user), `ENV#<env>#FIND#<column>#<value>` /
//! `USER#<id>`, so a Query on one partition answers "who has this first name" without a scan.
//! Written and removed in the same transaction as the user item, which records what it holds
//! (`searchIndex`), exactly as claims are; unlike claims they are not unique, so they take no
//! condition.

use super::attrs::{json_attr, key_attrs, number_attr, string_attr, string_of, Item};
use super::dynamodb::{Page, Search};
use super::errors::StoreError;
use super::keys;
use super::transact::{Condition, Guard, Tx};
use super::Store;
use crate::model::claims::Claims;
use crate::model::field_settings::FieldSettings;
use crate::model::user::User;
use uuid::Uuid;

/// The user-item attribute recording the entries it holds (a JSON string, as the claims record).
pub const SEARCH_RECORD: &str = "searchIndex";
/// The most holders one lookup reads: a value more users share than this is answered with the
/// first of them (in id order) and says so.
pub const MAX_HOLDERS: usize = 1000;

fn entry_item(env: Uuid, column: &str, value: &str, user: Uuid) -> Item {
    let mut item = key_attrs(&keys::search_entry(env, column, value, user));
    item.insert("userId".into(), string_attr(user.to_string()));
    item
}

impl Store {
    /// Moves `user`'s index items from what it `held` to `next`, in `tx`.
    pub(super) fn move_search_entries(&self, tx: &mut Tx, env: Uuid, user: Uuid, held: &Claims, next: &Claims) {
        let (removed, added) = held.moves(next);
        for (column, value) in removed {
            tx.delete(&self.table, key_attrs(&keys::search_entry(env, column, value, user)), None, Guard::Fresh);
        }
        for (column, value) in added {
            tx.put(&self.table, entry_item(env, column, value, user), None, Guard::Fresh);
        }
    }

    /// Indexes existing users' values of a field that became searchable: per user, its new
    /// entry and its record, in step with its version ([`StoreError::UserChanged`] otherwise),
    /// one transaction of two items each (few users change at once; no batch to undo).
    pub async fn record_search_entries(&self, env: Uuid, holders: &[(&User, String, String)]) -> Result<(), StoreError> {
        for (user, column, value) in holders {
            let mut record = user.recorded_search_entries();
            record.insert(column, value.clone());
            let mut tx = Tx::default();
            tx.put(&self.table, entry_item(env, column, value, user.id), None, Guard::Fresh);
            self.set_search_record(&mut tx, env, user, &record, "version = :v");
            self.run(tx).await?;
        }
        Ok(())
    }

    /// Gives a user item saved before the search index (it records no entries) its entries under
    /// `fields` and its record, in one transaction in step with its version. `false` when the
    /// user was saved meanwhile: that save wrote its entries.
    pub async fn index_unrecorded_user(&self, env: Uuid, user: &User, fields: &FieldSettings) -> Result<bool, StoreError> {
        let entries = user.search_entries(fields);
        let mut tx = Tx::default();
        self.move_search_entries(&mut tx, env, user.id, &Claims::default(), &entries);
        self.set_search_record(&mut tx, env, user, &entries, "version = :v AND attribute_not_exists(searchIndex)");
        match self.run(tx).await {
            Ok(()) => Ok(true),
            Err(StoreError::UserChanged) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sets `user`'s record of its entries to `record` in `tx`, if `condition` (on `:v`, the
    /// version read) holds; the version moves on.
    fn set_search_record(&self, tx: &mut Tx, env: Uuid, user: &User, record: &Claims, condition: &'static str) {
        let condition = Condition::new(condition)
            .with(":v", number_attr(user.version))
            .with(":next", number_attr(user.version + 1))
            .with(":search", json_attr(record));
        let key = key_attrs(&keys::profile(env, user.id));
        tx.update(&self.table, key, "SET searchIndex = :search, version = :next", condition, Guard::UserVersion);
    }

    /// The users whose `column` has this search form, in id order, at most [`MAX_HOLDERS`];
    /// `true` when more hold it. One Query (more only past 1 MB of keys).
    pub async fn search_holders(&self, env: Uuid, column: &str, value: &str) -> Result<(Vec<Uuid>, bool), StoreError> {
        let prefix = format!("{}#", keys::SK_USER);
        let mut search = Search {
            projection_expression: Some("userId"),
            consistent_read: false,
            ..Search::sort_key_prefix(&self.table, keys::search_partition(env, column, value), prefix)
        };
        let mut ids = Vec::new();
        loop {
            search.limit = Some((MAX_HOLDERS + 1 - ids.len()) as i32);
            let page: Page = self.call("Query", &search).await?;
            ids.extend(page.items.iter().filter_map(|i| string_of(i, "userId")).filter_map(|s| Uuid::parse_str(s).ok()));
            match page.last_evaluated_key {
                Some(next) if ids.len() <= MAX_HOLDERS => search.exclusive_start_key = Some(next),
                _ => break,
            }
        }
        let more = ids.len() > MAX_HOLDERS;
        ids.truncate(MAX_HOLDERS);
        Ok((ids, more))
    }
}
