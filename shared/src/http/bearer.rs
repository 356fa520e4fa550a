//! `Authorization: Bearer <credential>`: an operator's API key or an end user's session token.

use crate::error::{ApiError, ApiResult};
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::Request;

/// Longest API key looked at; a real key is 67 characters.
const MAX_API_KEY_CHARS: usize = 256;

/// The API key of `Authorization: Bearer <key>`; anything else is a 401.
pub fn api_key(req: &Request) -> ApiResult<&str> {
    bearer(req, MAX_API_KEY_CHARS).ok_or_else(ApiError::unauthorized)
}

/// The credential of `Authorization: Bearer <value>`, if there is one of at most `max_chars`.
pub fn bearer(req: &Request, max_chars: usize) -> Option<&str> {
    let text = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = text.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= max_chars).then_some(token)
}
