use std::sync::LazyLock;

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{auth, ops, tasks};

/// The OpenAPI 3.1 document, generated from the handlers' annotations and
/// the `todo-api` types.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Todo API", description = "Multi-user task service."),
    paths(
        auth::signup, auth::login, auth::me, auth::delete_me,
        tasks::list, tasks::create, tasks::get, tasks::update, tasks::delete,
        tasks::stats, tasks::clear_completed,
        ops::health, ops::ready,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "tasks", description = "The caller's tasks"),
        (name = "operations", description = "Probes for Kubernetes"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
});

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(DOCUMENT.clone())
}
