//! Every profile field a user can carry, one entry each. This table is the only place a field is
//! named: `profile_fields!` turns it into the stored [`Profile`], the request's [`UserInput`], the
//! parsed [`ProfilePatch`], the pre-made field catalog [`PREMADE_FIELDS`] and the accessors that
//! `missingFields` and the uniqueness claims read. See docs/architecture.md, "a pre-made field".
//!
//! `premade`: fields an operator can enable, require and order in the field configuration:
//!   name: wire name, input type => stored type = parser, validation type, code for a value the
//!   operator's rules (options, regex) refuse, `unique "code for a taken value"` or `plain`.
//! `other`: values the API accepts and returns that are not configurable fields.
//! `credentials`: lists a request may carry that become verified credentials (see `credentials.rs`).

use super::credentials::{parse_oauth_accounts, parse_wallets, OAuthInput, OAuthSpec, WalletInput, WalletSpec};
use super::field_spec::ValidationType;
use super::metadata::check_metadata;
use super::patch::{accept, nullable, Patch};
use super::values::{CountryCode, Email, MfaBackupCodeAcknowledgement, Text, Timestamp, Username, Wallet, WalletKind};
use super::rejection::Rejection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

profile_fields! {
    premade {
        alias:           "alias",           String => Text        = Text::parse,        Text,     "invalid_alias",         plain;
        first_name:      "firstName",       String => Text        = Text::parse,        Text,     "invalid_first_name",    plain;
        last_name:       "lastName",        String => Text        = Text::parse,        Text,     "invalid_last_name",     plain;
        job_title:       "jobTitle",        String => Text        = Text::parse,        Text,     "invalid_job_title",     plain;
        t_shirt_size:    "tShirtSize",      String => Text        = Text::parse,        Text,     "invalid_t_shirt_size",  plain;
        username:        "username",        String => Username    = Username::parse,    Text,     "invalid_username",      unique "username_already_exists";
        email:           "email",           String => Email       = Email::parse,       Text,     "invalid_email",         unique "email_already_exists";
        phone_number:    "phoneNumber",     String => Text        = Text::parse,        Text,     "invalid_phone_number",  plain;
        country:         "country",         String => CountryCode = CountryCode::parse, Text,     "invalid_country",       plain;
        team:            "team",            String => Text        = Text::parse,        Text,     "invalid_team",          plain;
        policies_consent:"policiesConsent", bool   => bool        = accept,             Checkbox, "invalid_policies_consent", plain;
    }
    other {
        email_verified_at: "emailVerifiedAt", String => Timestamp = |v: String| Timestamp::parse(&v);
        metadata:          "metadata",        Map<String, Value> => Map<String, Value> = check_metadata;
        mfa_backup_code_acknowledgement: "mfaBackupCodeAcknowledgement",
            MfaBackupCodeAcknowledgement => MfaBackupCodeAcknowledgement = accept;
        btc_wallet:        "btcWallet",       String => Wallet = |v| Wallet::parse(WalletKind::Btc, v);
        kda_wallet:        "kdaWallet",       String => Wallet = |v| Wallet::parse(WalletKind::Kda, v);
        ltc_wallet:        "ltcWallet",       String => Wallet = |v| Wallet::parse(WalletKind::Ltc, v);
        ckb_wallet:        "ckbWallet",       String => Wallet = |v| Wallet::parse(WalletKind::Ckb, v);
        kas_wallet:        "kasWallet",       String => Wallet = |v| Wallet::parse(WalletKind::Kas, v);
        doge_wallet:       "dogeWallet",      String => Wallet = |v| Wallet::parse(WalletKind::Doge, v);
        email_notification:      "emailNotification",      bool => bool = accept;
        discord_notification:    "discordNotification",    bool => bool = accept;
        newsletter_notification: "newsletterNotification", bool => bool = accept;
    }
    credentials {
        wallets:         "wallets",       Vec<WalletInput> => Vec<WalletSpec> = parse_wallets;
        oauth_accounts:  "oauthAccounts", Vec<OAuthInput>  => Vec<OAuthSpec>  = parse_oauth_accounts;
    }
}

/// One pre-made field of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Premade {
    pub name: &'static str,
    pub validation_type: ValidationType,
    /// The 400 code for a value the operator's options or regex refuse.
    pub invalid_code: &'static str,
    /// The 422 code for a value another user holds; `None`: not unique.
    pub taken_code: Option<&'static str>,
}

impl Premade {
    pub fn is_unique(&self) -> bool {
        self.taken_code.is_some()
    }
}

pub fn premade(name: &str) -> Option<&'static Premade> {
    PREMADE_FIELDS.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(body: Value) -> Result<ProfilePatch, Rejection> {
        serde_json::from_value::<UserInput>(body).unwrap().into_patch()
    }

    /// A value for every pre-made field, as a request would send it.
    fn every_premade_value() -> Value {
        let sample = |f: &Premade| match (f.name, f.validation_type) {
            ("email", _) => json!("ada@example.com"),
            ("username", _) => json!("ada_l"),
            ("country", _) => json!("GB"),
            ("tShirtSize", _) => json!("M"),
            (_, ValidationType::Checkbox) => json!(true),
            _ => json!("Ada"),
        };
        Value::Object(PREMADE_FIELDS.iter().map(|f| (f.name.to_string(), sample(f))).collect())
    }

    #[test]
    fn every_premade_field_is_settable_readable_and_claimable_when_unique() {
        let mut profile = Profile::default();
        patch(every_premade_value()).unwrap().apply_to(&mut profile);
        for field in PREMADE_FIELDS {
            assert!(profile.premade_value(field.name).is_some(), "{} is never filled", field.name);
        }
        let claimed: Vec<_> = profile.premade_claims().into_iter().map(|(f, _)| f).collect();
        let unique: Vec<_> = PREMADE_FIELDS.iter().filter(|f| f.is_unique()).map(|f| f.name).collect();
        assert_eq!(claimed, unique);
        // What is stored reads back the same.
        let stored = serde_json::to_value(&profile).unwrap();
        assert_eq!(serde_json::from_value::<Profile>(stored).unwrap(), profile);
    }

    #[test]
    fn null_clears_absent_keeps_and_the_patch_is_plain_data() {
        let mut profile = Profile { alias: Some(Text::parse("a").unwrap()), team: Some(Text::parse("t").unwrap()), ..Default::default() };
        let p = patch(json!({"alias": null, "firstName": "Ada"})).unwrap();
        assert_eq!(p.alias, Patch::Clear);
        assert!(format!("{p:?}").contains("first_name: Set"));
        p.clone().apply_to(&mut profile);
        assert_eq!(profile.alias, None);
        assert_eq!(profile.first_name.unwrap().as_str(), "Ada");
        assert_eq!(profile.team.unwrap().as_str(), "t");
    }

    #[test]
    fn errors_name_the_field() {
        let e = patch(json!({"username": "a"})).unwrap_err();
        assert_eq!((e.code, e.payload["field"].as_str()), ("invalid_username", Some("username")));
        let e = patch(json!({"metadata": {"x": "y".repeat(3000)}})).unwrap_err();
        assert_eq!(e.code, "metadata_size_exceeded");
        let e = patch(json!({"kdaWallet": "k:1"})).unwrap_err();
        assert_eq!((e.code, e.payload["field"].as_str()), ("invalid_wallet", Some("kdaWallet")));
    }

    #[test]
    fn unknown_fields_are_refused_by_shape() {
        assert!(serde_json::from_value::<UserInput>(json!({"nickname": "x"})).is_err());
        assert!(serde_json::from_value::<UserInput>(json!({"mfaBackupCodeAcknowledgement": "maybe"})).is_err());
    }
}
