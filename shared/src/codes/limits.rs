//! How often codes may be sent and tried, shared by sign-in and email changes. Counted per (environment,
//! address) for every code, and per (environment, source IP) on the public sign-in route, each
//! atomically in DynamoDB (`store::rate_limits`), so neither alternating addresses, many users
//! naming one address, nor parallel requests can send a victim unbounded mail.

use crate::error::ApiError;
use crate::model::values::Email;
use crate::store::{Charge, RateLimit, StoreError};

/// Per address: one code per 30 s, five per hour.
pub const PER_ADDRESS: RateLimit = RateLimit { max: 5, window_seconds: 3600, gap_seconds: 30 };
/// Per source IP on the public route: thirty sign-ins per ten minutes (room for an office NAT).
pub const PER_SOURCE_IP: RateLimit = RateLimit { max: 30, window_seconds: 600, gap_seconds: 0 };

/// Per signed-in user, for email-change codes: ten an hour, whatever the addresses.
pub const PER_END_USER: RateLimit = RateLimit { max: 10, window_seconds: 3600, gap_seconds: 0 };
/// Per source IP, for email-change codes: thirty an hour.
pub const PER_SOURCE_IP_HOURLY: RateLimit = RateLimit { max: 30, window_seconds: 3600, gap_seconds: 0 };
/// Wrong codes per address, across all its codes: twenty a day. Past that no code for the
/// address is judged until the day ends; only wrong codes count, so only guessing locks it.
pub const WRONG_CODES_PER_ADDRESS: RateLimit = RateLimit { max: 20, window_seconds: 86_400, gap_seconds: 0 };

pub fn address(email: &Email) -> Charge {
    Charge { subject: address_subject(email), limit: PER_ADDRESS }
}

/// The counter's subject for an address: a hash, so no address outlives its user in a
/// counter's key (they expire within the hour anyway).
pub fn address_subject(email: &Email) -> String {
    use sha2::{Digest, Sha256};
    format!("email#{}", hex::encode(&Sha256::digest(email.normalized().as_bytes())[..16]))
}

pub fn end_user(user: uuid::Uuid) -> Charge {
    Charge { subject: format!("user#{user}"), limit: PER_END_USER }
}

/// The email-change counter of a source IP (apart from sign-in's ten-minute one).
pub fn change_source_ip(ip: Option<&str>) -> Charge {
    Charge { subject: format!("ip-hour#{}", ip.unwrap_or("unknown")), limit: PER_SOURCE_IP_HOURLY }
}

/// The wrong-code counter of an address.
pub fn wrong_codes(email: &Email) -> Charge {
    Charge { subject: format!("wrong-{}", address_subject(email)), limit: WRONG_CODES_PER_ADDRESS }
}

pub fn source_ip(ip: Option<&str>) -> Charge {
    // Without a source address (only outside API Gateway) every caller shares one counter.
    Charge { subject: format!("ip#{}", ip.unwrap_or("unknown")), limit: PER_SOURCE_IP }
}

/// The 429 for a refused charge, naming `email` when the address's counter was full.
pub fn refused(err: StoreError, charges: &[Charge]) -> ApiError {
    let StoreError::RateLimited { index, retry_after_seconds } = err else { return err.into() };
    let subject = charges.get(index).map_or("", |c| c.subject.as_str());
    let by_address = subject.starts_with("email#");
    let message = if by_address {
        format!("Too many codes were sent to this email; try again in {retry_after_seconds} seconds.")
    } else if subject.starts_with("user#") {
        format!("Too many codes were asked for by this account; try again in {retry_after_seconds} seconds.")
    } else {
        format!("Too many codes were asked for from this network; try again in {retry_after_seconds} seconds.")
    };
    let refusal = ApiError::too_many_requests(retry_after_seconds, message);
    if by_address { refusal.field("email") } else { refusal }
}
