//! GET /environments/{environmentId}/users?limit=1..100&cursor=...
//!   &email= | &username= | &field=<unique or searchable custom field>&value= | &walletAddress=
//!
//! and as Dynamic's `getEnvironmentUsers` asks it: `filter[filterColumn]` (`id`, `email`,
//! `username`, `wallet` / `walletPublicKey` (`filter[chain]` narrows the chains), `alias`,
//! `firstName`, `lastName`, `phoneNumber`, `jobTitle`, `accountId` (an OAuth account id), `all`:
//! any of those), `filter[filterValue]`, `orderBy`, `offset` (up to [`MAX_OFFSET`] users into
//! the id order) and `limit`, answered `{count, users}`.
//!
//! Every filter is an exact match (case-insensitive, compatibility-normalised for names) answered
//! from index items, never by scanning: the uniqueness claims for email, username, wallets and
//! unique custom fields, the search index (`model::search`) for the other columns and
//! searchable custom fields. A filter answers at most [`MAX_HOLDERS`](crate::store::MAX_HOLDERS) users (`truncated` says
//! when more match), sorted by `orderBy` (`createdAt`, `updatedAt` or `id`, `-asc` / `-desc`;
//! default id order) and paged by `offset` and `limit`. Without a filter, users are listed in id
//! order (the user index is sharded by the id's first hex digit, so shard order then id order
//! is id order), a page at a time, with an opaque cursor bound to the environment: a cursor
//! from another environment is refused (400 `invalid_cursor`), and the position it carries is
//! rebuilt under the path's environment, so it cannot read elsewhere.

use crate::http::views::UserView;
use crate::auth::scopes::Scope;
use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::http::{environment_id, json_response, known_query, respond};
use crate::ops::check_availability::Checked;
use crate::model::chains::Chain;
use crate::model::field_settings::FieldSettings;
use crate::model::search::{custom_column, search_form, ACCOUNT_ID, SEARCH_COLUMNS};
use crate::model::user::User;
use crate::model::values::{Email, Username};
use crate::context::prefetch::Reads;
use crate::store::keys::USER_INDEX_SHARDS;
use lambda_http::http::StatusCode;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// The deepest `offset` a listing reads to (the opaque cursor pages past it).
pub const MAX_OFFSET: usize = 1000;

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(list(ctx, &req).await)
}

/// Where a listing stopped: the shard and the last id returned from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    #[serde(rename = "e")]
    environment: Uuid,
    #[serde(rename = "s")]
    shard: u32,
    #[serde(rename = "a")]
    after: Option<Uuid>,
}

impl Cursor {
    fn encode(&self) -> String {
        hex::encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(text: &str, env: Uuid) -> ApiResult<Self> {
        let bad = |why: &str| ApiError::bad_request("invalid_cursor", format!("The cursor {why}.")).field("cursor");
        let bytes = hex::decode(text).map_err(|_| bad("is not one this service issued"))?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad("is not one this service issued"))?;
        if cursor.environment != env {
            return Err(bad("belongs to another environment"));
        }
        if cursor.shard >= USER_INDEX_SHARDS {
            return Err(bad("is not one this service issued"));
        }
        Ok(cursor)
    }
}

/// An exact-match filter: users by id, the holders of claims and of search entries; a user
/// matching several parts counts once.
#[derive(Default)]
struct Filter {
    ids: Vec<Uuid>,
    claims: Vec<(String, String)>,
    search: Vec<(String, String)>,
}

impl Filter {
    fn claims(claims: Vec<(String, String)>) -> Self {
        Self { claims, ..Self::default() }
    }

    fn search(column: &str, value: &str) -> Self {
        Self { search: vec![(column.to_string(), search_form(value))], ..Self::default() }
    }

    /// The matching ids, sorted; `true` when a search value had more holders than are read.
    async fn resolve(self, ctx: &AppContext, env: Uuid) -> ApiResult<(Vec<Uuid>, bool)> {
        let lookups = self.search.iter().filter(|(_, v)| !v.is_empty()).map(|(c, v)| ctx.store.search_holders(env, c, v));
        let (claimed, found) = futures_util::future::join(ctx.store.claim_holders(env, &self.claims), futures_util::future::join_all(lookups)).await;
        let mut ids = [self.ids, claimed?].concat();
        let mut truncated = false;
        for result in found {
            let (holders, more) = result?;
            ids.extend(holders);
            truncated |= more;
        }
        ids.sort();
        ids.dedup();
        Ok((ids, truncated))
    }
}

/// How a filtered result is ordered: `field`, `field-asc` or `field-desc`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Id,
    CreatedAt,
    UpdatedAt,
}

fn parse_order(text: Option<&str>) -> ApiResult<(Order, bool)> {
    let Some(text) = text else { return Ok((Order::Id, false)) };
    let (name, descending) = match text.rsplit_once('-') {
        Some((name, "desc")) => (name, true),
        Some((name, "asc")) => (name, false),
        _ => (text, false),
    };
    let order = match name {
        "id" => Order::Id,
        "createdAt" => Order::CreatedAt,
        "updatedAt" => Order::UpdatedAt,
        _ => {
            return Err(ApiError::bad_request("invalid_order", "orderBy is createdAt, updatedAt or id, optionally with -asc or -desc.").field("orderBy"))
        }
    };
    Ok((order, descending))
}

fn sort_users(users: &mut [User], (order, descending): (Order, bool)) {
    match order {
        Order::Id => users.sort_by_key(|u| u.id),
        Order::CreatedAt => users.sort_by_key(|u| (u.created_at, u.id)),
        Order::UpdatedAt => users.sort_by_key(|u| (u.updated_at, u.id)),
    }
    if descending {
        users.reverse();
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    users: Vec<UserView<'a>>,
    count: usize,
    next_cursor: Option<String>,
    /// A filter matched more users than it reads ([`crate::store::MAX_HOLDERS`]): narrow it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    truncated: bool,
}

const PARAMS: &[&str] = &[
    "limit",
    "cursor",
    "email",
    "username",
    "field",
    "value",
    "walletAddress",
    "offset",
    "filter[filterColumn]",
    "filter[filterValue]",
    "filter[chain]",
    "orderBy",
];

async fn list(ctx: &AppContext, req: &Request) -> ApiResult<Response<Body>> {
    let env = environment_id(req)?;
    let read = ctx.authorize(req, env, Scope::UsersRead, Reads { fresh_fields: true, ..Reads::default() }).await?;
    let query = known_query(req, PARAMS, "bad_request")?;
    let limit = match query.first("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => text.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
            ApiError::bad_request("invalid_limit", format!("limit is a whole number from 1 to {MAX_LIMIT}.")).field("limit")
        })?,
    };
    let offset = match query.first("offset") {
        None => 0,
        Some(text) => text.parse::<usize>().ok().filter(|n| *n <= MAX_OFFSET).ok_or_else(|| {
            ApiError::bad_request("invalid_offset", format!("offset is a whole number up to {MAX_OFFSET}; page further with the cursor.")).field("offset")
        })?,
    };
    if offset > 0 && query.first("cursor").is_some() {
        return Err(ApiError::bad_request("bad_request", "Give offset or cursor, not both.").field("offset"));
    }
    let filter = match dynamic_filter(&query)? {
        Some(filter) => Some(filter),
        None => parse_filter(&query, &read.fields)?,
    };
    let order = parse_order(query.first("orderBy"))?;
    let mut truncated = false;
    let (users, next) = match filter {
        Some(filter) => {
            let (ids, more) = filter.resolve(ctx, env).await?;
            truncated = more;
            let (mut users, _) = ctx.store.users(env, &ids).await?;
            sort_users(&mut users, order);
            let page: Vec<User> = users.into_iter().skip(offset).take(limit).collect();
            (page, None)
        }
        None if order != (Order::Id, false) => {
            return Err(ApiError::bad_request("invalid_order", "An unfiltered listing is in id order; orderBy sorts a filtered one.").field("orderBy"))
        }
        None if offset > 0 => {
            let (mut users, next) = page(ctx, env, None, offset + limit).await?;
            (users.split_off(offset.min(users.len())), next)
        }
        None => {
            let start = query.first("cursor").map(|c| Cursor::decode(c, env)).transpose()?;
            page(ctx, env, start, limit).await?
        }
    };
    let views: Vec<UserView> = users.iter().map(|u| UserView::new(u, &read.fields, false)).collect();
    let body = Page { count: views.len(), users: views, next_cursor: next.map(|c| c.encode()), truncated };
    Ok(json_response(StatusCode::OK, &body))
}

/// Reads shards from the cursor on until `limit` users are in hand or the shards run out.
async fn page(ctx: &AppContext, env: Uuid, start: Option<Cursor>, limit: usize) -> ApiResult<(Vec<User>, Option<Cursor>)> {
    let (mut shard, mut after) = start.map_or((0, None), |c| (c.shard, c.after));
    let mut users = Vec::with_capacity(limit);
    while shard < USER_INDEX_SHARDS {
        let wanted = (limit - users.len()) as i32;
        let page = ctx.store.users_page(env, shard, after, wanted).await?;
        if !page.unreadable.is_empty() {
            tracing::warn!(skipped = ?page.unreadable, "unreadable users left out of a listing");
        }
        users.extend(page.users);
        match page.last {
            // The shard may hold more: continue from there (this call, or the next page).
            Some(last) if users.len() >= limit => return Ok((users, Some(Cursor { environment: env, shard, after: Some(last) }))),
            Some(last) => after = Some(last),
            None => {
                shard += 1;
                after = None;
                if users.len() >= limit {
                    let more = (shard < USER_INDEX_SHARDS).then_some(Cursor { environment: env, shard, after: None });
                    return Ok((users, more));
                }
            }
        }
    }
    Ok((users, None))
}

/// Dynamic's `filter[filterColumn]` and `filter[filterValue]`, answered from the claims.
fn dynamic_filter(query: &QueryMap) -> ApiResult<Option<Filter>> {
    let (column, value) = (query.first("filter[filterColumn]"), query.first("filter[filterValue]"));
    if column.is_none() && value.is_none() && query.first("filter[chain]").is_none() {
        return Ok(None);
    }
    if ["email", "username", "field", "walletAddress", "cursor"].iter().any(|k| query.first(k).is_some()) {
        return Err(ApiError::bad_request("bad_request", "Give Dynamic's filter or ours, not both.").field("filter[filterColumn]"));
    }
    let value = value.filter(|v| !v.is_empty()).ok_or_else(|| ApiError::bad_request("bad_request", "filter[filterValue] is required.").field("filter[filterValue]"))?;
    let chain = match query.first("filter[chain]") {
        None => None,
        Some(name) => Some(Chain::parse(name).map_err(|e| ApiError::bad_request(e.code, format!("filter[chain] {e}")).field("filter[chain]"))?),
    };
    let column = column.unwrap_or("all");
    let wallet = |strict: bool| -> ApiResult<Vec<(String, String)>> {
        let chains: Vec<Chain> = Chain::ALL.into_iter().filter(|c| chain.is_none_or(|want| want == *c) && c.check_address(value).is_ok()).collect();
        if chains.is_empty() && strict {
            return Err(ApiError::bad_request("invalid_wallet_address", "filter[filterValue] is not an address of the chains asked.").field("filter[filterValue]"));
        }
        Ok(wallet_claims(&chains, value))
    };
    let filter = match column {
        "email" | "username" => Filter::claims(vec![claim_of(column, value, "filter[filterValue]")?]),
        "wallet" | "walletPublicKey" => Filter::claims(wallet(true)?),
        "id" => {
            let id = value.parse::<Uuid>().map_err(|_| ApiError::bad_request("invalid_uuid", "filter[filterValue] is not a user id.").field("filter[filterValue]"))?;
            Filter { ids: vec![id], ..Filter::default() }
        }
        "all" => {
            // Any column; a value no column could hold matches nothing there.
            let mut claims = wallet(false)?;
            claims.extend(Email::parse(value).ok().map(|e| ("email".to_string(), e.normalized())));
            claims.extend(Username::parse(value).ok().map(|u| ("username".to_string(), u.normalized())));
            let search = SEARCH_COLUMNS.iter().chain([&ACCOUNT_ID]).map(|c| (c.to_string(), search_form(value))).collect();
            Filter { ids: value.parse::<Uuid>().ok().into_iter().collect(), claims, search }
        }
        "alias" | "firstName" | "lastName" | "phoneNumber" | "jobTitle" | "accountId" => Filter::search(column, value),
        _ => return Err(ApiError::bad_request("invalid_filter", format!("Unknown filter column {column}.")).field("filter[filterColumn]")),
    };
    Ok(Some(filter))
}

/// The claim an email or username value of `param` is held under.
fn claim_of(field: &str, value: &str, param: &str) -> ApiResult<(String, String)> {
    let (field, value) = Checked::parse(field, value, param)?.claim();
    Ok((field.to_string(), value))
}

/// The claims an address may be held under on `chains`: the shared claim chain and the chain
/// itself (a user saved before EVM shared ETH's claim still holds its `wallet:EVM` claim).
fn wallet_claims(chains: &[Chain], address: &str) -> Vec<(String, String)> {
    let mut claims: Vec<(String, String)> = Vec::new();
    for chain in chains.iter().flat_map(|c| [c.claim_chain(), *c]) {
        let claim = (format!("wallet:{}", chain.as_str()), chain.normalized(address));
        if !claims.contains(&claim) {
            claims.push(claim);
        }
    }
    claims
}

fn parse_filter(query: &QueryMap, fields: &FieldSettings) -> ApiResult<Option<Filter>> {
    let given: Vec<&str> = ["email", "username", "field", "walletAddress"].into_iter().filter(|k| query.first(k).is_some()).collect();
    if given.len() > 1 {
        return Err(ApiError::bad_request("bad_request", "Give at most one of email, username, field, walletAddress.").field(given[1]));
    }
    if query.first("cursor").is_some() && !given.is_empty() {
        return Err(ApiError::bad_request("bad_request", "A filtered listing has one page: no cursor.").field("cursor"));
    }
    let invalid = |name: &str, code: &'static str, why: String| ApiError::bad_request(code, format!("{name} {why}.")).field(name.to_string());
    let claims = match given.first().copied() {
        None => return Ok(None),
        Some(field @ ("email" | "username")) => vec![claim_of(field, query.first(field).unwrap_or_default(), field)?],
        Some("field") => {
            let name = query.first("field").unwrap_or_default();
            let field = fields.enabled_custom().find(|f| f.name() == name && (f.is_unique() || f.spec.searchable)).ok_or_else(|| {
                invalid("field", "invalid_filter", "must name an enabled unique or searchable custom field".into())
            })?;
            let value = query.first("value").ok_or_else(|| invalid("value", "bad_request", "is required with field".into()))?;
            if !field.is_unique() {
                return Ok(Some(Filter::search(&custom_column(field.name()), value)));
            }
            let claim = field.claim_value(&Value::String(value.to_string())).ok_or_else(|| invalid("value", "invalid_filter", "cannot match this field".into()))?;
            vec![(field.name().to_string(), claim)]
        }
        Some(_) => {
            let address = query.first("walletAddress").unwrap_or_default();
            let chains: Vec<Chain> = Chain::ALL.into_iter().filter(|c| c.check_address(address).is_ok()).collect();
            if chains.is_empty() {
                return Err(invalid("walletAddress", "invalid_wallet_address", "is not an address of any supported chain".into()));
            }
            wallet_claims(&chains, address)
        }
    };
    Ok(Some(Filter::claims(claims)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_stay_in_their_environment() {
        let env = Uuid::new_v4();
        let cursor = Cursor { environment: env, shard: 3, after: Some(Uuid::new_v4()) };
        assert_eq!(Cursor::decode(&cursor.encode(), env).unwrap(), cursor);
        assert_eq!(Cursor::decode(&cursor.encode(), Uuid::new_v4()).unwrap_err().code, "invalid_cursor");
        assert_eq!(Cursor::decode("zz", env).unwrap_err().code, "invalid_cursor");
        let far = Cursor { shard: 99, ..cursor };
        assert_eq!(Cursor::decode(&far.encode(), env).unwrap_err().code, "invalid_cursor");
    }
}
