//! The words of the content library's services (issue 17): why a save, a new version or a review
//! step was refused. The vocabulary, lint and review words are in `content.rs`.

/// key, 中文, English.
pub(super) const WORDS: &[(&str, &str, &str)] = &[
    ("library.unknown_product", "产品目录中没有产品“{id}”", "There is no product “{id}” in the catalogue"),
    ("library.title_needed", "请填写标题", "Give the item a title"),
    ("library.title_too_long", "标题超过{max}个字符", "The title is longer than {max} characters"),
    (
        "library.field_too_long",
        "链接、描述、小程序 AppID 或页面超过{max}个字符",
        "A link, description, app id or page is longer than {max} characters",
    ),
    (
        "library.link_url_needed",
        "链接内容须填写以 https:// 开头的链接地址",
        "A link item needs an address starting with https://",
    ),
    (
        "library.mini_program_needed",
        "小程序卡片须填写 AppID 和页面路径",
        "A mini-program card needs its app id and page",
    ),
    ("library.body_needed", "请填写正文", "Write the body"),
    (
        "library.variant_only",
        "分行只能制作总行内容的本地版本：请从总行内容开始",
        "A branch makes only local variants of HQ items: start from an HQ item",
    ),
    ("library.unknown_item", "没有这条总行内容", "There is no such HQ item"),
    ("library.unknown_unit", "没有这个机构", "There is no such unit"),
    (
        "library.unit_out_of_scope",
        "只能为本机构及下辖机构制作本地版本",
        "A local variant can only belong to a unit you manage",
    ),
    (
        "library.version_open",
        "第{number}版仍为“{status}”：请先完成或撤回它，再开始新版本",
        "Version {number} is still {status}: finish or withdraw it before starting another",
    ),
    (
        "library.moved_on",
        "这个版本刚被其他人处理过，请刷新后再看",
        "Someone else acted on this version just now: reload it",
    ),
    ("library.media_needed", "这类内容需要先上传并选择图片或文件", "This kind of item needs an uploaded image or file"),
    ("library.unknown_media", "所选文件不存在", "The chosen file does not exist"),
    ("library.too_many_images", "一篇图文最多 30 张图片", "An article shows at most 30 pictures"),
    (
        "library.changed_since_read",
        "这个版本在您打开后被作者撤回修改并重新提交了：请刷新，审阅新的内容后再决定",
        "The author withdrew, changed and resubmitted this version after you opened it: reload and review what it says now",
    ),
    ("library.too_many_findings", "最多列出{max}条检查结果", "At most {max} findings may be named"),
    (
        "library.findings_changed",
        "打开页面后合规检查结果有变化（合规词库或关联产品已更新）：请刷新，按现在的检查结果决定是否豁免",
        "The compliance findings changed after you opened the page (the word list or a linked product changed): reload and decide on the findings as they are now",
    ),
    (
        "library.seen_needed",
        "请注明您审阅的是哪一次提交（seen：版本的 changed_at）",
        "Say which submission you reviewed (seen: the version's changed_at)",
    ),
    (
        "library.html_not_allowed",
        "正文含有不允许的内容“{what}”（脚本、事件属性、javascript: 链接、内嵌框架等），未保存",
        "The body holds “{what}”, which is not allowed (scripts, event attributes, javascript: links, frames…): nothing was saved",
    ),
];
