//! The write token: a bearer token compared in constant time, never printed.

use axum::http::HeaderMap;
use subtle::ConstantTimeEq as _;

/// A secret bearer token. Its `Debug` does not show it, so it cannot end up in a log line.
#[derive(Clone)]
pub struct Token(Box<str>);

impl Token {
    /// A token from its text, trimmed of surrounding whitespace (token files end in a newline); `None` when empty.
    pub fn new(text: &str) -> Option<Token> {
        let text = text.trim();
        (!text.is_empty()).then(|| Token(text.into()))
    }

    /// The token's text, for printing it once where the operator asked for it (`wartezeit demo`).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this token, in time independent of where they differ.
    fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Why a write was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No `Authorization: Bearer …` header (401).
    Missing,
    /// A bearer token that is not the write token (403).
    Wrong,
}

/// Checks the `Authorization` header against `token`; `None` (no token configured) lets everyone write.
pub fn check(token: Option<&Token>, headers: &HeaderMap) -> Result<(), Denied> {
    check_any(&[token], headers)
}

/// Checks the `Authorization` header against any of `tokens`; none configured lets everyone in.
pub fn check_any(tokens: &[Option<&Token>], headers: &HeaderMap) -> Result<(), Denied> {
    let tokens: Vec<&Token> = tokens.iter().flatten().copied().collect();
    if tokens.is_empty() {
        return Ok(());
    }
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            // The scheme is case-insensitive (RFC 9110, 11.1): `Bearer`, `bearer` and `BEARER` alike.
            let (scheme, credentials) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(credentials)
        })
        .map(str::trim)
        .ok_or(Denied::Missing)?;
    // Every token is compared (no early exit), so the time does not tell which one nearly matched.
    let matched = tokens.iter().fold(false, |any, token| token.matches(presented) | any);
    if matched { Ok(()) } else { Err(Denied::Wrong) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn missing_wrong_and_right_tokens() {
        let token = Token::new("s3cret\n").unwrap();
        assert_eq!(check(Some(&token), &HeaderMap::new()), Err(Denied::Missing));
        assert_eq!(check(Some(&token), &headers("Basic abc")), Err(Denied::Missing));
        assert_eq!(check(Some(&token), &headers("Bearer s3cre")), Err(Denied::Wrong));
        assert_eq!(check(Some(&token), &headers("Bearer s3cret!")), Err(Denied::Wrong));
        assert_eq!(check(Some(&token), &headers("Bearer s3cret")), Ok(()));
        assert_eq!(check(Some(&token), &headers("BEARER s3cret")), Ok(()));
        assert_eq!(check(Some(&token), &headers("bEaReR s3cret")), Ok(()));
        assert_eq!(check(Some(&token), &headers("Bearers3cret")), Err(Denied::Missing));
        assert_eq!(check(None, &HeaderMap::new()), Ok(()));
        assert!(!format!("{token:?}").contains("s3cret"));
        assert!(Token::new("  \n").is_none());
    }
}
