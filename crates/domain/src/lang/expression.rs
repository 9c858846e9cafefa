//! The messages of the audience expression parser and compiler (`expr.*`); the character position
//! they point at travels beside them.

/// key, 中文, English.
pub(super) const MESSAGES: &[(&str, &str, &str)] = &[
    ("expr.no_tag", "没有名为“{name}”的标签", "no tag named “{name}”"),
    ("expr.did_you_mean", "{message}，是不是要{near}？", "{message}; did you mean {near}?"),
    (
        "expr.no_sub_branch_of_yours",
        "您的范围内没有网点“{value}”，该条件不选中任何客户",
        "no sub-branch “{value}” among yours: the condition selects nobody",
    ),
    (
        "expr.ambiguous_sub_branch",
        "有{count}个网点名为“{value}”，请用网点代码（{codes}）",
        "{count} sub-branches are named “{value}”: use a code ({codes})",
    ),
    ("expr.no_audience", "没有名为“{name}”的客群", "no saved audience “{name}”"),
];

/// The parser's own words: what it expected, what it found, and where.
pub(super) const PARSER: &[(&str, &str, &str)] = &[
    ("expr.at", "第{at}个字符处：{message}", "At character {at}: {message}"),
    ("expr.expected_ne", "“!” 后应为 “=”", "expected “!=”"),
    ("expr.unterminated_string", "字符串没有结束引号", "unterminated string"),
    ("expr.bad_escape", "无效的转义（请用 \\\" 或 \\\\）", "invalid escape (use \\\" or \\\\)"),
    ("expr.number_too_big", "数字太大：{value}", "number out of range: {value}"),
    ("expr.unexpected_character", "无法识别的字符“{value}”", "unexpected character “{value}”"),
    ("expr.the_end", "结尾", "the end"),
    ("expr.expected", "应为{wanted}，却是{found}", "expected {wanted}, found {found}"),
    ("expr.too_many_conditions", "条件过多（最多{max}个）", "more than {max} conditions"),
    ("expr.too_deep", "嵌套过深（最多{max}层）", "nested deeper than {max}"),
    ("expr.quoted", "{what}（带引号）", "a quoted {what}"),
    ("expr.name_length", "{what}应为1-50个字符", "{what} must be 1-50 characters"),
    ("expr.a_condition", "条件", "a condition"),
    ("expr.tag_name", "标签名", "tag name"),
    ("expr.audience_name", "客群", "audience"),
    ("expr.event_name", "事件名", "event name"),
    ("expr.a_count", "次数", "a count"),
    ("expr.count_range", "次数应为1-10000", "count must be 1-10000"),
    ("expr.a_number_of_days", "天数", "a number of days"),
    ("expr.days_range", "天数应为1-3650", "days must be 1-3650"),
    (
        "expr.unknown_attribute",
        "未知属性“{name}”（可用：tag、event、audience、{known}）",
        "unknown attribute “{name}” (known: tag, event, audience, {known})",
    ),
    (
        "expr.unknown_attribute_near",
        "未知属性“{name}”，是不是要“{near}”？（可用：tag、event、audience、{known}）",
        "unknown attribute “{name}”, did you mean “{near}”? (known: tag, event, audience, {known})",
    ),
    ("expr.no_such_grade", "风险等级为 C1-C5，没有 C{n}", "risk grades are C1-C5, there is no C{n}"),
    ("expr.bad_gender", "性别应为 男、女 或 未知，没有“{value}”", "gender is male, female or unknown, not “{value}”"),
    ("expr.not_ordered", "{name} 不能比较大小", "{name} cannot be ordered"),
    ("expr.not_numeric", "{name} 不是数字属性", "{name} is not numeric"),
    ("expr.range_reversed", "区间下限 {lo} 大于上限 {hi}", "{lo} is above {hi}"),
    (
        "expr.a_comparison",
        "比较（=、!=、<、<=、>、>=、in、between）",
        "a comparison (=, !=, <, <=, >, >=, in, between)",
    ),
    ("expr.out_of_range", "{name} 应在 {min}-{max} 之间", "{name} must be {min}-{max}"),
    ("expr.a_number", "数字", "a number"),
    ("expr.quoted_text", "带引号的文字", "quoted text"),
    ("expr.true_or_false", "true 或 false", "true or false"),
    ("expr.needs", "{name} 需要{wanted}，却是{found}", "{name} needs {wanted}, found {found}"),
    ("expr.too_long", "表达式过长（最多{max}字）", "longer than {max} characters"),
    ("expr.empty", "表达式为空", "the expression is empty"),
    ("expr.and_or_end", "“and”、“or” 或结尾", "“and”, “or” or the end"),
    ("expr.unknown_event", "未知事件“{name}”（可用：{known}）", "unknown event “{name}” (known: {known})"),
];
