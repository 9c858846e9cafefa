//! The words of the content library and the product catalogue: product types, suitability refusals,
//! the library's vocabulary (kinds, categories, AIDA stages, channels), personalisation variables and
//! their template errors, the compliance lint's findings and the review's states and refusals.

/// Products and the suitability rule (banking rule 1). key, 中文, English.
pub(super) const PRODUCTS: &[(&str, &str, &str)] = &[
    ("product_type.deposit", "存款", "Deposit"),
    ("product_type.wealth", "理财", "Wealth management"),
    ("product_type.fund", "基金", "Fund"),
    ("product_type.insurance", "保险", "Insurance"),
    ("product_type.loan", "贷款", "Loan"),
    ("product_type.card", "银行卡", "Card"),
    (
        "suitability.product_ungraded",
        "产品没有风险等级，不能推荐",
        "The product has no risk grade and cannot be offered",
    ),
    ("product_grade.1", "低风险", "low"),
    ("product_grade.2", "中低风险", "medium-low"),
    ("product_grade.3", "中风险", "medium"),
    ("product_grade.4", "中高风险", "medium-high"),
    ("product_grade.5", "高风险", "high"),
    ("products.missing_column", "文件缺少“{column}”列", "The file has no “{column}” column"),
    ("products.col.code", "产品代码", "code"),
    ("products.col.name", "产品名称", "name"),
    ("products.col.type", "产品类型", "type"),
    ("products.duplicate_column", "“{column}”列出现两次", "The column “{column}” appears twice"),
    ("products.empty_code", "产品代码为空", "The product code is empty"),
    ("products.code_too_long", "产品代码超过{max}个字符", "The product code is longer than {max} characters"),
    (
        "products.duplicate_code",
        "产品代码“{code}”在文件中出现两次（第{first}行已有）",
        "The product code “{code}” is in the file twice (already on line {first})",
    ),
    ("products.empty_name", "产品名称为空", "The product name is empty"),
    ("products.name_too_long", "产品名称超过{max}个字符", "The product name is longer than {max} characters"),
    (
        "products.unknown_type",
        "不认识的产品类型“{value}”（应为存款、理财、基金、保险、贷款或银行卡）",
        "Unknown product type “{value}” (deposit, wealth, fund, insurance, loan or card)",
    ),
    (
        "products.bad_grade",
        "读不懂风险等级“{value}”（应为R1–R5或低/中低/中/中高/高风险）",
        "Unreadable risk grade “{value}” (R1–R5, or 1–5)",
    ),
    ("products.grade_required", "{type}产品必须有风险等级", "A {type} product must have a risk grade"),
    ("products.issuer_too_long", "发行机构超过{max}个字符", "The issuer is longer than {max} characters"),
    ("products.bad_on_sale", "读不懂是否在售“{value}”（应为是或否）", "Unreadable on-sale value “{value}” (yes or no)"),
    (
        "audit.products_imported",
        "导入产品目录“{file}”：新增{added}个、更新{updated}个、未变{unchanged}个",
        "Product catalogue “{file}” imported: {added} added, {updated} updated, {unchanged} unchanged",
    ),
    ("suitability.no_assessment", "客户没有风险测评，不能推荐", "The customer has no risk assessment"),
    (
        "suitability.assessment_expired",
        "客户的风险测评已超过一年，请先重新测评",
        "The customer's risk assessment is over a year old: it must be renewed first",
    ),
    (
        "suitability.grade_too_low",
        "C{customer}客户不能推荐R{product}产品",
        "A C{customer} customer cannot be offered an R{product} product",
    ),
];

/// The library's vocabulary: what an item is, what it is for, when and where it is sent.
pub(super) const VOCABULARY: &[(&str, &str, &str)] = &[
    ("content_kind.text", "文本", "Text"),
    ("content_kind.image", "图片", "Image"),
    ("content_kind.article", "图文", "Article"),
    ("content_kind.link", "链接", "Link"),
    ("content_kind.poster", "海报", "Poster"),
    ("content_kind.mini_program", "小程序卡片", "Mini-program card"),
    ("content_kind.file", "文件", "File"),
    ("content_category.persona", "人设", "Persona"),
    ("content_category.values", "价值观", "Values"),
    ("content_category.case", "案例", "Case"),
    ("content_category.benefit", "福利权益", "Benefit"),
    ("content_category.ice_breaker", "破冰产品", "Ice-breaker product"),
    ("content_category.finance_tips", "理财干货", "Finance tips"),
    ("content_category.investor_education", "投教", "Investor education"),
    ("content_category.similar_story", "同类故事", "Similar-customer story"),
    ("content_category.activity", "活动", "Activity"),
    ("content_category.three_w", "3W话术", "3W script"),
    ("aida.attention", "注意", "Attention"),
    ("aida.interest", "兴趣", "Interest"),
    ("aida.desire", "欲望", "Desire"),
    ("aida.action", "行动", "Action"),
    ("content_channel.one_to_one", "一对一", "One-to-one"),
    ("content_channel.moments", "朋友圈", "Moments"),
    ("content_channel.group", "客户群", "Customer group"),
];

/// Personalisation variables and the errors of a template that uses them.
pub(super) const TEMPLATES: &[(&str, &str, &str)] = &[
    ("variable.salutation", "客户称呼", "customer salutation"),
    ("variable.manager_name", "客户经理", "customer manager's name"),
    ("variable.sub_branch", "网点", "sub-branch"),
    ("variable.card_link", "名片链接", "business card link"),
    ("template.too_long", "内容超过{max}个字符", "The text is longer than {max} characters"),
    (
        "template.unknown_variable",
        "第{at}个字符处：没有变量“{name}”（可用：{known}）",
        "At character {at}: there is no variable “{name}” (known: {known})",
    ),
    (
        "template.unknown_variable_near",
        "第{at}个字符处：没有变量“{name}”，是不是要{near}？",
        "At character {at}: there is no variable “{name}”; did you mean {near}?",
    ),
    // The braces are arguments, not text: a rendered message never holds a brace of its own, which is
    // how the language test tells a placeholder left unfilled.
    (
        "template.unclosed",
        "第{at}个字符处：“{open}”没有对应的“{close}”（括号本身请连写两个：“{escape}”）",
        "At character {at}: “{open}” is not closed by “{close}” (double it for the brace itself: “{escape}”)",
    ),
    (
        "template.unopened",
        "第{at}个字符处：“{close}”前面没有“{open}”（括号本身请连写两个：“{escape}”）",
        "At character {at}: “{close}” has no “{open}” before it (double it for the brace itself: “{escape}”)",
    ),
    (
        "template.empty_variable",
        "第{at}个字符处：“{braces}”中没有变量名",
        "At character {at}: “{braces}” names no variable",
    ),
];

/// The compliance lint's findings (banking rule 4) and the errors of HQ's word list.
pub(super) const LINT: &[(&str, &str, &str)] = &[
    (
        "lint.text_too_long",
        "内容超过{max}个字符，未做检查",
        "The text is longer than {max} characters and was not checked",
    ),
    (
        "lint.guaranteed",
        "“{word}”承诺保本或保收益，营销材料不得使用",
        "“{word}” promises principal or return, which marketing may not do",
    ),
    (
        "lint.expected_yield",
        "“{word}”承诺或预期收益率，营销材料不得使用",
        "“{word}” states a promised or expected yield, which marketing may not do",
    ),
    (
        "lint.yield_figure",
        "“{word}”给出收益率，请确认是历史业绩并注明过往业绩不代表未来表现",
        "“{word}” gives a yield: make sure it is past performance and says past performance does not predict the future",
    ),
    (
        "lint.superlative",
        "“{word}”是绝对化用语，营销材料不得使用",
        "“{word}” is an absolute superlative, which marketing may not use",
    ),
    ("lint.listed_blocking", "“{word}”在合规禁用词表中", "“{word}” is on compliance's list of forbidden words"),
    (
        "lint.listed_warning",
        "“{word}”在合规提示词表中，请确认用法",
        "“{word}” is on compliance's watch list: check how it is used",
    ),
    (
        "lint.disclaimer_missing",
        "理财和基金内容必须带有风险提示“{disclaimer}”",
        "Wealth-management and fund content must carry the risk disclaimer “{disclaimer}”",
    ),
    ("lint.product_ungraded", "关联产品“{product}”没有风险等级", "The linked product “{product}” has no risk grade"),
    ("rules.empty_word", "词表中有空词", "The word list holds an empty word"),
    ("rules.word_too_long", "“{word}”超过{max}个字符", "“{word}” is longer than {max} characters"),
    (
        "rules.unless_too_long",
        "“{word}”的例外后缀超过{max}个字符",
        "The characters that make “{word}” ordinary are longer than {max}",
    ),
    ("rules.too_many", "词表超过{max}个词", "The word list holds more than {max} words"),
    ("rules.duplicate", "“{word}”在词表中出现两次", "“{word}” appears twice in the word list"),
    (
        "rules.bad_class",
        "“{class}”不是词的类别（应为 guaranteed、superlative 或 listed）",
        "“{class}” is not a word class (guaranteed, superlative or listed)",
    ),
    ("lint.too_many_products", "最多关联{max}个产品", "At most {max} products may be named"),
    ("lint.unknown_product", "产品目录中没有产品“{id}”", "There is no product “{id}” in the product catalogue"),
    (
        "audit.compliance_rules_changed",
        "合规词库：新增{added}个、删除{removed}个、修改{changed}个 {words}",
        "Compliance word list: {added} added, {removed} removed, {changed} changed {words}",
    ),
];

/// Maker-checker review: a version's states, the actions on it, and the refusals.
pub(super) const REVIEW: &[(&str, &str, &str)] = &[
    ("content_status.draft", "草稿", "draft"),
    ("content_status.submitted", "待审核", "submitted"),
    ("content_status.approved", "已通过", "approved"),
    ("content_status.rejected", "已驳回", "rejected"),
    ("content_status.published", "已发布", "published"),
    ("content_status.retired", "已下架", "retired"),
    ("review_action.edit", "修改", "edit"),
    ("review_action.submit", "提交审核", "submit"),
    ("review_action.withdraw", "撤回", "withdraw"),
    ("review_action.approve", "通过", "approve"),
    ("review_action.reject", "驳回", "reject"),
    ("review_action.publish", "发布", "publish"),
    ("review_action.retire", "下架", "retire"),
    ("review.own_version", "不能审核自己编写的版本", "You cannot review a version you wrote"),
    ("review.not_reviewer", "只有合规审核人可以审核", "Only a compliance reviewer can review"),
    ("review.not_author", "只有作者可以{action}", "Only the author can {action}"),
    ("review.wrong_state", "版本状态为“{status}”，不能{action}", "The version is {status}: it cannot {action}"),
    (
        "review.override_needed",
        "有{count}条阻断性合规问题，通过前须填写豁免理由",
        "{count} blocking compliance findings: approving needs an override reason",
    ),
    ("review.reason_needed", "请填写驳回理由", "Give a reason for the rejection"),
    ("review.reason_too_long", "理由超过{max}个字符", "The reason is longer than {max} characters"),
    (
        "review.new_version_needed",
        "版本状态为“{status}”，不能直接修改：请另存为新版本，原版本在新版本通过前照常使用",
        "The version is {status} and cannot be edited in place: edit a new version; this one stays in use until the new one is approved",
    ),
    ("review.expired", "版本已过期，不能发布", "The version has expired and cannot be published"),
    ("review.retired", "版本已下架，不能再操作", "The version is retired: nothing more can be done with it"),
    (
        "review.findings_since_approval",
        "通过后出现{count}条阻断性合规问题且未获豁免，请重新提交审核",
        "{count} blocking compliance findings appeared since approval without an override: submit again",
    ),
    ("review.variant_of_variant", "只能基于总行内容制作分行版本", "A branch variant can only be made of an HQ item"),
    (
        "review.variant_of_unpublished",
        "总行内容没有已发布的有效版本，不能制作分行版本",
        "The HQ item has no published, unexpired version to make a variant of",
    ),
];

/// Tracked links: issuing one for a send, and the page an opener sees when a link cannot be opened.
pub(super) const LINKS: &[(&str, &str, &str)] = &[
    (
        "links.not_linkable",
        "只有文章和链接类内容可以生成雷达链接；其他类型请直接发送",
        "Only articles and link items get a tracked link; send other kinds as they are",
    ),
    (
        "links.not_sendable",
        "这个版本尚未发布或已过期、下架，不能发送",
        "This version is not published, or it has expired or been retired: it cannot be sent",
    ),
    (
        "links.bad_recipient",
        "请指定一位客户，或指定朋友圈或客户群渠道（二者选一）",
        "Name one customer, or the Moments or group channel (one of the two)",
    ),
    ("links.staff_only", "只有员工本人可以生成追踪链接", "Only a staff member can make a tracked link"),
    ("links.bad_seconds", "阅读时长应在{min}到{max}秒之间", "Read time must be from {min} to {max} seconds"),
    ("links.busy", "访问人数较多，请稍后再试", "Many people are visiting right now: please try again shortly"),
    ("links.unavailable_title", "内容暂时无法查看", "This content is not available"),
    (
        "links.unavailable_body",
        "如需了解相关内容，请联系您的客户经理。",
        "To find out more, please contact your customer manager.",
    ),
];
