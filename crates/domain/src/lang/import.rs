//! The messages of an import: the checks on one value (`value.*`, from `validate`), the problems of
//! a row (`import.*`, shown on the import page and in the rejected-rows file) and of a whole file.

/// key, 中文, English.
pub(super) const MESSAGES: &[(&str, &str, &str)] = &[
    ("value.bad_unionid", "不是有效的微信UnionID", "Not a WeChat UnionID"),
    ("value.bad_phone", "不是有效的手机号", "Not a mainland mobile number"),
    ("value.id_length", "身份证号应为18位", "ID number must be 18 characters"),
    ("value.id_birth_date", "身份证号中的出生日期无效", "ID number has an impossible birth date"),
    ("value.id_check_digit", "身份证号校验位错误", "ID number check digit is wrong"),
    ("value.bad_document", "证件号码应为1-32位字母或数字", "A document number must be 1-32 letters or digits"),
    (
        "value.bad_customer_no",
        "客户号应为1-32位字母或数字：{value}",
        "Customer number must be 1-32 letters or digits: {value}",
    ),
    ("value.bad_name", "姓名应为1-50个字符", "Name must be 1-50 characters"),
    ("value.bad_date", "日期无效：{value}", "Not a date (use YYYY-MM-DD): {value}"),
    ("import.future_date", "日期晚于今天：{value}", "The date is in the future: {value}"),
    (
        "import.bad_id_type",
        "未知证件类型：{value}",
        "Unknown ID type (passport, HK/Macau permit, Taiwan permit, military ID…): {value}",
    ),
    ("import.id_born_in_future", "身份证号中的出生日期晚于今天", "The ID number's birth date is in the future"),
    ("import.bad_gender", "性别应为 男/女/未知：{value}", "Gender must be male, female or unknown: {value}"),
    ("import.ambiguous_unit", "多个网点名为 {value}，请填写网点代码", "Several units are named {value}; use the code"),
    ("import.unknown_sub_branch", "未知网点代码或名称：{value}", "No sub-branch has this code or name: {value}"),
    ("import.unknown_manager", "未知客户经理：{value}", "No customer manager with login {value}"),
    (
        "import.manager_elsewhere",
        "客户经理 {value} 不属于该网点",
        "Customer manager {value} does not belong to this sub-branch",
    ),
    (
        "import.bad_aum_tier",
        "资产层级应为1-5或大众/金卡/白金/钻石/私行：{value}",
        "AUM tier must be 1-5 or a tier name: {value}",
    ),
    ("import.bad_aum", "资产余额应为非负数字：{value}", "AUM must be a non-negative number: {value}"),
    ("import.bad_payroll_day", "代发日应为1-31：{value}", "Payroll day must be 1-31: {value}"),
    ("import.bad_flag", "应为 是/否：{value}", "Expected yes or no: {value}"),
    ("import.payday_required", "代发客户须填写代发日", "A payroll customer needs the payday"),
    (
        "import.payday_not_payroll",
        "非代发客户不应有代发日：{value}",
        "Not a payroll customer, yet a payday is given: {value}",
    ),
    ("import.bad_risk_grade", "风险等级应为C1-C5：{value}", "Risk grade must be C1-C5: {value}"),
    ("import.grade_needs_date", "有风险等级必须有评估日期", "A risk grade needs its assessment date"),
    ("import.date_needs_grade", "有评估日期必须有风险等级", "An assessment date needs its grade"),
    ("import.duplicate_in_file", "客户号在文件中重复：{value}", "Customer number appears twice in this file: {value}"),
    (
        "import.masked_number",
        "这是脱敏号码，不能导入；原号码保持不变",
        "This is a masked number and cannot be imported; the stored one is kept",
    ),
];

/// A whole file refused: its header row (`import.*`) or its bytes (`file.*`).
pub(super) const FILE: &[(&str, &str, &str)] = &[
    (
        "import.unknown_columns",
        "无法识别的列：{columns}。请在映射中指定或忽略",
        "Unknown columns: {columns}. Map them or mark them ignore",
    ),
    ("import.missing_columns", "缺少必填列：{columns}", "Missing required columns: {columns}"),
    ("import.duplicate_field", "列重复：{field}", "Two columns fill the same field: {field}"),
    ("import.row_too_wide", "此行有{cells}列，表头只有{header}列", "The row has {cells} cells, the header {header}"),
    ("file.encoding", "文件编码无法识别（支持 UTF-8、UTF-16、GBK）", "The file is not UTF-8, UTF-16 or GBK text"),
    ("file.empty", "文件为空或没有表头", "The file is empty or has no header row"),
    ("file.spreadsheet", "无法读取表格文件：{detail}", "Not a readable spreadsheet: {detail}"),
    (
        "file.unsupported_format",
        "只支持 XLSX 和 CSV 文件，请在 Excel 中另存为 .xlsx 或 .csv 后上传",
        "Only XLSX and CSV are read; save the file as .xlsx or .csv in Excel and upload it again",
    ),
    ("file.csv", "CSV 格式错误：{detail}", "Malformed CSV: {detail}"),
    ("file.too_many_rows", "文件超过 {limit} 行数据", "The file has more than {limit} data rows"),
    ("file.too_many_columns", "第 {line} 行有内容超出第 {limit} 列", "Line {line} has content beyond column {limit}"),
    (
        "file.cell_too_long",
        "第 {line} 行有单元格超过 {limit} 个字符",
        "Line {line} has a cell longer than {limit} characters",
    ),
    ("file.row_too_long", "第 {line} 行超过 {limit_kib} KiB", "Line {line} holds more than {limit_kib} KiB"),
    (
        "file.unpacked",
        "表格文件解压后过大（上限 {limit_mib} MiB）",
        "The spreadsheet unpacks to more than {limit_mib} MiB",
    ),
    (
        "file.rows_out_of_order",
        "表格的行顺序错乱（第 {line} 行出现在后面的行之后）",
        "The sheet's rows are out of order (line {line})",
    ),
];

/// The fields of a customer file, as an operator names them (`import::Field::text`); `field.<name>`
/// The audit log's account of a remembered column mapping that changed.
pub(super) const AUDIT: &[(&str, &str, &str)] = &[
    ("audit.mapping_changed", "表头组 {headers}：{changes}", "Header set {headers}: {changes}"),
    ("audit.mapping_column", "第 {column} 列 {from} → {to}", "column {column} {from} → {to}"),
    ("audit.mapping_by_header", "按表头识别", "read by its header"),
];

/// for each canonical name.
pub(super) const FIELDS: &[(&str, &str, &str)] = &[
    ("field.customer_no", "客户号", "Customer number"),
    ("field.name", "姓名", "Name"),
    ("field.phone", "手机号", "Mobile phone"),
    ("field.id_number", "证件号码", "ID number"),
    ("field.id_type", "证件类型", "ID type"),
    ("field.gender", "性别", "Gender"),
    ("field.birthday", "出生日期", "Date of birth"),
    ("field.sub_branch_code", "网点", "Sub-branch"),
    ("field.owner", "客户经理", "Customer manager"),
    ("field.aum_tier", "资产层级", "AUM tier"),
    ("field.aum", "资产余额", "AUM balance"),
    ("field.payroll_day", "代发日", "Payday"),
    ("field.payroll", "代发客户", "Payroll customer"),
    ("field.credit_card", "信用卡客户", "Credit card customer"),
    ("field.wealth", "理财客户", "Wealth customer"),
    ("field.loan", "贷款客户", "Loan customer"),
    ("field.risk_grade", "风险等级", "Risk grade"),
    ("field.risk_assessed_on", "风险评估日期", "Risk assessed on"),
    ("field.consent_1v1", "同意一对一营销", "Consents to 1-to-1 marketing"),
    ("field.consent_moments", "同意朋友圈营销", "Consents to Moments marketing"),
    ("field.consent_group", "同意社群营销", "Consents to group marketing"),
    ("field.consent_personalised", "同意个性化营销", "Consents to personalised marketing"),
    ("field.wecom_external_userid", "企微外部联系人ID", "WeCom external contact ID"),
    ("field.wechat_unionid", "微信UnionID", "WeChat UnionID"),
    ("field.ignore", "忽略此列", "Ignore this column"),
];
