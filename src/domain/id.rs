//! Identifiers as validated newtypes ("parse, don't validate").
//!
//! `office`, `service` and `closure_id` follow `[a-z0-9][a-z0-9_-]{0,63}`; `event_id` and `appointment_id` are
//! 1–128 printable ASCII characters (space through tilde). A value of one of these types is always valid, so code
//! that receives one never checks again.

use std::fmt;

/// Why a string is not a valid identifier; the message names the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must not be empty")]
    Empty,
    #[error("is {len} characters long, at most {max} are allowed")]
    TooLong { len: usize, max: usize },
    #[error("must start with a lower-case letter or digit")]
    BadStart,
    #[error("contains {found:?}, only a-z, 0-9, '_' and '-' are allowed")]
    BadSlugChar { found: char },
    #[error("contains {found:?}, only printable ASCII (space to '~') is allowed")]
    NotPrintableAscii { found: char },
}

fn check_slug(s: &str) -> Result<(), IdError> {
    let first = s.chars().next().ok_or(IdError::Empty)?;
    if s.len() > 64 {
        return Err(IdError::TooLong { len: s.chars().count(), max: 64 });
    }
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err(IdError::BadStart);
    }
    match s.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')) {
        Some(found) => Err(IdError::BadSlugChar { found }),
        None => Ok(()),
    }
}

fn check_printable(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if let Some(found) = s.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(IdError::NotPrintableAscii { found });
    }
    if s.len() > 128 {
        return Err(IdError::TooLong { len: s.len(), max: 128 });
    }
    Ok(())
}

/// The JSON schema of a slug identifier (`office`, `service`, `closure_id`).
fn slug_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some("^[a-z0-9][a-z0-9_-]{0,63}$"))
        .into()
}

/// The JSON schema of a printable identifier (`event_id`, `appointment_id`).
fn printable_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some("^[ -~]{1,128}$"))
        .into()
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $check:ident, $schema:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Box<str>);

        impl $name {
            /// Parses and validates; the error names the rule the string breaks.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                $check(s)?;
                Ok(Self(s.into()))
            }

            /// The identifier as it appears on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        // On the wire an identifier is a plain string; its schema says so, with the pattern it follows. (A
        // description only: the domain does not depend on HTTP, utoipa merely reads these types.)
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

identifier!(
    /// A client-chosen id that makes an event unique in the log (and a resend idempotent).
    EventId,
    check_printable,
    printable_schema
);
identifier!(
    /// One appointment, unique per office.
    AppointmentId,
    check_printable,
    printable_schema
);
identifier!(
    /// One office (Bürgercenter), e.g. `kl-buergercenter`.
    OfficeId,
    check_slug,
    slug_schema
);
identifier!(
    /// One service (Dienstleistung), e.g. `personalausweis`.
    ServiceId,
    check_slug,
    slug_schema
);
identifier!(
    /// One declared closure of an office; declaring it again replaces its range.
    ClosureId,
    check_slug,
    slug_schema
);

#[cfg(test)]
mod tests {
    use super::*;

    fn check_slug_id(input: &str, ok: bool) {
        assert_eq!(OfficeId::parse(input).is_ok(), ok, "{input:?}");
    }

    #[test]
    fn slugs_follow_the_pattern() {
        check_slug_id("kl-buergercenter", true);
        check_slug_id("0", true);
        check_slug_id(&"a".repeat(64), true);
        check_slug_id(&"a".repeat(65), false);
        check_slug_id("", false);
        check_slug_id("-kl", false);
        check_slug_id("_kl", false);
        check_slug_id("Kl", false);
        check_slug_id("kl buergercenter", false);
        check_slug_id("kl_b-1", true);
        check_slug_id("bürger", false);
    }

    #[test]
    fn printable_ids_allow_ascii_up_to_128() {
        assert!(EventId::parse("a b~!").is_ok());
        assert!(EventId::parse(&"x".repeat(128)).is_ok());
        assert_eq!(EventId::parse(&"x".repeat(129)), Err(IdError::TooLong { len: 129, max: 128 }));
        assert_eq!(EventId::parse(""), Err(IdError::Empty));
        assert_eq!(EventId::parse("a\tb"), Err(IdError::NotPrintableAscii { found: '\t' }));
        assert_eq!(AppointmentId::parse("ü"), Err(IdError::NotPrintableAscii { found: 'ü' }));
    }
}
