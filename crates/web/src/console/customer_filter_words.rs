//! The console's words for the customer list's range and several-value filters (key, 中文, English);
//! looked up with the rest through [`super::i18n::Tr`].

pub const WORDS: &[(&str, &str, &str)] = &[
    ("customers.ticked", "已选 {n} 个", "{n} chosen"),
    ("customers.tier_and_above", "{tier}及以上", "{tier} and above"),
    ("customers.tier_and_below", "{tier}及以下", "{tier} and below"),
    ("customers.tier_to", "至", "to"),
    ("customers.tier_any_low", "最低不限", "Any lowest"),
    ("customers.tier_any_high", "最高不限", "Any highest"),
];
