//! Typed, prefixed identifiers: a `CustomerId` can never stand where a `StaffId` is expected.
//!
//! Every entity keeps a dense integer key in the database (the audience engine indexes customers by it in
//! bitmaps), and prints with a short prefix (`cus_42`) so that logs, URLs and API payloads say what an id
//! points at. Parsing checks the prefix: `stf_42` is not a customer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text could not be read as a typed id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a valid {kind} id (expected `{prefix}_<number>`)")]
pub struct IdParseError {
    pub kind: &'static str,
    pub prefix: &'static str,
    pub text: String,
}

/// The key an id's digits (after `cus_`) stand for: digits only, since `+5` and `05` parse as integers
/// but are not ids siyu ever prints, and within `i64`.
pub fn key_of(digits: &str) -> Option<i64> {
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// Wraps a database key. Keys are positive; the store hands them out.
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            /// The database key.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}_{}", $prefix, self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.strip_prefix($prefix)
                    .and_then(|rest| rest.strip_prefix('_'))
                    .and_then(key_of)
                    .map(Self)
                    .ok_or_else(|| IdParseError { kind: $kind, prefix: $prefix, text: text.to_owned() })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::openapi::id_schema($prefix, $kind)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

typed_id!(
    /// A node of the bank's organisation: head office, branch or sub-branch.
    OrgUnitId, "org", "organisation unit"
);
typed_id!(
    /// A member of staff: operator, reviewer, branch manager or customer manager.
    StaffId, "stf", "staff"
);
typed_id!(
    /// A bank customer as siyu knows them (distinct from the bank's own customer number).
    CustomerId, "cus", "customer"
);
typed_id!(
    /// A job in the database-backed queue.
    JobId, "job", "job"
);
typed_id!(
    /// One upload of a customer file, from dry run to commit.
    ImportId, "imp", "import"
);
typed_id!(
    /// One entry of the audit log.
    AuditId, "adt", "audit entry"
);
typed_id!(
    /// A channel QR code (渠道活码).
    ChannelCodeId, "chc", "channel code"
);
typed_id!(
    /// A tag group (标签组).
    TagGroupId, "tgr", "tag group"
);
typed_id!(
    /// A tag.
    TagId, "tag", "tag"
);
typed_id!(
    /// A hand-over of a customer manager's customers to successors (离职继承 / 在职继承).
    HandoverId, "hov", "hand-over"
);
typed_id!(
    /// A saved audience (客群): an expression and the customers it selected at its last refresh.
    AudienceId, "aud", "audience"
);
typed_id!(
    /// An API token issued to one of the bank's systems.
    ApiTokenId, "tok", "API token"
);
typed_id!(
    /// A product of the bank's catalogue (deposit, wealth management, fund, insurance, loan, card).
    ProductId, "prd", "product"
);
typed_id!(
    /// An item of the content library: what operators name and find; its words live in versions.
    ContentItemId, "cnt", "content item"
);
typed_id!(
    /// One version of a content item, reviewed on its own: what a send names, so a later edit never
    /// changes what a customer was sent.
    ContentVersionId, "cvr", "content version"
);
typed_id!(
    /// An uploaded image or file of the content library, kept once per content (its SHA-256).
    MediaId, "med", "media file"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_and_parses_with_prefix() {
        let id = CustomerId::new(42);
        assert_eq!(id.to_string(), "cus_42");
        assert_eq!("cus_42".parse::<CustomerId>(), Ok(id));
    }

    #[test]
    fn refuses_other_prefixes_and_odd_digits() {
        for bad in ["stf_42", "cus42", "cus_", "cus_-1", "cus_+1", "cus_042", "cus_1x", "cus_99999999999999999999"] {
            assert!(bad.parse::<CustomerId>().is_err(), "{bad} parsed");
        }
    }
}
