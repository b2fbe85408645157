//! Static files, compiled into the binary so the image needs no files
//! besides itself. The stylesheet's and the script's URLs carry a hash of
//! their content, so browsers may cache them for a long time and still
//! see every change. The one script fills in the sign-up form's time zone
//! (progressive enhancement: the form works without it).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;

pub const CSS: &str = include_str!("../static/app.css");
pub const ICON: &str = include_str!("../static/icon.svg");
pub const TIMEZONE_JS: &str = include_str!("../static/timezone.js");
pub const CSS_PATH: &str = "/static/app.css";
pub const ICON_PATH: &str = "/static/icon.svg";
pub const TIMEZONE_JS_PATH: &str = "/static/timezone.js";

/// `path?v=<hash of content>`.
fn versioned(path: &str, content: &str) -> String {
    let mut hasher = DefaultHasher::new();
    content.hash(&mut hasher);
    format!("{path}?v={:x}", hasher.finish())
}

static CSS_HREF: LazyLock<String> = LazyLock::new(|| versioned(CSS_PATH, CSS));
static TIMEZONE_JS_HREF: LazyLock<String> =
    LazyLock::new(|| versioned(TIMEZONE_JS_PATH, TIMEZONE_JS));

pub fn css_href() -> &'static str {
    &CSS_HREF
}

pub fn timezone_js_href() -> &'static str {
    &TIMEZONE_JS_HREF
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

pub async fn timezone_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        TIMEZONE_JS,
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
