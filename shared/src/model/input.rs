//! Request bodies of create-user and update-user. Serde checks shape (types, unknown fields);
//! [`UserInput::into_patch`] then parses every value into its validated type, naming the field
//! in any error.

use super::metadata::check_metadata;
use super::user::Profile;
use super::values::{
    CountryCode, Email, Invalid, MfaBackupCodeAcknowledgement, Text, Timestamp, Username, Wallet, WalletKind,
};
use crate::error::{ApiError, ApiResult};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Absent stays `None`, `null` becomes `Some(None)`, a value `Some(Some(v))`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

macro_rules! user_input {
    ($($field:ident : $ty:ty),* $(,)?) => {
        #[derive(Debug, Default, Clone, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct UserInput {
            #[serde(default)]
            pub id: Option<Uuid>,
            $(#[serde(default, deserialize_with = "nullable")] pub $field: Option<Option<$ty>>,)*
        }
    };
}

user_input!(
    email: String,
    email_verified_at: String,
    alias: String,
    first_name: String,
    last_name: String,
    job_title: String,
    phone_number: String,
    t_shirt_size: String,
    team: String,
    username: String,
    country: String,
    policies_consent: bool,
    metadata: Map<String, Value>,
    mfa_backup_code_acknowledgement: MfaBackupCodeAcknowledgement,
    btc_wallet: String,
    kda_wallet: String,
    ltc_wallet: String,
    ckb_wallet: String,
    kas_wallet: String,
    doge_wallet: String,
    email_notification: bool,
    discord_notification: bool,
    newsletter_notification: bool,
);

/// A change to one field: leave it, clear it, or set it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    fn parse<R>(raw: Option<Option<R>>, name: &str, f: impl FnOnce(R) -> Result<T, Invalid>) -> ApiResult<Self> {
        Ok(match raw {
            None => Patch::Keep,
            Some(None) => Patch::Clear,
            Some(Some(v)) => Patch::Set(f(v).map_err(|e| {
                let field = format!("{name}{}", e.at.as_deref().unwrap_or(""));
                ApiError::bad_request(e.code, format!("{field} {}.", e.message)).field(field)
            })?),
        })
    }

    fn apply(self, slot: &mut Option<T>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => *slot = None,
            Patch::Set(v) => *slot = Some(v),
        }
    }

    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    pub fn is_clear(&self) -> bool {
        matches!(self, Patch::Clear)
    }
}

fn ok<T>(v: T) -> Result<T, Invalid> {
    Ok(v)
}

/// A validated set of changes. Email fields are kept apart: how they apply depends on verification.
#[derive(Default)]
pub struct ProfilePatch {
    pub email: Patch<Email>,
    pub email_verified_at: Patch<Timestamp>,
    pub metadata: Patch<Map<String, Value>>,
    rest: Vec<Box<dyn FnOnce(&mut Profile) + Send>>,
    /// Names of the pre-made fields this patch clears, to refuse clearing required ones.
    pub cleared: Vec<&'static str>,
}

impl std::fmt::Debug for ProfilePatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfilePatch").field("changes", &self.rest.len()).field("cleared", &self.cleared).finish()
    }
}

impl ProfilePatch {
    fn push<T: Send + 'static>(
        &mut self,
        name: &'static str,
        patch: Patch<T>,
        slot: fn(&mut Profile) -> &mut Option<T>,
    ) {
        if patch.is_clear() {
            self.cleared.push(name);
        }
        if !patch.is_keep() {
            self.rest.push(Box::new(move |p| patch.apply(slot(p))));
        }
    }

    /// Applies every field but email/emailVerifiedAt, which the caller decides on.
    pub fn apply_to(self, profile: &mut Profile) {
        let metadata = self.metadata;
        metadata.apply(&mut profile.metadata);
        for change in self.rest {
            change(profile);
        }
    }
}

impl UserInput {
    pub fn into_patch(self) -> ApiResult<ProfilePatch> {
        let text = |v: String| Text::parse(v);
        let wallet = |kind: WalletKind| move |v: String| Wallet::parse(kind, v);
        let mut p = ProfilePatch {
            email: Patch::parse(self.email, "email", Email::parse)?,
            email_verified_at: Patch::parse(self.email_verified_at, "emailVerifiedAt", |v| Timestamp::parse(&v))?,
            metadata: Patch::parse(self.metadata, "metadata", check_metadata)?,
            ..Default::default()
        };
        if p.email.is_clear() {
            p.cleared.push("email");
        }
        p.push("alias", Patch::parse(self.alias, "alias", text)?, |p| &mut p.alias);
        p.push("firstName", Patch::parse(self.first_name, "firstName", text)?, |p| &mut p.first_name);
        p.push("lastName", Patch::parse(self.last_name, "lastName", text)?, |p| &mut p.last_name);
        p.push("jobTitle", Patch::parse(self.job_title, "jobTitle", text)?, |p| &mut p.job_title);
        p.push("phoneNumber", Patch::parse(self.phone_number, "phoneNumber", text)?, |p| &mut p.phone_number);
        p.push("tShirtSize", Patch::parse(self.t_shirt_size, "tShirtSize", text)?, |p| &mut p.t_shirt_size);
        p.push("team", Patch::parse(self.team, "team", text)?, |p| &mut p.team);
        p.push("username", Patch::parse(self.username, "username", Username::parse)?, |p| &mut p.username);
        p.push("country", Patch::parse(self.country, "country", CountryCode::parse)?, |p| &mut p.country);
        p.push("policiesConsent", Patch::parse(self.policies_consent, "policiesConsent", ok)?, |p| {
            &mut p.policies_consent
        });
        p.push(
            "mfaBackupCodeAcknowledgement",
            Patch::parse(self.mfa_backup_code_acknowledgement, "mfaBackupCodeAcknowledgement", ok)?,
            |p| &mut p.mfa_backup_code_acknowledgement,
        );
        p.push("btcWallet", Patch::parse(self.btc_wallet, "btcWallet", wallet(WalletKind::Btc))?, |p| &mut p.btc_wallet);
        p.push("kdaWallet", Patch::parse(self.kda_wallet, "kdaWallet", wallet(WalletKind::Kda))?, |p| &mut p.kda_wallet);
        p.push("ltcWallet", Patch::parse(self.ltc_wallet, "ltcWallet", wallet(WalletKind::Ltc))?, |p| &mut p.ltc_wallet);
        p.push("ckbWallet", Patch::parse(self.ckb_wallet, "ckbWallet", wallet(WalletKind::Ckb))?, |p| &mut p.ckb_wallet);
        p.push("kasWallet", Patch::parse(self.kas_wallet, "kasWallet", wallet(WalletKind::Kas))?, |p| &mut p.kas_wallet);
        p.push("dogeWallet", Patch::parse(self.doge_wallet, "dogeWallet", wallet(WalletKind::Doge))?, |p| {
            &mut p.doge_wallet
        });
        p.push("emailNotification", Patch::parse(self.email_notification, "emailNotification", ok)?, |p| {
            &mut p.email_notification
        });
        p.push("discordNotification", Patch::parse(self.discord_notification, "discordNotification", ok)?, |p| {
            &mut p.discord_notification
        });
        p.push(
            "newsletterNotification",
            Patch::parse(self.newsletter_notification, "newsletterNotification", ok)?,
            |p| &mut p.newsletter_notification,
        );
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(body: Value) -> ApiResult<ProfilePatch> {
        serde_json::from_value::<UserInput>(body).unwrap().into_patch()
    }

    #[test]
    fn null_clears_and_absent_keeps() {
        let mut profile = Profile { alias: Some(Text::parse("a").unwrap()), team: Some(Text::parse("t").unwrap()), ..Default::default() };
        let p = patch(json!({"alias": null, "firstName": "Ada"})).unwrap();
        assert_eq!(p.cleared, ["alias"]);
        p.apply_to(&mut profile);
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
