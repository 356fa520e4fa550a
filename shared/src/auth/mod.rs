//! Who may call: bearer API keys, each scoped to one environment.

pub mod api_keys;
