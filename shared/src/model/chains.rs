//! Blockchains a wallet credential may be on, and the shape of an address on each. EVM-style
//! `0x` hex addresses compare case-insensitively (their case is only a checksum); base58 and
//! base32 addresses are case-sensitive.

use super::values::{static_regex, Invalid};
use regex::Regex;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Chain {
    Eth,
    Evm,
    Sol,
    Eclipse,
    Btc,
    Cosmos,
    Flow,
    Algo,
    Stark,
    Sui,
    Aptos,
    Tron,
    Ton,
}

impl Chain {
    pub const ALL: [Chain; 13] = [
        Chain::Eth,
        Chain::Evm,
        Chain::Sol,
        Chain::Eclipse,
        Chain::Btc,
        Chain::Cosmos,
        Chain::Flow,
        Chain::Algo,
        Chain::Stark,
        Chain::Sui,
        Chain::Aptos,
        Chain::Tron,
        Chain::Ton,
    ];

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(|_| {
            let names: Vec<String> = Self::ALL.iter().map(|c| c.as_str().to_string()).collect();
            Invalid::new("invalid_chain", format!("must be one of {}", names.join(", ")))
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Chain::Eth => "ETH",
            Chain::Evm => "EVM",
            Chain::Sol => "SOL",
            Chain::Eclipse => "ECLIPSE",
            Chain::Btc => "BTC",
            Chain::Cosmos => "COSMOS",
            Chain::Flow => "FLOW",
            Chain::Algo => "ALGO",
            Chain::Stark => "STARK",
            Chain::Sui => "SUI",
            Chain::Aptos => "APTOS",
            Chain::Tron => "TRON",
            Chain::Ton => "TON",
        }
    }

    fn address_pattern(self) -> &'static Regex {
        match self {
            Chain::Eth | Chain::Evm => static_regex!(r"^0x[0-9a-fA-F]{40}$"),
            Chain::Sol | Chain::Eclipse => static_regex!(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$"),
            Chain::Btc => static_regex!(r"^(bc1[02-9ac-hj-np-z]{11,71}|[13][1-9A-HJ-NP-Za-km-z]{25,34})$"),
            Chain::Cosmos => static_regex!(r"^[a-z]{1,83}1[02-9ac-hj-np-z]{38,58}$"),
            Chain::Flow => static_regex!(r"^0x[0-9a-fA-F]{16}$"),
            Chain::Algo => static_regex!(r"^[A-Z2-7]{58}$"),
            Chain::Stark => static_regex!(r"^0x[0-9a-fA-F]{1,64}$"),
            Chain::Sui | Chain::Aptos => static_regex!(r"^0x[0-9a-fA-F]{1,64}$"),
            Chain::Tron => static_regex!(r"^T[1-9A-HJ-NP-Za-km-z]{33}$"),
            Chain::Ton => static_regex!(r"^([A-Za-z0-9_-]{48}|-?[0-9]:[0-9a-fA-F]{64})$"),
        }
    }

    /// Checks `address` has this chain's shape.
    pub fn check_address(self, address: &str) -> Result<(), Invalid> {
        if address.len() <= 128 && self.address_pattern().is_match(address) {
            Ok(())
        } else {
            Err(Invalid::new("invalid_wallet_address", format!("is not a valid {} address", self.as_str())))
        }
    }

    /// The chain a wallet's uniqueness claim is recorded under: an EVM address is one account on
    /// every EVM chain, so `ETH` and `EVM` share one claim.
    pub fn claim_chain(self) -> Chain {
        match self {
            Chain::Evm => Chain::Eth,
            other => other,
        }
    }

    /// The form two addresses are the same in: hex addresses ignore case.
    pub fn normalized(self, address: &str) -> String {
        if address.starts_with("0x") {
            address.to_ascii_lowercase()
        } else {
            address.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_follow_their_chain() {
        let ok = [
            (Chain::Eth, "0xbF394748301603f18d953C90F0b087CBEC0E1834"),
            (Chain::Sol, "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"),
            (Chain::Btc, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
            (Chain::Btc, "3FZbgi29cpjq2GjdwV8eyHuJJnkLtktZc5"),
            (Chain::Cosmos, "cosmos1hsk6jryyqjfhp5dhc55tc9jtckygx0eph6dd02"),
            (Chain::Flow, "0x1654653399040a61"),
            (Chain::Tron, "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL"),
        ];
        for (chain, address) in ok {
            assert!(chain.check_address(address).is_ok(), "{chain:?} {address}");
        }
        let bad = [(Chain::Eth, "0x1234"), (Chain::Eth, "bF394748301603f18d953C90F0b087CBEC0E1834zz"), (Chain::Sol, "0OIl"), (Chain::Btc, "0x00")];
        for (chain, address) in bad {
            assert_eq!(chain.check_address(address).unwrap_err().code, "invalid_wallet_address", "{chain:?} {address}");
        }
        assert_eq!(Chain::parse("ETH").unwrap(), Chain::Eth);
        assert_eq!(Chain::parse("eth").unwrap_err().code, "invalid_chain");
        assert_eq!(Chain::Eth.normalized("0xABc"), "0xabc");
        assert_eq!(Chain::Sol.normalized("AbC"), "AbC");
    }
}
