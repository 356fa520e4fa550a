mod country;
pub mod fields;
pub mod input;
pub mod metadata;
pub mod user;
pub mod values;
