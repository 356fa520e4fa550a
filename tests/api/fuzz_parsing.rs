//! Property tests (proptest) of request parsing and validation: arbitrary input never panics,
//! every refusal is a 4xx with a code, and whatever is accepted satisfies its rule.

use lambda_http::{Body, Request};
use proptest::prelude::*;
use serde_json::Value;
use userfields::http::json_body;
use userfields::error::ApiError;
use userfields::model::field_settings::FieldSettings;
use userfields::model::field_spec::FieldSpec;
use userfields::model::operator_regex::{compile, REGEX_SIZE_LIMIT};
use userfields::model::profile_fields::UserInput;
use userfields::model::values::{CountryCode, Email, Text, Username};

fn request(body: Vec<u8>) -> Request {
    Request::new(Body::Binary(body))
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::from(n)),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(vec!["a@b.co", "US", "ada_l", "pending", "k:00", "text", "custom", "select", "checkbox", "standard", "email", "username"])
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "email", "username", "alias", "country", "metadata", "policiesConsent", "kdaWallet", "tShirtSize",
                    "emailVerifiedAt", "mfaBackupCodeAcknowledgement", "name", "type", "validationType", "validationRules",
                    "regex", "validOptions", "label", "key", "unique", "required", "enabled", "position", "other",
                ])
                .prop_map(str::to_string),
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_errors_are_4xx(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        match json_body::<UserInput>(&request(bytes)) {
            Ok(input) => {
                if let Err(e) = input.into_patch() {
                    prop_assert!(ApiError::from(e).status.is_client_error());
                }
            }
            Err(e) => prop_assert!(e.status.is_client_error() && !e.code.is_empty()),
        }
    }

    #[test]
    fn arbitrary_json_users_parse_or_name_their_problem(value in arb_json()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        match json_body::<UserInput>(&request(bytes)).and_then(|input| input.into_patch().map_err(ApiError::from)) {
            Ok(_) => {}
            Err(e) => {
                prop_assert!(e.status.is_client_error());
                prop_assert!(!e.code.is_empty() && !e.message.is_empty());
            }
        }
    }

    #[test]
    fn arbitrary_field_lists_are_checked_without_panicking(value in prop::collection::vec(arb_json(), 0..6)) {
        if let Ok(specs) = serde_json::from_value::<Vec<FieldSpec>>(Value::Array(value)) {
            match FieldSettings::parse(specs) {
                // What is accepted is stable: parsing its own output gives the same list.
                Ok(settings) => prop_assert_eq!(FieldSettings::parse(settings.specs()).unwrap().specs(), settings.specs()),
                Err(e) => prop_assert!(ApiError::from(e).status.is_client_error()),
            }
        }
    }

    #[test]
    fn operator_patterns_compile_or_are_refused(pattern in ".{0,60}") {
        if let Err(e) = compile(&pattern, REGEX_SIZE_LIMIT) {
            prop_assert_eq!(e.code, "invalid_regex");
        }
    }

    #[test]
    fn the_ascii_username_fast_path_agrees_with_the_contract_pattern(s in "[ -~]{0,24}") {
        let contract = regex::Regex::new(r"^[\p{L}\p{N}_-]{3,20}$").unwrap();
        prop_assert_eq!(Username::parse(s.clone()).is_ok(), contract.is_match(&s));
    }

    #[test]
    fn accepted_values_satisfy_their_rules(s in "\\PC{0,30}") {
        if let Ok(u) = Username::parse(s.clone()) {
            let n = u.as_str().chars().count();
            prop_assert!((3..=20).contains(&n));
            prop_assert!(u.as_str().chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-'));
        }
        if let Ok(t) = Text::parse(s.clone()) {
            prop_assert!(!t.as_str().is_empty() && t.as_str().trim() == t.as_str());
        }
        if let Ok(e) = Email::parse(s.clone()) {
            prop_assert!(e.as_str().contains('@') && !e.as_str().contains(char::is_whitespace));
        }
        if let Ok(c) = CountryCode::parse(s.clone()) {
            prop_assert!(c.as_str().len() == 2 && c.as_str().chars().all(|c| c.is_ascii_uppercase()));
        }
    }
}
