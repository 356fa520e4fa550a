mod country;
pub mod fields;
pub mod input;
pub mod user;
pub mod values;
