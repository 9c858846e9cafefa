//! Names for the codes the console would otherwise show raw: audit actions, job kinds, API token
//! scopes, the sources a tag comes from, the fields a reveal shows. A test fails when a code has no
//! name here.

use siyu_domain::audit::AuditAction;
use siyu_domain::org::Role;

/// key, 中文, English.
pub const WORDS: &[(&str, &str, &str)] = &[
    // Audit actions (`AuditAction::as_str`).
    ("action.login", "登录", "Signed in"),
    ("action.login_failed", "登录失败", "Sign-in failed"),
    ("action.logout", "退出", "Signed out"),
    ("action.reveal_pii", "查看明文", "Showed personal data in clear"),
    ("action.import_committed", "导入客户", "Import committed"),
    ("action.export", "导出", "Export"),
    ("action.staff_created", "新建员工", "Staff member created"),
    ("action.staff_changed", "修改员工", "Staff member changed"),
    ("action.role_changed", "变更角色", "Role changed"),
    ("action.org_unit_changed", "修改机构", "Unit changed"),
    ("action.api_token_created", "新建 API 令牌", "API token created"),
    ("action.api_token_revoked", "吊销 API 令牌", "API token revoked"),
    ("action.channel_code_created", "新建渠道活码", "Channel code created"),
    ("action.channel_controls_changed", "修改渠道活码接待规则", "Channel code controls changed"),
    ("action.tag_defined", "定义标签", "Tag defined"),
    ("action.audience_saved", "保存客群", "Audience saved"),
    ("action.password_reset", "重置密码", "Password reset"),
    ("action.password_changed", "修改密码", "Password changed"),
    ("action.handover_started", "发起客户交接", "Hand-over started"),
    ("action.mapping_remembered", "记住导入列映射", "Import column mapping remembered"),
    ("action.customer_handed_over", "客户已交接", "Customer handed over"),
    ("action.handover_run_again", "重新运行客户交接", "Hand-over run again"),
    ("action.handover_ended", "结束客户交接的剩余客户", "Rest of a hand-over ended"),
    ("action.compliance_rules_changed", "修改合规词库", "Compliance word list changed"),
    ("action.products_imported", "导入产品目录", "Product catalogue imported"),
    ("action.content_draft_saved", "保存内容草稿", "Content draft saved"),
    ("action.content_submitted", "提交内容审核", "Content submitted for review"),
    ("action.content_withdrawn", "撤回内容审核", "Content withdrawn from review"),
    ("action.content_approved", "审核通过内容", "Content approved"),
    ("action.content_rejected", "驳回内容", "Content rejected"),
    ("action.content_published", "发布内容", "Content published"),
    ("action.content_retired", "下架内容", "Content retired"),
    ("action.media_uploaded", "上传图片或文件", "Image or file uploaded"),
    ("audit.actor_job", "后台任务：{kind}", "Background job: {kind}"),
    // Job kinds (`Job::NAME`, the names in `Registry::standard`).
    ("jobkind.audiences.refresh", "刷新客群与规则标签", "Refresh audiences and rule tags"),
    ("jobkind.import.validate", "导入试运行", "Import dry run"),
    ("jobkind.import.commit", "导入写入", "Import commit"),
    ("jobkind.maintenance.cleanup", "日常清理", "Routine clean-up"),
    ("jobkind.staff.handover", "客户交接", "Customer hand-over"),
    ("jobkind.channels.controls", "渠道活码接待规则", "Channel code controls"),
    ("jobkind.wecom.callback", "处理企业微信回调", "Apply a WeCom callback"),
    ("jobkind.wecom.sync", "企业微信全量同步", "WeCom full sync"),
    ("jobkind.wecom.tags.mark", "企业微信打标签", "Mark a tag in WeCom"),
    ("jobkind.wecom.tags.pull", "拉取企业微信标签", "Pull tags from WeCom"),
    ("jobkind.wecom.tags.push", "推送标签到企业微信", "Push a tag to WeCom"),
    ("jobkind.media.renew", "续期企业微信临时素材", "Renew WeCom temporary media"),
    // API token scopes (`ApiScope::as_str`).
    ("scope.customers:read", "读取客户", "Read customers"),
    ("scope.customers:import", "导入客户", "Import customers"),
    ("scope.metrics:read", "读取指标", "Read metrics"),
    ("scope.content:lint", "内容合规检查", "Lint content"),
    // Where a tag on a customer came from (the timeline's `tag_added`).
    ("source.manual", "手工：{who}", "by hand: {who}"),
    ("source.import", "导入", "imported"),
    ("source.rule", "规则", "by rule"),
    ("source.wecom", "企业微信", "from WeCom"),
    // The personal data a reveal shows (`RevealField::as_str`).
    ("reveal.phone", "手机号", "Phone"),
    ("reveal.id_number", "身份证号", "ID number"),
    // Sign-in methods in the audit log.
    ("login.method.password", "密码", "password"),
    // Channel codes and staff: words for a column and its yes/no.
    ("channels.state", "渠道参数", "Tracking code"),
    ("channels.on", "启用", "Active"),
    ("channels.off", "停用", "Paused"),
    ("staff.on", "在职", "Active"),
    ("staff.off", "已停用", "Deactivated"),
    ("customers.wecom_linked", "已关联企业微信客户", "Linked to a WeCom contact"),
    ("customers.wecom_none", "未关联", "Not linked"),
    (
        "customers.bad_query",
        "查询条件无法识别，已显示全部客户。",
        "The filters could not be read; showing every customer.",
    ),
];

/// Words for the details the audit log keeps. Details are the record as it was written (API clients
/// read them as they are), so the console puts the machine-made parts of the known ones into words
/// and shows anything else as it stands.
pub const AUDIT_DETAIL: &[(&str, &str, &str)] = &[
    ("auditd.login_failed", "登录名或密码错误，或账号已停用", "wrong login name or password, or an inactive account"),
    ("auditd.rejected_rows", "有误行 {rows} 行", "{rows} rejected rows"),
    ("auditd.tag_group", "标签组 {name}", "tag group {name}"),
    (
        "auditd.import",
        "{file}：新增 {inserted}，更新 {updated}，未变 {unchanged}，有误 {rejected}",
        "{file}: {inserted} inserted, {updated} updated, {unchanged} unchanged, {rejected} rejected",
    ),
    ("auditd.display_name", "姓名", "name"),
    ("auditd.controls.daily_cap", "每人每日上限", "daily cap"),
    ("auditd.controls.backup", "备用客户经理", "backup"),
    ("auditd.controls.schedules", "排班", "schedules"),
    ("auditd.controls.skip_verify_windows", "免验证时段", "skip-verify windows"),
    ("auditd.controls.none", "无", "none"),
    ("auditd.controls.unchanged", "未改变", "unchanged"),
    ("auditd.org_unit", "所属机构", "unit"),
    ("auditd.wecom_userid", "企业微信账号", "WeCom userid"),
    (
        "auditd.handover_started",
        "{who}：{customers} 位客户交给 {successors} 位继任客户经理（{kind}）",
        "{who}: {customers} customers to {successors} successors ({kind})",
    ),
    ("auditd.handover.resigned", "离职继承", "resigned"),
    ("auditd.handover.on_the_job", "在职继承", "on the job"),
    ("auditd.handover_queued", "已重新排队运行", "queued to run again"),
    (
        "auditd.handover_ended",
        "{cancelled} 位尚未提交企业微信的客户已取消；{followed} 位已提交的继续跟进",
        "{cancelled} customers not yet asked of WeCom cancelled; {followed} already asked still followed",
    ),
    ("auditd.activated", "启用", "activated"),
    ("auditd.deactivated", "停用", "deactivated"),
];

fn fill(template: &str, args: &[(&str, &str)]) -> String {
    args.iter().fold(template.to_owned(), |s, (k, v)| s.replace(&format!("{{{k}}}"), v))
}

/// Who did it, as the viewer reads it: a person by login, a background job (`job:<kind>`) by its name.
pub fn audit_actor(tr: super::i18n::Tr, actor: &str) -> String {
    if let Some(kind) = actor.strip_prefix("job:")
        && super::i18n::Tr::has(&format!("jobkind.{kind}"))
    {
        return fill(tr.t("audit.actor_job"), &[("kind", tr.t(&format!("jobkind.{kind}")))]);
    }
    actor.to_owned()
}

/// An audit entry's detail as the viewer reads it.
pub fn audit_detail(tr: super::i18n::Tr, action: AuditAction, detail: &str) -> String {
    let d = detail.trim();
    match action {
        AuditAction::Login if d == "password" => return tr.t("login.method.password").to_owned(),
        AuditAction::LoginFailed if d.starts_with("wrong login name") => {
            return tr.t("auditd.login_failed").to_owned();
        }
        AuditAction::RevealPii => {
            if let Some((field, reason)) = d.split_once(": ")
                && super::i18n::Tr::has(&format!("reveal.{field}"))
            {
                return format!("{}{}{reason}", tr.t(&format!("reveal.{field}")), tr.pick("：", ": "));
            }
        }
        AuditAction::RoleChanged => {
            if let Some((who, change)) = d.split_once(": ")
                && let Some((from, to)) = change.split_once(" → ")
                && let (Some(f), Some(t)) = (Role::parse(from), Role::parse(to))
            {
                return format!("{who}{}{} → {}", tr.pick("：", ": "), tr.role(f), tr.role(t));
            }
        }
        AuditAction::StaffChanged => {
            let parts: Vec<&str> = d.split(", ").collect();
            if parts.iter().all(|p| super::i18n::Tr::has(&format!("auditd.{p}"))) {
                return parts
                    .iter()
                    .map(|p| tr.t(&format!("auditd.{p}")))
                    .collect::<Vec<_>>()
                    .join(tr.pick("、", ", "));
            }
        }
        AuditAction::Export => {
            if let Some(rows) = d.strip_prefix("rejected rows: ") {
                return fill(tr.t("auditd.rejected_rows"), &[("rows", rows)]);
            }
        }
        AuditAction::TagDefined => {
            if let Some(name) = d.strip_prefix("group ") {
                return fill(tr.t("auditd.tag_group"), &[("name", name)]);
            }
        }
        AuditAction::ChannelControlsChanged => {
            // `daily_cap: none → 5, schedules: 0 → 2`, as `channel_controls::change_detail` writes it.
            if d == "unchanged" {
                return tr.t("auditd.controls.unchanged").to_owned();
            }
            let word = |v: &str| if v == "none" { tr.t("auditd.controls.none").to_owned() } else { v.to_owned() };
            let parts: Option<Vec<String>> = d
                .split(", ")
                .map(|p| {
                    let (field, change) = p.split_once(": ")?;
                    let (from, to) = change.split_once(" → ")?;
                    let key = format!("auditd.controls.{field}");
                    super::i18n::Tr::has(&key)
                        .then(|| format!("{}{}{} → {}", tr.t(&key), tr.pick("：", ": "), word(from), word(to)))
                })
                .collect();
            if let Some(parts) = parts {
                return parts.join(tr.pick("；", "; "));
            }
        }
        AuditAction::HandoverStarted => {
            // `login: 3 customers to 2 successors, on the job`, as `services::handover::start` writes it.
            if let Some((who, rest)) = d.split_once(": ")
                && let Some((customers, rest)) = rest.split_once(" customers to ")
                && let Some((successors, kind)) = rest.split_once(" successors, ")
                && let Some(kind) = match kind {
                    "resigned" => Some("auditd.handover.resigned"),
                    "on the job" => Some("auditd.handover.on_the_job"),
                    _ => None,
                }
            {
                let args = [("who", who), ("customers", customers), ("successors", successors), ("kind", tr.t(kind))];
                return fill(tr.t("auditd.handover_started"), &args);
            }
        }
        AuditAction::HandoverRunAgain if d == "job queued again" => return tr.t("auditd.handover_queued").to_owned(),
        AuditAction::HandoverEnded => {
            // As `services::handover::end_rest` writes it.
            if let Some((cancelled, rest)) = d.split_once(" customers not yet asked of WeCom cancelled; ")
                && let Some(followed) = rest.strip_suffix(" asked still followed")
            {
                return fill(tr.t("auditd.handover_ended"), &[("cancelled", cancelled), ("followed", followed)]);
            }
        }
        AuditAction::ImportCommitted => {
            // `file: 1 inserted, 2 updated, 3 unchanged, 4 rejected`, as the commit job writes it.
            if let Some((file, counts)) = d.rsplit_once(": ") {
                let n: Vec<&str> = counts.split(", ").filter_map(|c| c.split_once(' ').map(|(n, _)| n)).collect();
                if let [inserted, updated, unchanged, rejected] = n[..] {
                    let args = [
                        ("file", file),
                        ("inserted", inserted),
                        ("updated", updated),
                        ("unchanged", unchanged),
                        ("rejected", rejected),
                    ];
                    return fill(tr.t("auditd.import"), &args);
                }
            }
        }
        // A remembered mapping's change, stored as a catalogue text by the dry run (`jobs::import`).
        a if a.detail_is_text() => return siyu_app::stored_text::decode(d).render(tr.0),
        _ => {}
    }
    // Anything else is the record as written: a name, a reason typed by a person — never read as a
    // catalogue text or cut at a " / ", which would show something other than what was recorded.
    d.to_owned()
}

#[cfg(test)]
mod tests {
    use super::super::i18n::{Lang, Tr};
    use super::*;

    /// Every action the log can hold, every job kind siyu runs and every scope a token can have
    /// has a name: a new one without words fails here.
    #[test]
    fn every_action_job_kind_and_scope_has_a_name() {
        for a in AuditAction::ALL {
            assert!(Tr::has(&format!("action.{}", a.as_str())), "audit action {} has no name", a.as_str());
        }
        for k in siyu_app::jobs::Registry::standard().kinds() {
            assert!(Tr::has(&format!("jobkind.{k}")), "job kind {k} has no name");
        }
        for s in siyu_domain::scope::ApiScope::ALL {
            assert!(Tr::has(&format!("scope.{}", s.as_str())), "scope {} has no name", s.as_str());
        }
        for f in [siyu_domain::customer::PiiField::Phone, siyu_domain::customer::PiiField::IdNumber] {
            assert!(Tr::has(&format!("reveal.{}", f.as_str())), "field {} has no name", f.as_str());
        }
    }

    #[test]
    fn known_details_are_put_into_words() {
        let zh = Tr(Lang::Zh);
        let en = Tr(Lang::En);
        assert_eq!(audit_detail(zh, AuditAction::RevealPii, "phone: 客户来电核实身份"), "手机号：客户来电核实身份");
        assert_eq!(audit_detail(en, AuditAction::Login, "password"), "password");
        assert_eq!(
            audit_detail(zh, AuditAction::RoleChanged, "cm1: customer_manager → branch_manager"),
            format!("cm1：{} → {}", zh.role(Role::CustomerManager), zh.role(Role::BranchManager))
        );
        assert_eq!(
            audit_detail(en, AuditAction::ImportCommitted, "a.csv: 1 inserted, 2 updated, 3 unchanged, 4 rejected"),
            "a.csv: 1 inserted, 2 updated, 3 unchanged, 4 rejected"
        );
        assert_eq!(
            audit_detail(zh, AuditAction::ImportCommitted, "a.csv: 1 inserted, 2 updated, 3 unchanged, 4 rejected"),
            "a.csv：新增 1，更新 2，未变 3，有误 4"
        );
        assert_eq!(audit_detail(zh, AuditAction::StaffChanged, "display_name, deactivated"), "姓名、停用");
        assert_eq!(
            audit_detail(zh, AuditAction::HandoverStarted, "cm1: 3 customers to 2 successors, resigned"),
            "cm1：3 位客户交给 2 位继任客户经理（离职继承）"
        );
        assert_eq!(
            audit_detail(
                zh,
                AuditAction::HandoverEnded,
                "2 customers not yet asked of WeCom cancelled; 1 asked still followed"
            ),
            "2 位尚未提交企业微信的客户已取消；1 位已提交的继续跟进"
        );
        assert_eq!(audit_detail(zh, AuditAction::HandoverRunAgain, "job queued again"), "已重新排队运行");
        let looks_stored = r#"{"p":"x / y"}"#;
        assert_eq!(audit_detail(zh, AuditAction::ChannelCodeCreated, looks_stored), looks_stored, "as recorded");
        assert_eq!(audit_detail(en, AuditAction::RevealPii, "核实 / verify"), "核实 / verify");
        assert_eq!(audit_actor(zh, "job:staff.handover"), "后台任务：客户交接");
        assert_eq!(audit_actor(en, "job:no.such.kind"), "job:no.such.kind");
        assert_eq!(audit_actor(en, "hq01"), "hq01");
        assert_eq!(audit_detail(en, AuditAction::AudienceSaved, "代发: payroll = true"), "代发: payroll = true");
    }
}
