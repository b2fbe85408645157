//! Static files, compiled into the binary so the image needs no files
//! besides itself. The stylesheet URL carries a hash of its content, so
//! browsers may cache it for a long time and still see every change.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;

pub const CSS: &str = include_str!("../static/app.css");
pub const ICON: &str = include_str!("../static/icon.svg");
pub const CSS_PATH: &str = "/static/app.css";
pub const ICON_PATH: &str = "/static/icon.svg";

static CSS_HREF: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = DefaultHasher::new();
    CSS.hash(&mut hasher);
    format!("{CSS_PATH}?v={:x}", hasher.finish())
});

pub fn css_href() -> &'static str {
    &CSS_HREF
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
}

pub async fn icon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        ICON,
    )
}
