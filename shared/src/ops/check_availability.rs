//! Whether an email or username is free in an environment (Dynamic's `users/check`). It answers
//! what a sign-up form needs, and so tells a stranger whether an address has an account here:
//! an oracle by design, bounded per source IP (SECURITY.md) and answered from the uniqueness
//! claims, never a scan.

use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::model::values::{Email, Timestamp, Username};
use crate::store::{Charge, RateLimit, StoreError};
use uuid::Uuid;

/// Per source IP: sixty checks per ten minutes (a form checking as its user types, slowly).
pub const PER_SOURCE_IP_CHECKS: RateLimit = RateLimit { max: 60, window_seconds: 600, gap_seconds: 0 };

/// An email or username looked up by its uniqueness claim, parsed by its field's own rules
/// (here and by list-users' filters).
pub enum Checked {
    Email(Email),
    Username(Username),
}

impl Checked {
    /// `value` of `field`; a refusal names `param`, the request parameter that held the value.
    pub fn parse(field: &str, value: &str, param: &str) -> ApiResult<Self> {
        let invalid = |e: crate::model::values::Invalid| ApiError::bad_request(e.code, format!("{param} {e}")).field(param.to_string());
        match field {
            "email" => Email::parse(value).map(Checked::Email).map_err(invalid),
            "username" => Username::parse(value).map(Checked::Username).map_err(invalid),
            _ => Err(ApiError::bad_request("invalid_filter", "filter[field] is email or username.").field("filter[field]")),
        }
    }

    /// The claim it is held under: (field, normalised value).
    pub fn claim(&self) -> (&'static str, String) {
        match self {
            Checked::Email(e) => ("email", e.normalized()),
            Checked::Username(u) => ("username", u.normalized()),
        }
    }
}

/// `true` when no user of `env` holds the value (as its uniqueness claim has it).
pub async fn check_availability(ctx: &AppContext, env: Uuid, checked: &Checked, source_ip: Option<&str>) -> ApiResult<bool> {
    ctx.environment(env).await?;
    let charges = [Charge { subject: format!("check-ip#{}", source_ip.unwrap_or("unknown")), limit: PER_SOURCE_IP_CHECKS }];
    ctx.store.charge(env, &charges, Timestamp::now().unix_millis()).await.map_err(|e| match e {
        StoreError::RateLimited { retry_after_seconds, .. } => ApiError::too_many_requests(
            retry_after_seconds,
            format!("Too many checks from this network; try again in {retry_after_seconds} seconds."),
        ),
        e => e.into(),
    })?;
    let (field, value) = checked.claim();
    Ok(ctx.store.claim_holder(env, field, &value).await?.is_none())
}
