//! The console's words in Simplified Chinese (the default) and English. The language is a cookie the
//! header's switch sets; a test checks that every key a template uses exists here. Messages from the
//! services (errors, import problems) come from the domain's catalogue (`siyu_domain::lang`) and are
//! put into the same language by [`Tr::say`].

pub use siyu_domain::lang::Lang;
use siyu_domain::lang::Text;

/// The cookie the language switch sets: `en` for English, anything else (or none) Chinese.
pub const LANG_COOKIE: &str = "siyu_lang";

/// The language a cookie value asks for.
pub fn lang_of_cookie(v: Option<&str>) -> Lang {
    if v == Some("en") { Lang::En } else { Lang::Zh }
}

/// Looks words up for one language; templates call `tr.t("key")`.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn t(&self, key: &str) -> &'static str {
        match all_words().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => {
                if self.0 == Lang::En {
                    en
                } else {
                    zh
                }
            }
            None => {
                tracing::warn!(key, "missing console translation");
                "?"
            }
        }
    }

    /// The name of a code (`prefix.code`: an audit action, a job kind, a scope), or the code itself
    /// when it has none yet (the tests in `names_words` see that every shipped code has one).
    pub fn name(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}.{code}");
        match all_words().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => (if self.is_en() { *en } else { *zh }).to_owned(),
            None => code.to_owned(),
        }
    }

    /// Whether a key has words (for the tests that every code has a name).
    pub fn has(key: &str) -> bool {
        all_words().any(|(k, _, _)| *k == key)
    }

    /// A message from the services, in this language.
    pub fn say(&self, text: &Text) -> String {
        text.render(self.0)
    }

    /// What went wrong, as this viewer reads it.
    pub fn error(&self, e: &siyu_app::error::ServiceError) -> String {
        e.render(self.0)
    }

    /// One of two words, the one in this language.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.0.pick(zh, en)
    }

    pub fn is_en(&self) -> bool {
        self.0 == Lang::En
    }

    /// A role's name.
    pub fn role(&self, r: siyu_domain::org::Role) -> &'static str {
        self.t(&format!("role.{}", r.as_str()))
    }

    /// A role's title for someone filed at a unit of `kind`: a branch manager is 分行负责人 at a branch,
    /// 网点负责人 at a sub-branch.
    pub fn role_title(&self, r: siyu_domain::org::Role, kind: Option<siyu_domain::org::OrgUnitKind>) -> &'static str {
        self.t(&format!("role.{}", r.title_key(kind)))
    }

    pub fn unit_kind(&self, k: siyu_domain::org::OrgUnitKind) -> &'static str {
        self.t(&format!("kind.{}", k.as_str()))
    }

    pub fn tier(&self, t: siyu_domain::customer::AumTier) -> &'static str {
        if self.is_en() { t.name_en() } else { t.name_zh() }
    }

    pub fn yes_no(&self, b: bool) -> &'static str {
        self.t(if b { "common.yes" } else { "common.no" })
    }
}

/// Every table of words.
pub fn all_words() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// The tables, one per area, so that areas built side by side do not edit the same lines.
const TABLES: &[&[(&str, &str, &str)]] = &[
    WORDS,
    super::audience_words::WORDS,
    super::channels_words::WORDS,
    super::compliance_words::WORDS,
    super::content_words::WORDS,
    super::home_words::WORDS,
    super::import_words::WORDS,
    super::staff_words::WORDS,
    super::customer_filter_words::WORDS,
    super::names_words::WORDS,
    super::media_words::WORDS,
    super::names_words::AUDIT_DETAIL,
    super::products_words::WORDS,
];

/// key, 中文, English.
pub const WORDS: &[(&str, &str, &str)] = &[
    ("app.name", "私域运营平台", "siyu customer operations"),
    ("nav.customers", "客户", "Customers"),
    ("nav.imports", "客户导入", "Imports"),
    ("nav.org", "机构", "Organisation"),
    ("nav.staff", "员工", "Staff"),
    ("nav.tokens", "API 令牌", "API tokens"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.jobs", "后台任务", "Jobs"),
    ("nav.logout", "退出", "Sign out"),
    ("nav.lang", "English", "中文"),
    ("nav.menu", "菜单", "Menu"),
    ("nav.area", "本区页面", "Pages of this area"),
    ("nav.content_area", "内容中心", "Content"),
    ("common.yes", "是", "Yes"),
    ("common.no", "否", "No"),
    ("common.all", "全部", "All"),
    ("common.search", "查询", "Search"),
    ("common.reset", "重置", "Reset"),
    ("common.save", "保存", "Save"),
    ("common.cancel", "取消", "Cancel"),
    ("common.edit", "编辑", "Edit"),
    ("common.create", "新建", "Create"),
    ("common.prev", "上一页", "Previous"),
    ("common.next", "下一页", "Next"),
    ("common.page", "页", "page"),
    ("common.total", "共", "Total"),
    ("common.none", "暂无数据", "Nothing here yet"),
    ("common.status", "状态", "Status"),
    ("common.name", "名称", "Name"),
    ("common.code", "代码", "Code"),
    ("common.time", "时间", "Time"),
    ("common.actions", "操作", "Actions"),
    ("common.back", "返回", "Back"),
    ("error.title", "出错了", "Something went wrong"),
    ("error.forbidden", "您没有权限访问此页面。", "You do not have access to this page."),
    ("error.not_found", "未找到该记录，或它不在您的数据范围内。", "Not found, or outside your data scope."),
    ("login.title", "登录", "Sign in"),
    (
        "login.expired",
        "登录页面已过期，请重新输入后登录。",
        "The sign-in page expired; please enter your details again.",
    ),
    ("login.username", "登录名", "Login name"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    ("login.hint", "演示环境账号见启动时终端输出。", "Demo logins are printed in the terminal at start."),
    ("customers.title", "客户列表", "Customers"),
    ("customers.query", "客户号或姓名", "Customer no. or name"),
    ("customers.sub_branch", "网点", "Sub-branch"),
    ("customers.owner", "客户经理", "Customer manager"),
    ("customers.segment", "客群", "Segment"),
    ("customers.risk", "风险等级", "Risk grade"),
    ("customers.aum", "资产层级", "AUM tier"),
    ("customers.no", "客户号", "Customer no."),
    ("customers.name", "姓名", "Name"),
    ("customers.phone", "手机号", "Phone"),
    ("customers.id_number", "身份证号", "ID number"),
    ("customers.gender", "性别", "Gender"),
    ("customers.birthday", "出生年份", "Year of birth"),
    ("customers.segments", "业务标识", "Segments"),
    ("customers.consent", "营销授权", "Marketing consent"),
    ("customers.wecom", "企业微信", "WeCom"),
    ("customers.assessed", "评估日期", "Assessed on"),
    ("customers.expired", "已过期", "expired"),
    ("customers.no_risk", "未评估", "not assessed"),
    ("customers.unassigned", "未分配", "unassigned"),
    ("customers.reveal", "查看明文", "Show in clear"),
    ("customers.reveal_reason", "查看原因（将记入审计日志）", "Reason (written to the audit log)"),
    ("customers.revealed", "已记录审计：", "Audited: "),
    ("customers.profile", "客户信息", "Customer profile"),
    ("customers.updated", "更新时间", "Updated"),
    ("customers.count", "位客户", "customers"),
    ("segment.payroll", "代发", "Payroll"),
    ("segment.credit_card", "信用卡", "Credit card"),
    ("segment.wealth", "理财", "Wealth"),
    ("segment.loan", "贷款", "Loan"),
    ("segment.payday", "发薪日", "Payday"),
    ("consent.one_to_one", "一对一", "1-to-1"),
    ("consent.moments", "朋友圈", "Moments"),
    ("consent.group", "社群", "Groups"),
    ("consent.personalised", "个性化", "Personalised"),
    ("gender.male", "男", "Male"),
    ("gender.female", "女", "Female"),
    ("gender.unknown", "未知", "Unknown"),
    ("role.admin", "系统管理员", "Administrator"),
    ("role.hq_operator", "总行运营", "HQ operator"),
    ("role.compliance_reviewer", "合规审核", "Compliance reviewer"),
    ("role.branch_manager", "分行/网点负责人", "Branch or sub-branch head"),
    ("role.customer_manager", "客户经理", "Customer manager"),
    ("kind.head_office", "总行", "Head office"),
    ("kind.branch", "分行", "Branch"),
    ("kind.sub_branch", "支行/网点", "Sub-branch"),
    ("org.title", "机构管理", "Organisation"),
    ("org.kind", "层级", "Level"),
    ("org.parent", "上级", "Parent"),
    ("org.location", "经纬度", "Coordinates"),
    ("org.lat", "纬度", "Latitude"),
    ("org.lng", "经度", "Longitude"),
    ("org.new", "新建机构", "New unit"),
    ("org.edit", "编辑机构", "Edit unit"),
    ("staff.title", "员工管理", "Staff"),
    ("staff.username", "登录名", "Login"),
    ("staff.display_name", "姓名", "Name"),
    ("staff.role", "角色", "Role"),
    ("staff.unit", "所属机构", "Unit"),
    ("staff.wecom", "企业微信账号", "WeCom userid"),
    ("staff.active", "启用", "Active"),
    ("staff.password", "初始密码", "Initial password"),
    ("staff.new", "新建员工", "New staff member"),
    ("staff.edit", "编辑员工", "Edit staff member"),
    ("staff.query", "登录名或姓名", "Login or name"),
    ("imports.title", "客户导入", "Customer imports"),
    ("imports.upload", "上传文件", "Upload a file"),
    ("imports.file", "文件（CSV 或 XLSX，支持 UTF-8 / GBK）", "File (CSV or XLSX; UTF-8 or GBK)"),
    (
        "imports.mapping",
        "列映射（可选，JSON，例如 {\"备注\":\"ignore\"}）",
        "Column mapping (optional JSON, e.g. {\"notes\":\"ignore\"})",
    ),
    ("imports.submit", "上传并试运行", "Upload and dry-run"),
    ("imports.file_name", "文件名", "File"),
    ("imports.total", "总行数", "Rows"),
    ("imports.good", "有效", "Good"),
    ("imports.bad", "有误", "Rejected"),
    ("imports.committed", "已导入", "Committed"),
    ("imports.inserted", "新增", "Inserted"),
    ("imports.updated", "更新", "Updated"),
    ("imports.unchanged", "未变", "Unchanged"),
    ("imports.commit", "导入有效行", "Import the good rows"),
    (
        "imports.commit_confirm",
        "确认导入有效行？有误的行不会导入。",
        "Import the good rows? Rejected rows are left out.",
    ),
    ("imports.download", "下载有误行（CSV）", "Download rejected rows (CSV)"),
    ("imports.problems", "问题明细", "Problems"),
    ("imports.row", "行号", "Row"),
    ("imports.column", "列", "Column"),
    ("imports.reason", "原因", "Reason"),
    ("imports.progress", "进度", "Progress"),
    (
        "imports.help",
        "必填列：客户号、姓名、网点代码。同一文件重复导入不会产生变化。",
        "Required columns: customer number, name, sub-branch code. Importing the same file twice changes nothing.",
    ),
    ("imports.remap", "列映射", "Column mapping"),
    (
        "imports.remap_help",
        "为每一列选择对应的字段，不需要的列选“忽略”，然后重新试运行。",
        "Choose the field each column fills (or ignore it), then run the dry run again.",
    ),
    ("imports.rerun", "按此映射重新试运行", "Dry-run again with this mapping"),
    ("imports.file_error", "文件无法导入", "The file cannot be imported"),
    ("status.validating", "试运行中", "Validating"),
    ("status.validated", "待确认", "Ready to commit"),
    ("status.rejected", "已拒绝", "Rejected"),
    ("status.committing", "导入中", "Committing"),
    ("status.committed", "已完成", "Committed"),
    ("status.failed", "失败", "Failed"),
    ("status.queued", "排队中", "Queued"),
    ("status.running", "运行中", "Running"),
    ("status.succeeded", "成功", "Succeeded"),
    ("nav.channels", "渠道活码", "Channel codes"),
    ("channels.title", "渠道活码", "Channel QR codes"),
    ("channels.kind", "渠道", "Channel"),
    ("channels.assignment", "分配方式", "Assignment"),
    ("channels.current", "当前客户经理", "Current manager"),
    ("channels.staff", "指定客户经理", "Named manager"),
    ("channels.tags", "自动标签", "Tags on add"),
    ("channels.welcome", "欢迎语", "Welcome message"),
    (
        "channels.welcome_hint",
        "从内容库选择已审核发布、可在一对一聊天中发送的内容，输入标题查找；可用内容数",
        "An approved, published library item meant for one-to-one chats; type to find it by title. Items available",
    ),
    ("channels.welcome_library", "去内容库查看", "Open the library"),
    (
        "channels.welcome_not_live",
        "该内容当前没有可发送的版本，新客户添加时不会收到欢迎语",
        "This item has no version that may be sent now: new contacts get no welcome",
    ),
    ("channels.no_welcome", "未设置（新客户添加时不发送欢迎语）", "None (new contacts get no welcome)"),
    ("channels.new", "新建渠道活码", "New channel code"),
    (
        "channels.help",
        "指定客户经理：选“指定”并选择客户经理；轮流/最少客户：选择网点；最近网点：填写经纬度。",
        "Named: pick the manager. Round robin or least load: pick the sub-branch. Nearest: give coordinates.",
    ),
    ("channels.figures", "每日数据", "Daily figures"),
    ("channels.added", "新增", "Added"),
    ("channels.deleted", "流失", "Deleted"),
    ("channels.net", "净增", "Net"),
    ("channels.qr", "二维码", "QR code"),
    ("channels.simulate", "模拟客户扫码", "Simulate a customer scanning"),
    (
        "channels.simulate_help",
        "演示环境：由内置的模拟企业微信发送加好友回调。",
        "Demo: the built-in fake WeCom sends the add callback.",
    ),
    ("channels.scanned", "模拟扫码完成，客户已添加：", "Scanned; the customer added: "),
    ("kindc.branch_poster", "网点海报", "Branch poster"),
    ("kindc.official_account_menu", "公众号菜单", "Official account menu"),
    ("kindc.transaction_notice", "交易提醒", "Transaction notice"),
    ("kindc.event", "活动现场", "Event"),
    ("mode.named", "指定客户经理", "Named manager"),
    ("mode.round_robin", "网点内轮流", "Round robin in a sub-branch"),
    ("mode.least_load", "网点内客户最少者", "Least loaded in a sub-branch"),
    ("mode.nearest", "最近网点", "Nearest sub-branch"),
    ("rel.title", "企业微信关系", "WeCom relationships"),
    ("rel.since", "添加时间", "Added"),
    ("rel.groups", "所在客户群", "Customer groups"),
    ("rel.ended", "结束时间", "Ended"),
    ("rel.active", "正常", "Active"),
    ("rel.deleted_by_customer", "客户已删除", "Deleted by customer"),
    ("rel.deleted_by_staff", "员工已删除", "Deleted by staff"),
    ("rel.transferred", "已转接", "Transferred"),
    ("audit.title", "审计日志", "Audit log"),
    ("audit.action", "操作", "Action"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.target", "对象", "Target"),
    ("audit.detail", "详情", "Detail"),
    ("audit.ip", "来源地址", "Address"),
    ("tokens.title", "API 令牌", "API tokens"),
    ("tokens.scopes", "权限", "Scopes"),
    ("tokens.created", "创建时间", "Created"),
    ("tokens.last_used", "最近使用", "Last used"),
    ("tokens.revoked", "已吊销", "Revoked"),
    ("tokens.revoke", "吊销", "Revoke"),
    ("tokens.new", "新建令牌", "New token"),
    ("tokens.secret", "请立即保存此令牌，它不会再次显示：", "Save this token now; it will not be shown again:"),
    ("jobs.title", "后台任务", "Background jobs"),
    ("jobs.kind", "类型", "Kind"),
    ("jobs.attempts", "尝试次数", "Attempts"),
    ("jobs.run_at", "计划时间", "Run at"),
    ("jobs.error", "最近错误", "Last error"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<_> = all_words().map(|w| w.0).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a translation key appears twice");
    }

    /// Every `t("…")` in a template must have words here.
    #[test]
    fn every_key_used_by_a_template_exists() {
        for path in super::super::template_files() {
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split(".t(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                assert!(all_words().any(|w| w.0 == key), "{}: missing key {key}", path.display());
            }
        }
    }
}
