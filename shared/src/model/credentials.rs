//! Verified credentials: an email, a blockchain wallet, an OAuth account. Serialized as Dynamic's
//! `verifiedCredentials[]` (snake_case fields), stored the same way. Wallets and OAuth accounts
//! arrive as `wallets[]` / `oauthAccounts[]` on create and update; a PUT carrying a list replaces
//! that set (a credential that stays keeps its id), absent keeps it, `[]` or `null` clears it.

use super::chains::Chain;
use super::values::{check_text, Email, Invalid, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Wallets and OAuth accounts a user may hold: with email and username, 22 claims at most, far
/// inside DynamoDB's 100 items per transaction.
pub const MAX_WALLETS: usize = 10;
pub const MAX_OAUTH_ACCOUNTS: usize = 10;
pub const MAX_ADDITIONAL_ADDRESSES: usize = 10;
pub const MAX_OAUTH_LIST: usize = 10;
pub const MAX_OAUTH_PROFILE_BYTES: usize = 2048;
const MAX_PHOTO_URL_CHARS: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CredentialFormat {
    Email,
    Blockchain,
    Oauth,
    /// An identity of a trusted external issuer (its user id claim), unique per issuer.
    ExternalUser,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdditionalAddress {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<AddressType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AddressType {
    Ordinals,
    Payment,
    Cosmos,
    Evm,
}

/// One verified credential. Fields of the other formats are absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    pub id: Uuid,
    pub format: CredentialFormat,
    pub public_identifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<Chain>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_additional_addresses: Option<Vec<AdditionalAddress>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_emails: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_account_photos: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_metadata: Option<Map<String, Value>>,
    /// The issuer of an external identity (`public_identifier` is its user id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_issuer: Option<String>,
    /// When it was added or last verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<Timestamp>,
}

impl Credential {
    fn blank(format: CredentialFormat, public_identifier: String, at: Timestamp) -> Self {
        Self {
            id: Uuid::new_v4(),
            format,
            public_identifier,
            email: None,
            address: None,
            chain: None,
            wallet_name: None,
            wallet_provider: None,
            wallet_additional_addresses: None,
            oauth_provider: None,
            oauth_account_id: None,
            oauth_username: None,
            oauth_display_name: None,
            oauth_emails: None,
            oauth_account_photos: None,
            oauth_metadata: None,
            external_issuer: None,
            verified_at: Some(at),
        }
    }

    pub fn email(email: &Email, at: Timestamp) -> Self {
        Self { email: Some(email.clone()), ..Self::blank(CredentialFormat::Email, email.to_string(), at) }
    }

    pub fn wallet(wallet: &WalletSpec, at: Timestamp) -> Self {
        Self {
            address: Some(wallet.address.clone()),
            chain: Some(wallet.chain),
            wallet_name: wallet.name.clone(),
            wallet_provider: wallet.provider.clone(),
            wallet_additional_addresses: (!wallet.additional.is_empty()).then(|| wallet.additional.clone()),
            ..Self::blank(CredentialFormat::Blockchain, wallet.address.clone(), at)
        }
    }

    pub fn oauth(account: &OAuthSpec, at: Timestamp) -> Self {
        Self {
            oauth_provider: Some(account.provider.clone()),
            oauth_account_id: Some(account.account_id.clone()),
            oauth_username: account.username.clone(),
            oauth_display_name: account.display_name.clone(),
            oauth_emails: Some(account.emails.clone()),
            oauth_account_photos: Some(account.photos.clone()),
            oauth_metadata: account.profile.clone(),
            ..Self::blank(CredentialFormat::Oauth, account.username.clone().unwrap_or_else(|| account.account_id.clone()), at)
        }
    }

    /// An external issuer's identity.
    pub fn external(issuer: &str, user_id: &str, at: Timestamp) -> Self {
        Self { external_issuer: Some(issuer.to_string()), ..Self::blank(CredentialFormat::ExternalUser, user_id.to_string(), at) }
    }

    /// The uniqueness claim field of `issuer`'s identities (`external:<iss>`).
    pub fn external_claim_field(issuer: &str) -> String {
        format!("external:{issuer}")
    }

    /// The uniqueness claim this credential holds, if its format is unique per environment:
    /// a wallet per chain (`wallet:ETH`, which EVM shares), an OAuth account per provider (`oauth:github`).
    pub fn claim(&self) -> Option<(String, String)> {
        match self.format {
            CredentialFormat::Blockchain => {
                let (chain, address) = (self.chain?, self.address.as_deref()?);
                Some((format!("wallet:{}", chain.claim_chain().as_str()), chain.normalized(address)))
            }
            CredentialFormat::Oauth => {
                Some((format!("oauth:{}", self.oauth_provider.as_deref()?), self.oauth_account_id.clone()?))
            }
            CredentialFormat::ExternalUser => {
                Some((Self::external_claim_field(self.external_issuer.as_deref()?), self.public_identifier.clone()))
            }
            CredentialFormat::Email => None,
        }
    }
}

/// `wallets[]` as a request sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WalletInput {
    pub public_wallet_address: String,
    pub chain: String,
    #[serde(default)]
    pub wallet_name: Option<String>,
    #[serde(default)]
    pub wallet_provider: Option<String>,
    #[serde(default)]
    pub additional_wallet_addresses: Option<Vec<AdditionalAddress>>,
}

/// A checked wallet.
#[derive(Debug, Clone, PartialEq)]
pub struct WalletSpec {
    pub address: String,
    pub chain: Chain,
    pub name: Option<String>,
    pub provider: Option<String>,
    pub additional: Vec<AdditionalAddress>,
}

/// `oauthAccounts[]` as a request sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuthInput {
    pub provider: String,
    pub account_id: String,
    #[serde(default)]
    pub emails: Option<Vec<String>>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub photos: Option<Vec<String>>,
    #[serde(default)]
    pub profile: Option<Map<String, Value>>,
}

/// A checked OAuth account.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthSpec {
    pub provider: String,
    pub account_id: String,
    pub emails: Vec<String>,
    pub display_name: Option<String>,
    pub username: Option<String>,
    pub photos: Vec<String>,
    pub profile: Option<Map<String, Value>>,
}

fn text_at(value: &str, path: &str) -> Result<(), Invalid> {
    check_text(value).map_err(|e| Invalid::new(e.code, e.message).at(path))
}

fn optional_text(value: Option<String>, path: &str) -> Result<Option<String>, Invalid> {
    value.map(|v| text_at(&v, path).map(|()| v)).transpose()
}

/// A provider name or account id: text that can sit in a claim key.
fn identifier_at(value: &str, path: &str) -> Result<(), Invalid> {
    text_at(value, path)?;
    if value.contains('#') {
        return Err(Invalid::new("invalid_text", "must not contain '#'").at(path));
    }
    Ok(())
}

pub fn parse_wallets(inputs: Vec<WalletInput>) -> Result<Vec<WalletSpec>, Invalid> {
    if inputs.len() > MAX_WALLETS {
        return Err(Invalid::new("too_many_wallets", format!("may hold at most {MAX_WALLETS} wallets")));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.into_iter().enumerate() {
        let at = |field: &str| format!("[{i}].{field}");
        let chain = Chain::parse(&input.chain).map_err(|e| e.at(&at("chain")))?;
        chain.check_address(&input.public_wallet_address).map_err(|e| e.at(&at("publicWalletAddress")))?;
        if !seen.insert((chain, chain.normalized(&input.public_wallet_address))) {
            return Err(Invalid::new("duplicate_wallet", "lists this wallet twice").at(&at("publicWalletAddress")));
        }
        let additional = input.additional_wallet_addresses.unwrap_or_default();
        if additional.len() > MAX_ADDITIONAL_ADDRESSES {
            return Err(Invalid::new("too_many_addresses", format!("at most {MAX_ADDITIONAL_ADDRESSES} additional addresses"))
                .at(&at("additionalWalletAddresses")));
        }
        for (j, extra) in additional.iter().enumerate() {
            text_at(&extra.address, &at(&format!("additionalWalletAddresses[{j}].address")))?;
            if let Some(key) = &extra.public_key {
                text_at(key, &at(&format!("additionalWalletAddresses[{j}].publicKey")))?;
            }
        }
        out.push(WalletSpec {
            address: input.public_wallet_address,
            chain,
            name: optional_text(input.wallet_name, &at("walletName"))?,
            provider: optional_text(input.wallet_provider, &at("walletProvider"))?,
            additional,
        });
    }
    Ok(out)
}

/// A photo is an `http(s)` URL, or a reference without a scheme (as the API's own example
/// sends); any other scheme (`javascript:`, `data:`) is refused.
fn check_photo(url: &str, path: &str) -> Result<(), Invalid> {
    let bad = || Invalid::new("invalid_url", "must be an http(s) URL").at(path);
    if url.is_empty() || url.chars().count() > MAX_PHOTO_URL_CHARS || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    match url.split_once(':') {
        Some((scheme, _)) if scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) => {
            let scheme = scheme.to_ascii_lowercase();
            if scheme == "https" || scheme == "http" {
                Ok(())
            } else {
                Err(bad())
            }
        }
        _ => Ok(()),
    }
}

pub fn parse_oauth_accounts(inputs: Vec<OAuthInput>) -> Result<Vec<OAuthSpec>, Invalid> {
    if inputs.len() > MAX_OAUTH_ACCOUNTS {
        return Err(Invalid::new("too_many_oauth_accounts", format!("may hold at most {MAX_OAUTH_ACCOUNTS} accounts")));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.into_iter().enumerate() {
        let at = |field: &str| format!("[{i}].{field}");
        identifier_at(&input.provider, &at("provider"))?;
        identifier_at(&input.account_id, &at("accountId"))?;
        if !seen.insert((input.provider.clone(), input.account_id.clone())) {
            return Err(Invalid::new("duplicate_oauth_account", "lists this account twice").at(&at("accountId")));
        }
        let emails = input.emails.unwrap_or_default();
        let photos = input.photos.unwrap_or_default();
        if emails.len() > MAX_OAUTH_LIST {
            return Err(Invalid::new("too_many_emails", format!("at most {MAX_OAUTH_LIST}")).at(&at("emails")));
        }
        if photos.len() > MAX_OAUTH_LIST {
            return Err(Invalid::new("too_many_photos", format!("at most {MAX_OAUTH_LIST}")).at(&at("photos")));
        }
        for (j, email) in emails.iter().enumerate() {
            Email::parse(email.clone()).map_err(|e| e.at(&at(&format!("emails[{j}]"))))?;
        }
        for (j, photo) in photos.iter().enumerate() {
            check_photo(photo, &at(&format!("photos[{j}]")))?;
        }
        let profile = match input.profile {
            Some(map) => Some(super::metadata::check_metadata(map).map_err(|e| {
                let inner = e.at.clone().unwrap_or_default();
                Invalid { at: Some(format!("[{i}].profile{inner}")), ..e }
            })?),
            None => None,
        };
        if profile.as_ref().is_some_and(|p| serde_json::to_vec(p).map_or(true, |v| v.len() > MAX_OAUTH_PROFILE_BYTES)) {
            return Err(Invalid::new("profile_too_large", format!("at most {MAX_OAUTH_PROFILE_BYTES} bytes")).at(&at("profile")));
        }
        out.push(OAuthSpec {
            display_name: optional_text(input.display_name, &at("displayName"))?,
            username: optional_text(input.username, &at("username"))?,
            provider: input.provider,
            account_id: input.account_id,
            emails,
            photos,
            profile,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wallets(value: Value) -> Result<Vec<WalletSpec>, Invalid> {
        parse_wallets(serde_json::from_value(value).unwrap())
    }

    #[test]
    fn wallet_errors_name_their_path() {
        let e = wallets(json!([{"publicWalletAddress": "0x12", "chain": "ETH"}])).unwrap_err();
        assert_eq!((e.code, e.at.as_deref()), ("invalid_wallet_address", Some("[0].publicWalletAddress")));
        let e = wallets(json!([{"publicWalletAddress": "0xbF394748301603f18d953C90F0b087CBEC0E1834", "chain": "DOGE"}])).unwrap_err();
        assert_eq!((e.code, e.at.as_deref()), ("invalid_chain", Some("[0].chain")));
        let twice = json!({"publicWalletAddress": "0xbF394748301603f18d953C90F0b087CBEC0E1834", "chain": "ETH"});
        let lower = json!({"publicWalletAddress": "0xbf394748301603f18d953c90f0b087cbec0e1834", "chain": "ETH"});
        assert_eq!(wallets(json!([twice, lower])).unwrap_err().code, "duplicate_wallet");
    }

    #[test]
    fn oauth_accounts_are_bounded_and_checked() {
        let parse = |v: Value| parse_oauth_accounts(serde_json::from_value(v).unwrap());
        let ok = parse(json!([{"provider": "github", "accountId": "42", "emails": ["a@b.co"], "photos": ["https://x.test/a.png", "<string>"], "profile": {}}])).unwrap();
        assert_eq!(ok[0].photos.len(), 2);
        let e = parse(json!([{"provider": "github", "accountId": "1", "photos": ["javascript:alert(1)"]}])).unwrap_err();
        assert_eq!((e.code, e.at.as_deref()), ("invalid_url", Some("[0].photos[0]")));
        let e = parse(json!([{"provider": "github", "accountId": "1", "emails": ["nope"]}])).unwrap_err();
        assert_eq!((e.code, e.at.as_deref()), ("invalid_email", Some("[0].emails[0]")));
        let e = parse(json!([{"provider": "github", "accountId": "1", "profile": {"bio": "x".repeat(3000)}}])).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("[0].profile"));
        let e = parse(json!([{"provider": "github", "accountId": "1", "emails": vec!["a@b.co"; 11]}])).unwrap_err();
        assert_eq!(e.code, "too_many_emails");
    }
}

/// A verified credential as Dynamic's `JwtVerifiedCredential` has it, in API answers and in the
/// `jwt`: snake_case names but for `signInEnabled` and `verifiedAt`.
#[derive(Serialize)]
pub struct DynamicCredential<'a> {
    id: Uuid,
    format: CredentialFormat,
    public_identifier: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a Email>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chain: Option<Chain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wallet_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wallet_provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wallet_additional_addresses: Option<&'a [AdditionalAddress]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_display_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_emails: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_account_photos: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth_metadata: Option<&'a Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_issuer: Option<&'a str>,
    /// An email credential signs in here (by its code), and an external identity (by its
    /// issuer's token).
    #[serde(rename = "signInEnabled")]
    sign_in_enabled: bool,
    #[serde(rename = "verifiedAt", skip_serializing_if = "Option::is_none")]
    verified_at: Option<Timestamp>,
}

impl<'a> DynamicCredential<'a> {
    pub fn new(c: &'a Credential) -> Self {
        Self {
            id: c.id,
            format: c.format,
            public_identifier: &c.public_identifier,
            email: c.email.as_ref(),
            address: c.address.as_deref(),
            chain: c.chain,
            wallet_name: c.wallet_name.as_deref(),
            wallet_provider: c.wallet_provider.as_deref(),
            wallet_additional_addresses: c.wallet_additional_addresses.as_deref(),
            oauth_provider: c.oauth_provider.as_deref(),
            oauth_account_id: c.oauth_account_id.as_deref(),
            oauth_username: c.oauth_username.as_deref(),
            oauth_display_name: c.oauth_display_name.as_deref(),
            oauth_emails: c.oauth_emails.as_deref(),
            oauth_account_photos: c.oauth_account_photos.as_deref(),
            oauth_metadata: c.oauth_metadata.as_ref(),
            external_issuer: c.external_issuer.as_deref(),
            sign_in_enabled: matches!(c.format, CredentialFormat::Email | CredentialFormat::ExternalUser),
            verified_at: c.verified_at,
        }
    }
}
