//! Writing HTML by hand: every piece of text goes through [`escape`], so that an office name, a closure's reason or
//! a press sentence can never become markup.

use std::fmt::Write as _;

/// `s` with `&`, `<`, `>`, `"` and `'` replaced by entities: safe as element text and as a quoted attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A query string `?a=1&b=2` from pairs, each value percent-encoded (RFC 3986 unreserved characters kept); the
/// result still has to be [`escape`]d when it goes into an attribute.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        out.push('=');
        for b in value.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_become_entities_and_the_rest_stays() {
        assert_eq!(
            escape(r#"<script>alert("x&y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;"
        );
        assert_eq!(escape("Schließung 'Umzug'"), "Schließung &#39;Umzug&#39;");
        assert_eq!(escape(""), "");
    }

    proptest::proptest! {
        /// Escaped text holds no markup character, and undoing the entities gives the text back.
        #[test]
        fn escaping_hides_markup_and_loses_nothing(text in "\\PC*") {
            let escaped = escape(&text);
            proptest::prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
            let back = escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&amp;", "&");
            proptest::prop_assert_eq!(back, text);
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            query(&[("office", "kl-buergercenter"), ("as_of", "2020-06-24")]),
            "?office=kl-buergercenter&as_of=2020-06-24"
        );
        assert_eq!(query(&[("q", "a b&c=ü")]), "?q=a%20b%26c%3D%C3%BC");
        assert_eq!(query(&[]), "");
    }
}
