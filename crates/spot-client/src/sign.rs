//! Credentials and request signing: the one home of secrets.
//!
//! REST signatures are computed over the percent-encoded payload exactly as sent (query string,
//! then body, no separator), with `signature` appended last: HMAC-SHA256 as lowercase hex, or
//! Ed25519 as standard padded base64, percent-encoded in the query (`+`, `/`, `=`).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, PrivateKeyInfo, SecretDocument};
use ed25519_dalek::{Signer as _, SigningKey};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Characters left as they are in a query value: RFC 3986 unreserved, as in the docs' helper.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The kind of API key: how requests are signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// HMAC-SHA256 with the API secret; hex signature.
    Hmac,
    /// Ed25519 with a PKCS#8 private key; base64 signature.
    Ed25519,
}

impl KeyType {
    /// `HMAC` or `Ed25519`, for diagnostics.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Hmac => "HMAC",
            KeyType::Ed25519 => "Ed25519",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a private key file cannot be used. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM file (expected -----BEGIN PRIVATE KEY-----)")]
    NotPem,
    #[error("holds an RSA private key; only Ed25519 PKCS#8 keys are supported (or use an HMAC API secret)")]
    Rsa,
    #[error("holds a PKCS#8 {algorithm} private key; only Ed25519 (OID 1.3.101.112) is supported")]
    NotEd25519 { algorithm: String },
    #[error("holds an encrypted private key; export it as an unencrypted PKCS#8 Ed25519 key")]
    Encrypted,
    #[error("holds a PEM {label:?} block; expected an Ed25519 PKCS#8 \"PRIVATE KEY\"")]
    UnsupportedLabel { label: String },
    #[error("holds a malformed PKCS#8 private key")]
    Malformed,
}

/// The signing half of a credential. Both variants are zeroed on drop.
#[derive(Clone)]
enum Secret {
    Hmac(Zeroizing<String>),
    // `SigningKey` zeroes its scalar on drop (ed25519-dalek `zeroize` feature).
    Ed25519(Box<SigningKey>),
}

/// An API key and its HMAC secret or Ed25519 private key. The secret is zeroed on drop and
/// never printed.
#[derive(Clone)]
pub struct Credentials {
    api_key: String,
    secret: Secret,
}

impl Credentials {
    /// An HMAC-SHA256 key.
    pub fn new(api_key: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            api_key: api_key.into(),
            secret: Secret::Hmac(Zeroizing::new(secret.into())),
        }
    }

    /// An Ed25519 key from the text of a PKCS#8 PEM file (`-----BEGIN PRIVATE KEY-----`). The key
    /// type is read from the PEM label and the algorithm OID, never guessed.
    pub fn ed25519_from_pem(api_key: impl Into<String>, pem: &str) -> Result<Credentials, KeyError> {
        let label = pem_label(pem).ok_or(KeyError::NotPem)?;
        match label {
            "PRIVATE KEY" => {}
            "RSA PRIVATE KEY" => return Err(KeyError::Rsa),
            "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
            other => {
                return Err(KeyError::UnsupportedLabel {
                    label: other.to_owned(),
                });
            }
        }
        let key = SigningKey::from_pkcs8_pem(pem).map_err(|_| algorithm_error(pem))?;
        Ok(Credentials {
            api_key: api_key.into(),
            secret: Secret::Ed25519(Box::new(key)),
        })
    }

    /// HMAC or Ed25519.
    pub fn key_type(&self) -> KeyType {
        match self.secret {
            Secret::Hmac(_) => KeyType::Hmac,
            Secret::Ed25519(_) => KeyType::Ed25519,
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

    /// The signature of `payload`, before percent-encoding: lowercase hex HMAC-SHA256 keyed with
    /// the secret, or standard padded base64 of the 64-byte Ed25519 signature.
    pub fn sign(&self, payload: &str) -> String {
        match &self.secret {
            Secret::Hmac(secret) => hmac_sha256_hex(secret.as_bytes(), payload.as_bytes()),
            Secret::Ed25519(key) => BASE64.encode(key.sign(payload.as_bytes()).to_bytes()),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.masked_key())
            .field("key_type", &self.key_type())
            .field("secret", &"REDACTED")
            .finish()
    }
}

/// The label of the first `-----BEGIN <label>-----` line.
fn pem_label(pem: &str) -> Option<&str> {
    pem.lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
}

/// Why a `PRIVATE KEY` block is not an Ed25519 key: the algorithm OID it names, or malformed.
fn algorithm_error(pem: &str) -> KeyError {
    let Ok((_, der)) = SecretDocument::from_pem(pem) else {
        return KeyError::Malformed;
    };
    let Ok(info) = PrivateKeyInfo::try_from(der.as_bytes()) else {
        return KeyError::Malformed;
    };
    if info.algorithm.oid == ed25519_dalek::pkcs8::ALGORITHM_OID {
        return KeyError::Malformed;
    }
    let algorithm = match info.algorithm.oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => return KeyError::Rsa,
        "1.2.840.10045.2.1" => "EC".to_owned(),
        "1.3.101.113" => "Ed448".to_owned(),
        "1.3.101.110" => "X25519".to_owned(),
        other => format!("OID {other}"),
    };
    KeyError::NotEd25519 { algorithm }
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

/// Appends `signature=<value>` computed over `query` (the whole payload when there is no body).
/// The value is percent-encoded: a no-op for HMAC hex, `+`/`/`/`=` escaped for Ed25519 base64.
pub fn signed_query(credentials: &Credentials, query: &str) -> String {
    let raw = credentials.sign(query);
    let signature = utf8_percent_encode(&raw, QUERY_VALUE);
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
    // Ed25519 key published in the official FIX API docs (illustrative only); reference §2.5.
    const ED_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n-----END PRIVATE KEY-----\n";
    const ED_SEED_B64: &str = "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u";
    // [DERIVED] REST vectors with that key (reference §2.5; re-checked with `openssl pkeyutl -rawin`).
    const ED_ASCII_SIG: &str =
        "WfzGnDebxAC6/SQQ8IgxO2A8zV0I3v3OTWs0IkFAqkrVzaUtwtzJI7VQf3QCKbPbYawE7LohsWhJm55b7ZPBAQ==";
    const ED_NON_ASCII_SIG: &str =
        "k5QNXt6rcJ68tOWoxhnl2ay2jkxe0/mK3Ci17szQxF6xGy9ZYcE6dXRSSlUWK/LXDPU0/bqWoOu98pxYZbXHAA==";

    fn ed_creds() -> Credentials {
        Credentials::ed25519_from_pem(DOC_KEY, ED_PEM).expect("doc Ed25519 key")
    }

    #[test]
    fn ed25519_rest_ascii_vector() {
        let creds = ed_creds();
        assert_eq!(creds.key_type(), KeyType::Ed25519);
        assert_eq!(creds.sign(&encode_params(&doc_params("LTCBTC"))), ED_ASCII_SIG);
    }

    #[test]
    fn ed25519_rest_non_ascii_vector_signs_the_encoded_payload() {
        let payload = encode_params(&doc_params("１２３４５６"));
        assert_eq!(ed_creds().sign(&payload), ED_NON_ASCII_SIG);
    }

    #[test]
    fn ed25519_fix_logon_vector() {
        // fix-api.md Logon example: MsgType, SenderCompID, TargetCompID, MsgSeqNum, SendingTime joined by SOH.
        let payload = ["A", "EXAMPLE", "SPOT", "1", "20240627-11:17:25.223"].join("\u{1}");
        assert_eq!(
            ed_creds().sign(&payload),
            "4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5UdlGPrQHrgtS3CvsRURC1oj73j8gCA=="
        );
    }

    #[test]
    fn ed25519_signature_is_percent_encoded_last() {
        let payload = encode_params(&doc_params("LTCBTC"));
        let q = signed_query(&ed_creds(), &payload);
        assert_eq!(
            q,
            format!(
                "{payload}&signature=WfzGnDebxAC6%2FSQQ8IgxO2A8zV0I3v3OTWs0IkFAqkrVzaUtwtzJI7VQf3QCKbPbYawE7LohsWhJm55b7ZPBAQ%3D%3D"
            )
        );
        let q = signed_query(&ed_creds(), &encode_params(&doc_params("１２３４５６")));
        assert!(q.ends_with(
            "&signature=k5QNXt6rcJ68tOWoxhnl2ay2jkxe0%2FmK3Ci17szQxF6xGy9ZYcE6dXRSSlUWK%2FLXDPU0%2FbqWoOu98pxYZbXHAA%3D%3D"
        ));
    }

    #[test]
    fn hmac_query_is_unchanged_by_percent_encoding() {
        let creds = Credentials::new(DOC_KEY, DOC_SECRET);
        assert_eq!(creds.key_type(), KeyType::Hmac);
        let payload = encode_params(&doc_params("LTCBTC"));
        assert_eq!(
            signed_query(&creds, &payload),
            format!("{payload}&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")
        );
    }

    #[test]
    fn pem_with_crlf_line_ends_is_read() {
        let crlf = ED_PEM.replace('\n', "\r\n");
        assert_eq!(
            Credentials::ed25519_from_pem(DOC_KEY, &crlf).expect("CRLF").sign("a=1"),
            ed_creds().sign("a=1")
        );
    }

    #[test]
    fn non_ed25519_pems_are_refused_by_kind() {
        // openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 (PKCS#8, RSA OID).
        let rsa_pkcs8 = "-----BEGIN PRIVATE KEY-----
MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAykjJ0mA6mgK36Rp9
kxDvCzL1HM/XfNwlZ+oDKpZKZb8jKsNqnvdcP390DONPd3Tstx13sVO5pAim/zD4
waK/nwIDAQABAkEAgk47PDri5R0FLbLz243X/uXXgbTdgkAqFHNpkMB5smo1zAhF
SLPZFeRLVZaiYg3VJXu85YBTsAu8zNN/+MmocQIhAOmOHzzha96lzxXjvJqb2bZx
TrExJKwNuUsqGFnZGaspAiEA3blY8qp9xPAPmaFU/IRVTlm9kE/reDylf1ny0c6a
NYcCIHqvN2WJnFpWixOaj6Y/m/ukRYv6nqLqip0bPbNkwYERAiEAgM0mHbnq29e0
yENPMm3RfHVnSIkUucFJRqTDCRxiussCICAoEVocsdliTw3D0w0CjyW9uOIT/6mK
R+ietBMTIf9q
-----END PRIVATE KEY-----
";
        // openssl genpkey -algorithm X25519: same shape as Ed25519, different OID (1.3.101.110).
        let x25519 = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VuBCIEIFgjdHDICdXiRfswdEvYknUHkq1tKR7X/s92oVGtMVBt
-----END PRIVATE KEY-----
";
        let err = |pem: &str| Credentials::ed25519_from_pem(DOC_KEY, pem).expect_err("refused");
        assert_eq!(err(rsa_pkcs8), KeyError::Rsa);
        assert_eq!(err(&rsa_pkcs8.replace("PRIVATE KEY", "RSA PRIVATE KEY")), KeyError::Rsa);
        assert_eq!(
            err(x25519),
            KeyError::NotEd25519 {
                algorithm: "X25519".into()
            }
        );
        assert_eq!(
            err(&ED_PEM.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")),
            KeyError::Encrypted
        );
        assert_eq!(
            err(
                "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGUIKv9dSpWXBViXp2m6vAIb8QMFJYBgyFEQsFJlqgA0=\n-----END PUBLIC KEY-----\n"
            ),
            KeyError::UnsupportedLabel {
                label: "PUBLIC KEY".into()
            }
        );
        assert_eq!(err(DOC_SECRET), KeyError::NotPem);
        assert_eq!(err(""), KeyError::NotPem);
        assert_eq!(
            err("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            KeyError::Malformed
        );
        // No message ever quotes the file.
        for e in [err(rsa_pkcs8), err(x25519), err(ED_SEED_B64)] {
            assert!(!e.to_string().contains("MC4C") && !e.to_string().contains("MIIB"));
        }
    }

    #[test]
    fn debug_never_shows_the_ed25519_key() {
        let creds = ed_creds();
        let shown = format!("{creds:?}");
        assert!(shown.contains("REDACTED") && shown.contains("Ed25519"), "{shown}");
        assert!(!shown.contains(DOC_KEY));
        assert!(!shown.contains(ED_SEED_B64));
        // The 32-byte seed in hex or as a byte list must not leak either.
        assert!(!shown.contains("824461"), "{shown}");
        assert!(!shown.contains("130, 68, 97"), "{shown}");
    }
}
