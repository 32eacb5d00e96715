//! Credentials and request signing: the one home of secrets.
//!
//! REST signatures are HMAC-SHA256 over the percent-encoded payload exactly as sent
//! (query string, then body, no separator), hex encoded, with `signature` appended last.

use std::fmt;

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Characters left as they are in a query value: RFC 3986 unreserved, as in the docs' helper.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// An API key and its HMAC secret. The secret is zeroed on drop and never printed.
#[derive(Clone)]
pub struct Credentials {
    api_key: String,
    secret: Zeroizing<String>,
}

impl Credentials {
    pub fn new(api_key: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            api_key: api_key.into(),
            secret: Zeroizing::new(secret.into()),
        }
    }

    /// The value of the `X-MBX-APIKEY` header. Not a secret, but still never logged in full.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The key with all but its first and last four characters masked, for diagnostics.
    pub fn masked_key(&self) -> String {
        let chars: Vec<char> = self.api_key.chars().collect();
        if chars.len() <= 8 {
            return "****".to_owned();
        }
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }

    /// Lowercase hex HMAC-SHA256 of `payload` keyed with the secret.
    pub fn sign(&self, payload: &str) -> String {
        hmac_sha256_hex(self.secret.as_bytes(), payload.as_bytes())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.masked_key())
            .field("secret", &"REDACTED")
            .finish()
    }
}

fn hmac_sha256_hex(key: &[u8], payload: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// Percent-encodes parameters into `k=v&k=v`, in the given order. These are the exact bytes
/// that are both signed and sent.
pub fn encode_params(params: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(key, QUERY_VALUE));
        out.push('=');
        out.extend(utf8_percent_encode(value, QUERY_VALUE));
    }
    out
}

/// Appends `signature=<hex>` computed over `query` (the whole payload when there is no body).
pub fn signed_query(credentials: &Credentials, query: &str) -> String {
    let signature = credentials.sign(query);
    if query.is_empty() {
        format!("signature={signature}")
    } else {
        format!("{query}&signature={signature}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Illustrative credentials published in the official REST docs (SIGNED endpoint examples).
    const DOC_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
    const DOC_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    fn doc_params(symbol: &str) -> Vec<(&'static str, String)> {
        vec![
            ("symbol", symbol.to_owned()),
            ("side", "BUY".into()),
            ("type", "LIMIT".into()),
            ("timeInForce", "GTC".into()),
            ("quantity", "1".into()),
            ("price", "0.1".into()),
            ("recvWindow", "5000".into()),
            ("timestamp", "1499827319559".into()),
        ]
    }

    #[test]
    fn official_ascii_vector() {
        let creds = Credentials::new(DOC_KEY, DOC_SECRET);
        let payload = encode_params(&doc_params("LTCBTC"));
        assert_eq!(
            payload,
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        );
        assert_eq!(
            creds.sign(&payload),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    #[test]
    fn official_non_ascii_vector_signs_the_encoded_payload() {
        let creds = Credentials::new(DOC_KEY, DOC_SECRET);
        let payload = encode_params(&doc_params("１２３４５６"));
        assert!(payload.starts_with("symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY"));
        assert_eq!(
            creds.sign(&payload),
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
        );
        // Signing the raw UTF-8 (the pre-2026 behaviour Binance now rejects) gives another value.
        let raw = "symbol=１２３４５６&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            creds.sign(raw),
            "ca2cdfbf21d2e2958de492c7f2dd1f059dd2ed4d4459d26a5ec7928db50c8d4f"
        );
    }

    #[test]
    fn official_query_plus_body_vector() {
        let creds = Credentials::new(DOC_KEY, DOC_SECRET);
        let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            creds.sign(payload),
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
        );
    }

    #[test]
    fn signature_goes_last() {
        let creds = Credentials::new(DOC_KEY, DOC_SECRET);
        let q = signed_query(&creds, "a=1&b=2");
        assert!(q.starts_with("a=1&b=2&signature="));
        assert_eq!(q.len(), "a=1&b=2&signature=".len() + 64);
    }

    #[test]
    fn reserved_characters_are_encoded() {
        let q = encode_params(&[("symbols", "[\"BTCUSDT\",\"ETHUSDT\"]".into())]);
        assert_eq!(q, "symbols=%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let creds = Credentials::new(DOC_KEY, DOC_SECRET);
        let shown = format!("{creds:?}");
        assert!(!shown.contains(DOC_SECRET));
        assert!(!shown.contains(DOC_KEY));
        assert!(shown.contains("REDACTED"));
    }
}
