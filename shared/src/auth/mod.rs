//! Who may call and what they may do: bearer API keys, each scoped to one environment and to a
//! set of scopes.

pub mod api_keys;
pub mod scopes;
