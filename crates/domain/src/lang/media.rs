//! The words of the content library's uploads: why an image or file is refused, naming what its
//! bytes really are (see `crate::media`).

/// key, 中文, English.
pub(super) const MEDIA: &[(&str, &str, &str)] = &[
    ("media.kind_image", "图片", "image"),
    ("media.kind_file", "文件", "file"),
    ("media.empty", "“{name}”是空文件", "“{name}” is empty"),
    (
        "media.executable",
        "“{name}”实际是可执行程序（{what}），不能上传",
        "“{name}” is really an executable program ({what}) and cannot be uploaded",
    ),
    (
        "media.script",
        "“{name}”实际是 {what}，可能携带脚本，不能上传",
        "“{name}” is really {what}, which can carry script, and cannot be uploaded",
    ),
    (
        "media.mislabelled",
        "“{name}”的扩展名是 .{ext}，内容却是 {actual}：请改正文件名后再上传",
        "“{name}” is named .{ext} but is really {actual}: correct its name and upload it again",
    ),
    (
        "media.too_large",
        "“{name}”超过{kind}上限 {max} MiB",
        "“{name}” is larger than {max} MiB, the most an upload of its kind ({kind}) may be",
    ),
    (
        "media.unsupported",
        "“{name}”实际是{what}：只能上传 PNG、JPEG、GIF、WebP 图片和 PDF、Word、Excel、PowerPoint 文件",
        "“{name}” is really {what}: only PNG, JPEG, GIF and WebP images and PDF, Word, Excel and PowerPoint files can be uploaded",
    ),
    ("media.what_zip", "普通压缩包（不是 Office 文档）", "a plain zip archive (not an Office document)"),
    ("media.what_text", "文本文件", "a text file"),
    ("media.what_script", "脚本", "a script"),
    ("media.what_unknown", "无法识别的格式", "a format siyu does not recognise"),
    ("media.not_found", "找不到该图片或文件", "No such image or file"),
    ("media.no_file", "请选择要上传的图片或文件", "Choose an image or file to upload"),
    ("media.not_an_image", "封面须是已上传的图片", "The cover must be an uploaded image"),
];
