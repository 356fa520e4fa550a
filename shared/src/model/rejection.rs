//! Why the model refuses a request's input: a stable code, a sentence, and the field it concerns.
//! The HTTP edge turns it into a response once (`From<Rejection> for ApiError` in `error.rs`):
//! `Invalid` input is a 400, `Unacceptable` (well-formed but refused) a 422.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    /// Malformed or out of the rules (400).
    Invalid,
    /// Well-formed, but refused as it stands (422): a bad regex, repeated options.
    Unacceptable,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Rejection {
    pub kind: RejectionKind,
    pub code: &'static str,
    pub message: String,
    /// `field` (the offending request field) and anything else the client may use.
    pub payload: Map<String, Value>,
}

impl Rejection {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self { kind: RejectionKind::Invalid, code, message: message.into(), payload: Map::new() }
    }

    pub fn unacceptable(code: &'static str, message: impl Into<String>) -> Self {
        Self { kind: RejectionKind::Unacceptable, code, message: message.into(), payload: Map::new() }
    }

    /// Names the offending request field in `payload.field`.
    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.payload.insert("field".into(), Value::String(name.into()));
        self
    }
}
