//! A change to one profile value, as a request asks for it: leave it, clear it (`null`) or set it.

use super::values::Invalid;
use super::rejection::Rejection;
use serde::{Deserialize, Deserializer};

/// Absent stays `None`, `null` becomes `Some(None)`, a value `Some(Some(v))`.
pub(crate) fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    /// Parses a request's raw value with `parse`, naming `name` (and the path inside it) on error.
    pub(crate) fn parse<R>(
        raw: Option<Option<R>>,
        name: &str,
        parse: impl FnOnce(R) -> Result<T, Invalid>,
    ) -> Result<Self, Rejection> {
        Ok(match raw {
            None => Patch::Keep,
            Some(None) => Patch::Clear,
            Some(Some(v)) => Patch::Set(parse(v).map_err(|e| {
                let field = format!("{name}{}", e.at.as_deref().unwrap_or(""));
                Rejection::invalid(e.code, format!("{field} {}.", e.message)).field(field)
            })?),
        })
    }

    pub fn apply(self, slot: &mut Option<T>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => *slot = None,
            Patch::Set(v) => *slot = Some(v),
        }
    }

    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }
}

/// The parser of values taken as they come (booleans, enums serde already checked).
pub(crate) fn accept<T>(value: T) -> Result<T, Invalid> {
    Ok(value)
}
