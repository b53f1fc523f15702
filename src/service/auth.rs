//! The tokens: bearer tokens (or Basic passwords, for browsers) compared in constant time, never printed.

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

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No `Authorization` header with a token (401).
    Missing,
    /// A bearer token that is none of the tokens (403).
    Wrong,
    /// Basic credentials whose password is none of the tokens (401, so that a browser asks again).
    WrongBasic,
}

/// Checks the `Authorization` header against `token`; `None` (no token configured) lets everyone write.
pub fn check(token: Option<&Token>, headers: &HeaderMap) -> Result<(), Denied> {
    check_any(&[token], headers)
}

/// Checks the `Authorization` header against any of `tokens`; none configured lets everyone in. A token is taken
/// as `Bearer <token>`, or for browsers as `Basic` credentials whose password is the token (any user name).
pub fn check_any(tokens: &[Option<&Token>], headers: &HeaderMap) -> Result<(), Denied> {
    let tokens: Vec<&Token> = tokens.iter().flatten().copied().collect();
    if tokens.is_empty() {
        return Ok(());
    }
    let (presented, basic) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(presented_token)
        .ok_or(Denied::Missing)?;
    // Every token is compared (no early exit), so the time does not tell which one nearly matched.
    let matched = tokens.iter().fold(false, |any, token| token.matches(&presented) | any);
    match (matched, basic) {
        (true, _) => Ok(()),
        (false, false) => Err(Denied::Wrong),
        (false, true) => Err(Denied::WrongBasic),
    }
}

/// The token of an `Authorization` value, and whether it came as Basic credentials. The scheme is
/// case-insensitive (RFC 9110, 11.1): `Bearer`, `bearer` and `BEARER` alike.
fn presented_token(value: &str) -> Option<(String, bool)> {
    use base64::Engine as _;
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some((credentials.to_owned(), false));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(credentials).ok()?;
    let (_user, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((password.to_owned(), true))
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
        // Basic for browsers: any user name, the token as the password ("reader:s3cret", "reader:wrong").
        assert_eq!(check(Some(&token), &headers("Basic cmVhZGVyOnMzY3JldA==")), Ok(()));
        assert_eq!(check(Some(&token), &headers("basic cmVhZGVyOnMzY3JldA==")), Ok(()));
        assert_eq!(check(Some(&token), &headers("Basic cmVhZGVyOndyb25n")), Err(Denied::WrongBasic));
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
