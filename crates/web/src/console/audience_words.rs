//! The console's words for tags, audiences and the 360° profile (key, 中文, English); looked up with
//! the rest through [`super::i18n::Tr`].

pub const WORDS: &[(&str, &str, &str)] = &[
    ("nav.tags", "标签", "Tags"),
    ("nav.audiences", "客群", "Audiences"),
    ("tags.title", "标签管理", "Tags"),
    ("tags.group", "标签组", "Tag group"),
    ("tags.new_group", "新建标签组", "New tag group"),
    ("tags.new", "新建标签", "New tag"),
    ("tags.kind", "类型", "Kind"),
    ("tags.customers", "客户数", "Customers"),
    ("tags.sync", "同步到企业微信", "Mirror to WeCom"),
    ("tags.rule", "规则条件", "Rule"),
    (
        "tags.rule_help",
        "规则标签：按条件自动计算，条件变化时和每小时重新计算。写法同客群条件。",
        "Rule tags are computed from their condition, again when inputs change and every hour. Same syntax as audiences.",
    ),
    ("tags.list_upload", "按名单导入", "Load from a list"),
    (
        "tags.list_help",
        "上传 CSV/XLSX，第一列为客户号（首行为表头）。",
        "Upload a CSV/XLSX whose first column is the customer number (first row is a header).",
    ),
    ("tags.replace", "替换：名单外的客户移除此标签", "Replace: customers not in the list lose the tag"),
    ("tags.loaded", "已导入：", "Loaded: "),
    ("tags.added", "新增", "added"),
    ("tags.removed", "移除", "removed"),
    ("tags.unknown", "未找到的客户号", "Customer numbers not found"),
    ("tags.line", "行", "Line"),
    ("tags.use", "用此标签圈选客群", "Build an audience with this tag"),
    ("tags.wecom_id", "企业微信标签ID", "WeCom tag id"),
    ("tags.add_to_customer", "添加标签", "Add tag"),
    ("tags.remove", "移除", "Remove"),
    ("tags.none", "暂无标签", "No tags"),
    ("tagkind.manual", "手工标签", "Manual"),
    ("tagkind.imported", "导入标签", "Imported"),
    ("tagkind.rule", "规则标签", "Rule"),
    ("tagkind.behavioural", "行为标签", "Behavioural"),
    ("aud.title", "客群", "Audiences"),
    ("aud.new", "新建客群", "New audience"),
    ("aud.edit", "编辑客群", "Edit audience"),
    ("aud.builder", "圈选条件", "Condition"),
    ("aud.expr", "条件表达式", "Expression"),
    ("aud.description", "说明", "Description"),
    ("aud.members", "成员", "Members"),
    ("aud.visible", "您可见的成员", "Members you can see"),
    ("aud.refreshed", "最近计算", "Last computed"),
    ("aud.refresh", "立即重新计算", "Recompute now"),
    ("aud.refreshed_ok", "已重新计算：进入 {in}，退出 {out}", "Recomputed: {in} entered, {out} left"),
    ("aud.count", "位客户符合条件（您的权限范围内）", "customers match (within what you may see)"),
    ("aud.sample", "样例客户（已脱敏）", "Sample customers (masked)"),
    ("aud.attributes", "客户属性", "Attributes"),
    ("aud.tags", "标签", "Tags"),
    ("aud.saved", "已保存的客群", "Saved audiences"),
    ("aud.events", "行为事件", "Events"),
    ("aud.syntax", "写法", "Syntax"),
    (
        "aud.syntax_help",
        "用 且 / 或 / 非（and / or / not）和括号组合条件；比较用 = != < <= > >=、属于 [..]、介于 .. 和 ..；风险等级写 C1-C5，资产层级可写名称（白金），网点可写名称或代码；事件写作 事件(\"名称\") >= 次数 近 天数 天。用“添加条件”或点击标签、客群、事件，插入到光标处。",
        "Combine with and / or / not and brackets; compare with = != < <= > >=, in [..], between .. and ..; risk grades read C1-C5, AUM tiers may be named (Platinum), sub-branches by name or code; events read event(\"name\") >= n within Nd. Use \"Add condition\" or click a tag, audience or event to insert it at the cursor.",
    ),
    ("aud.add_condition", "添加条件", "Add condition"),
    ("aud.attribute", "属性", "Attribute"),
    ("aud.compare", "比较", "Comparison"),
    ("aud.value", "值", "Value"),
    ("aud.value_to", "至", "to"),
    ("aud.join", "与前面的条件", "Join with what is before"),
    ("aud.negate", "取反（非）", "Negate (not)"),
    ("aud.group", "加括号", "Bracket"),
    ("aud.group_help", "把选中的部分（未选中时为全部）放进括号", "Put the selection (or everything) in brackets"),
    ("aud.clear", "清空", "Clear"),
    ("aud.warnings", "请注意", "Please check"),
    ("aud.use_suggestion", "改为", "Use"),
    ("aud.pick_several", "可多选", "Pick one or more"),
    ("aud.op.eq", "等于", "is"),
    ("aud.op.ne", "不等于", "is not"),
    ("aud.op.ge", "不低于 (≥)", "at least (≥)"),
    ("aud.op.le", "不高于 (≤)", "at most (≤)"),
    ("aud.op.in", "属于其中之一", "one of"),
    ("aud.op.between", "介于", "between"),
    ("aud.join.and", "且（同时满足）", "and (both)"),
    ("aud.join.or", "或（满足其一）", "or (either)"),
    ("aud.export_csv", "导出 CSV", "Export CSV"),
    ("aud.export_xlsx", "导出 Excel", "Export Excel"),
    ("aud.export_help", "导出内容已脱敏，导出操作记入审计日志。", "Exports are masked and written to the audit log."),
    ("aud.by_tier", "成员资产层级分布", "Members by AUM tier"),
    ("aud.by_risk", "成员风险等级分布", "Members by risk grade"),
    ("aud.save", "保存客群", "Save audience"),
    ("aud.checking", "计算中…", "Counting…"),
    ("attr.aum_tier", "资产层级", "AUM tier"),
    ("attr.risk_grade", "风险等级", "Risk grade"),
    ("attr.age", "年龄", "Age"),
    ("attr.payday", "发薪日", "Payday"),
    ("attr.gender", "性别", "Gender"),
    ("attr.sub_branch", "网点", "Sub-branch"),
    ("attr.payroll", "代发工资", "Payroll"),
    ("attr.credit_card", "信用卡", "Credit card"),
    ("attr.wealth", "理财客户", "Wealth"),
    ("attr.loan", "贷款客户", "Loan"),
    ("timeline.title", "客户动态", "Timeline"),
    ("timeline.more", "更早的动态", "Older"),
    ("profile.tags", "客户标签", "Tags"),
];

#[cfg(test)]
mod tests {
    use siyu_domain::audience::Attr;
    use siyu_domain::audience::words::chinese_for;

    /// Whatever an operator reads as an attribute's name on a screen, they can type back.
    #[test]
    fn every_attributes_label_is_the_word_expressions_read_for_it() {
        for a in Attr::ALL {
            let key = format!("attr.{}", a.name());
            let (_, zh, en) = super::WORDS.iter().find(|(k, _, _)| *k == key).expect("a label");
            assert_eq!(chinese_for(a.name()), Some(*zh), "{key}");
            let typed = format!("{zh} = 1");
            let parsed = siyu_domain::audience::parse(&typed);
            assert!(
                !matches!(&parsed, Err(e) if e.message.render(siyu_domain::lang::Lang::En).contains("unknown attribute")),
                "{typed}: {parsed:?}"
            );
            assert!(!en.is_empty());
        }
    }
}
