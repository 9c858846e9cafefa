//! The library's vocabulary: what an item is (kind), what it is for (category), where in the AIDA
//! sequence it belongs (stage) and where it may be sent (channel).
//!
//! Each word has a stable code, which is what the store keeps and the API sends (so renaming a word on
//! screen never rewrites data), and its words for people in the catalogue under `<area>.<code>`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use siyu_domain::lang::Text;

/// One enum of the vocabulary: its variants with their codes, `code()`, `parse()`, `text()` and
/// serde as the code. One macro, so the four enums cannot drift apart in how they store and read.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $area:literal { $($(#[$vdoc:meta])* $variant:ident = $code:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The stable code stored and sent over the API.
            pub fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// Reads a stored or sent code; nothing else (a form sends codes, people read words).
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }

            /// The word as people read it (`<area>.<code>` in the catalogue).
            pub fn text(self) -> Text {
                Text::new(&format!(concat!($area, ".{}"), self.code()))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = String::deserialize(d)?;
                Self::parse(&code).ok_or_else(|| {
                    let known: Vec<_> = Self::ALL.iter().map(|v| v.code()).collect();
                    serde::de::Error::custom(format!("unknown {} `{code}` (known: {})", $area, known.join(", ")))
                })
            }
        }
    };
}

vocabulary!(
    /// What an item is, which decides how it is sent (WeCom's message types) and shown.
    ItemKind, "content_kind" {
        Text = "text",
        Image = "image",
        /// Rich text that siyu renders as a mobile page.
        Article = "article",
        Link = "link",
        Poster = "poster",
        MiniProgram = "mini_program",
        File = "file",
    }
);

vocabulary!(
    /// What an item is for, in the words of seed 002's operating model.
    Category, "content_category" {
        /// 人设: who the customer manager is.
        Persona = "persona",
        /// 价值观: what the bank and the manager stand for.
        Values = "values",
        /// 案例: a case.
        Case = "case",
        /// 福利权益: a benefit or right for the customer.
        Benefit = "benefit",
        /// 破冰产品: a simple product that opens the conversation.
        IceBreaker = "ice_breaker",
        /// 理财干货: finance tips.
        FinanceTips = "finance_tips",
        /// 投教: investor education.
        InvestorEducation = "investor_education",
        /// 同类故事: the story of a customer like this one.
        SimilarStory = "similar_story",
        /// 活动: a marketing activity.
        Activity = "activity",
        /// 3W话术: the scripts for customers who reached the Action stage.
        ThreeW = "three_w",
    }
);

vocabulary!(
    /// The AIDA stage an item serves in a content sequence.
    AidaStage, "aida" {
        Attention = "attention",
        Interest = "interest",
        Desire = "desire",
        Action = "action",
    }
);

vocabulary!(
    /// Where an item may be sent: 点 (one-to-one chat), 圈 (Moments), 群 (customer groups).
    Channel, "content_channel" {
        OneToOne = "one_to_one",
        Moments = "moments",
        Group = "group",
    }
);

#[cfg(test)]
mod tests {
    use siyu_domain::lang::{Lang, MISSING};

    use super::*;

    fn check<T: Copy + Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(
        all: &[T],
        code: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
        text: fn(T) -> Text,
    ) {
        let mut codes: Vec<_> = all.iter().map(|v| code(*v)).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "codes are unique");
        for v in all {
            assert_eq!(parse(code(*v)), Some(*v));
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{}\"", code(*v)));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *v);
            for lang in Lang::ALL {
                let words = text(*v).render(lang);
                assert!(!words.starts_with(MISSING), "{} has no words in {lang:?}", code(*v));
            }
        }
    }

    #[test]
    fn every_word_has_a_unique_code_that_round_trips_and_words_in_both_languages() {
        check(ItemKind::ALL, ItemKind::code, ItemKind::parse, ItemKind::text);
        check(Category::ALL, Category::code, Category::parse, Category::text);
        check(AidaStage::ALL, AidaStage::code, AidaStage::parse, AidaStage::text);
        check(Channel::ALL, Channel::code, Channel::parse, Channel::text);
    }

    #[test]
    fn unknown_codes_are_refused_with_the_known_ones() {
        assert_eq!(Category::parse("人设"), None, "codes only, not words");
        assert_eq!(ItemKind::parse("Text"), None);
        let err = serde_json::from_str::<Channel>("\"wechat\"").unwrap_err().to_string();
        assert!(err.contains("one_to_one, moments, group"), "{err}");
        assert_eq!(Category::ThreeW.text().render(Lang::Zh), "3W话术");
        assert_eq!(AidaStage::Desire.text().render(Lang::En), "Desire");
    }
}
