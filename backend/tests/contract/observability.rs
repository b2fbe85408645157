//! What operators rely on: metrics with bounded labels, the selftest the
//! Helm hook runs, and account deletion (which the selftest cleans up with).

use std::collections::BTreeSet;

use futures::StreamExt;

use reqwest::{Method, StatusCode};
use todo_api::{ErrorCode, ListQuery, NewTask};

use crate::cases;
use crate::support::{TestCtx, TestFn, expect_api_error};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        metrics_use_route_templates_and_stay_bounded,
        selftest_passes_against_the_running_app,
        deleting_an_account_deletes_its_tasks_and_voids_its_token,
    ]
}

async fn metrics_text(ctx: &TestCtx) -> String {
    let response = ctx
        .api
        .request(Method::GET, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

/// Every distinct label set of `http_requests_total`.
fn request_series(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|line| line.starts_with("http_requests_total{"))
        .map(|line| line.rsplit_once(' ').unwrap().0.to_owned())
        .collect()
}

async fn metrics_use_route_templates_and_stay_bounded(ctx: TestCtx) {
    let (api, _) = ctx.user("metrics").await;
    let task = api
        .create_task(&NewTask {
            title: "measured".into(),
            ..NewTask::default()
        })
        .await
        .unwrap();
    api.get_task(task.id).await.unwrap();
    api.list_tasks(&ListQuery::default()).await.unwrap();

    let text = metrics_text(&ctx).await;
    for expected in [
        r#"http_requests_total{method="POST",route="/api/tasks",status="201"} 1"#,
        r#"http_requests_total{method="GET",route="/api/tasks/{id}",status="200"} 1"#,
        r#"http_requests_total{method="POST",route="/api/auth/signup",status="201"} 1"#,
        r#"http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/tasks",status="200"}"#,
        r#"db_pool_connections{state="open"}"#,
        r#"db_pool_connections{state="idle"}"#,
        r#"todo_build_info{version=""#,
    ] {
        assert!(text.contains(expected), "missing {expected}\n{text}");
    }
    assert!(!text.contains(&task.id.to_string()), "no raw ids in labels");

    // 1,000 distinct ids (existing or not) add no label values.
    let before = request_series(&metrics_text(&ctx).await);
    let mut probes = Vec::new();
    for _ in 0..1000 {
        let api = api.clone();
        probes.push(async move {
            let id = uuid::Uuid::new_v4();
            expect_api_error(
                api.get_task(id).await,
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
            );
        });
    }
    futures::stream::iter(probes)
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let after = request_series(&metrics_text(&ctx).await);
    let new_series: Vec<_> = after.difference(&before).collect();
    assert!(
        new_series
            .iter()
            .all(|s| s.contains(r#"route="/api/tasks/{id}",status="404""#)
                || s.contains(r#"route="/metrics""#)),
        "only the 404 series of the template may appear: {new_series:?}"
    );
    assert!(new_series.len() <= 2, "{new_series:?}");
    assert!(text.lines().count() < 2000);
}

async fn selftest_passes_against_the_running_app(ctx: TestCtx) {
    todo_backend::selftest::run(
        ctx.api.base_url(),
        todo_backend::selftest::Walk { chat: true },
    )
    .await
    .expect("selftest passes");
    // It cleaned up: no account or task of its own is left behind.
    let text = metrics_text(&ctx).await;
    assert!(
        text.contains(
            r#"http_requests_total{method="DELETE",route="/api/auth/me",status="204"} 1"#
        )
    );
    // It went through the MCP door and the chat.
    assert!(
        text.contains(r#"assistant_tool_calls_total{tool="add_task",outcome="ok",door="mcp"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"assistant_chat_requests_total{outcome="ok"} 2"#),
        "{text}"
    );
}

async fn deleting_an_account_deletes_its_tasks_and_voids_its_token(ctx: TestCtx) {
    let (leaver, auth) = ctx.user("leaver").await;
    let (stayer, _) = ctx.user("stayer").await;
    let kept = stayer
        .create_task(&NewTask {
            title: "mine".into(),
            ..NewTask::default()
        })
        .await
        .unwrap();
    leaver
        .create_task(&NewTask {
            title: "bye".into(),
            tags: vec!["x".into()],
            ..NewTask::default()
        })
        .await
        .unwrap();
    leaver
        .delete_account("correct horse battery")
        .await
        .unwrap();
    expect_api_error(
        leaver.me().await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    );
    expect_api_error(
        leaver.delete_account("correct horse battery").await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    );
    // The email is free again, and the new account starts empty.
    let again = ctx
        .api
        .signup(&todo_api::SignupRequest {
            email: auth.user.email.clone(),
            password: "a new password".into(),
            name: "Back".into(),
            time_zone: None,
        })
        .await
        .unwrap();
    assert_eq!(
        ctx.api
            .with_token(&again.token)
            .list_tasks(&ListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        stayer
            .list_tasks(&ListQuery::default())
            .await
            .unwrap()
            .items,
        [kept]
    );
}
