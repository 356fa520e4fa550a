//! Operator-supplied patterns run on every write of their field. The `regex` crate matches in
//! linear time; these limits bound the memory a hostile or careless pattern can take, per pattern
//! and per environment.

use super::rejection::Rejection;
use regex::{Regex, RegexBuilder};

pub const MAX_REGEX_CHARS: usize = 1_000;
/// Compiled-program bound of one pattern.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Compiled-program bound of all of an environment's patterns together: each of `n` patterns may
/// use `min(REGEX_SIZE_LIMIT, ENVIRONMENT_REGEX_BUDGET / n)`.
pub const ENVIRONMENT_REGEX_BUDGET: usize = 2 * 1024 * 1024;
const NEST_LIMIT: u32 = 64;

/// The compiled-size limit of each pattern when an environment has `patterns` of them.
pub fn size_limit_for(patterns: usize) -> usize {
    REGEX_SIZE_LIMIT.min(ENVIRONMENT_REGEX_BUDGET / patterns.max(1))
}

/// Compiles a pattern from a request under today's limits.
pub fn compile(pattern: &str, size_limit: usize) -> Result<Regex, Rejection> {
    let invalid = |why: String| Rejection::unacceptable("invalid_regex", format!("The regex is not valid: {why}"));
    if pattern.chars().count() > MAX_REGEX_CHARS {
        return Err(invalid(format!("longer than {MAX_REGEX_CHARS} characters")));
    }
    build(pattern, size_limit).map_err(|e| invalid(reason(&e.to_string())))
}

/// Compiles a stored pattern: it passed the limits it was saved under, which may have been looser
/// than today's, so only the hard per-pattern bound applies.
pub fn compile_stored(pattern: &str) -> Result<Regex, regex::Error> {
    build(pattern, REGEX_SIZE_LIMIT)
}

fn build(pattern: &str, size_limit: usize) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(size_limit)
        .dfa_size_limit(size_limit)
        .nest_limit(NEST_LIMIT)
        .build()
}

/// The regex crate's message ends with the reason on its last line (after the pattern and a
/// caret); that line is what the client needs.
fn reason(message: &str) -> String {
    message.lines().last().unwrap_or(message).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_patterns_are_refused_not_compiled_forever() {
        let e = compile(&"a{1000}".repeat(100), REGEX_SIZE_LIMIT).unwrap_err();
        assert_eq!(e.code, "invalid_regex");
        let e = compile("(a{500}){500}", REGEX_SIZE_LIMIT).unwrap_err();
        assert_eq!(e.code, "invalid_regex");
    }

    #[test]
    fn the_environment_budget_shrinks_each_pattern() {
        assert_eq!(size_limit_for(1), REGEX_SIZE_LIMIT);
        assert_eq!(size_limit_for(100), ENVIRONMENT_REGEX_BUDGET / 100);
        // A pattern that fits alone can be too big when it shares the budget with 99 others.
        assert!(compile("[a-z]{200}", size_limit_for(1)).is_ok());
        assert!(compile("\\w{200}", size_limit_for(100)).is_err());
    }
}
