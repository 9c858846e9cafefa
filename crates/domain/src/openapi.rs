//! Schemas of the domain's types for the API's OpenAPI document, where a derive cannot say what is
//! sent (behind the `openapi` feature; see ARCHITECTURE.md, "The OpenAPI document").

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// The digits of a typed id as its `FromStr` reads them: no sign, no leading zero, and at most 18
/// digits, which every key the store hands out fits (an id of 19 digits or more is never printed).
pub const ID_DIGITS: &str = "[1-9][0-9]{0,17}";

/// A typed id (`cus_42`): a string of its prefix, `_` and its digits.
pub fn id_schema(prefix: &str, kind: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^{prefix}_{ID_DIGITS}$")))
        .description(Some(format!("A {kind} id")))
        .examples([format!("{prefix}_1")])
        .into()
}

/// A grade serialised as its number, 1 to 5 ([`crate::customer::AumTier`],
/// [`crate::customer::RiskGrade`]).
macro_rules! one_to_five {
    ($name:ident, $about:literal) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(5))
                    .description(Some($about))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use one_to_five;

#[cfg(test)]
mod tests {
    use crate::CustomerId;

    /// What the pattern admits is what an id parses from, over the cases that tell them apart.
    #[test]
    fn the_id_pattern_is_what_parses() {
        let pattern = format!("^cus_{}$", super::ID_DIGITS);
        // A hand-rolled matcher of that one pattern: `cus_`, a non-zero digit, then up to 17 digits.
        let matches = |s: &str| {
            s.strip_prefix("cus_").is_some_and(|d| {
                (1..=18).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
            })
        };
        assert_eq!(pattern, "^cus_[1-9][0-9]{0,17}$");
        for s in [
            "cus_1",
            "cus_42",
            "cus_999999999999999999",
            "cus_0",
            "cus_01",
            "cus_",
            "cus_+1",
            "cus_-1",
            "stf_1",
            "cus_1x",
        ] {
            assert_eq!(matches(s), s.parse::<CustomerId>().is_ok(), "{s}");
        }
    }
}
