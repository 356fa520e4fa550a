//! One-time email codes, in one place: the secret (`secret`: drawing, hashing, comparing),
//! issuing one (`issue`: the key guard and the stored form), how often they may go out
//! (`limits`), and redeeming one (`attempt`: the format, the attempt spent before the
//! comparison, the wrong-code count). Sign-in and email changes both use it; the store keeps
//! the verification items only.

pub mod attempt;
pub mod issue;
pub mod limits;
pub mod secret;

pub use attempt::{CodeAt, CodeAttempt};
pub use issue::issue;
pub use secret::{CODE_TTL_SECONDS, MAX_ATTEMPTS, RESEND_COOLDOWN_SECONDS};
