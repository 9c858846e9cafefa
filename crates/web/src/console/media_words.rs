//! The console's words for the content library's images and files page (key, 中文, English); looked
//! up with the rest through [`super::i18n::Tr`].

pub const WORDS: &[(&str, &str, &str)] = &[
    ("nav.media", "图片与文件", "Images & files"),
    ("mediapage.title", "图片与文件", "Images and files"),
    ("mediapage.upload", "上传", "Upload"),
    (
        "mediapage.help",
        "图片：PNG、JPEG、GIF、WebP，最大 2 MiB；文件：PDF、Word、Excel、PowerPoint，最大 10 MiB。按文件内容识别类型，扩展名须与内容一致。",
        "Images: PNG, JPEG, GIF or WebP, up to 2 MiB; files: PDF, Word, Excel or PowerPoint, up to 10 MiB. The type is read from the content, and the name's extension must agree.",
    ),
    ("mediapage.file", "选择图片或文件", "Image or file"),
    ("mediapage.submit", "上传", "Upload"),
    ("mediapage.kind", "类型", "Kind"),
    ("mediapage.all", "全部", "All"),
    ("mediapage.images", "图片", "Images"),
    ("mediapage.files", "文件", "Files"),
    ("mediapage.filter", "筛选", "Filter"),
    ("mediapage.preview", "预览", "Preview"),
    ("mediapage.name", "名称", "Name"),
    ("mediapage.type", "格式", "Format"),
    ("mediapage.size", "大小", "Size"),
    ("mediapage.download", "下载", "Download"),
    // The channel code form's mini-program card, whose cover is one of these uploads.
];
