use futures::future::join_all;
use reqwest::StatusCode;
use todo_api::{ErrorCode, ListQuery, NewTask, SignupRequest};

use crate::cases;
use crate::support::{TestCtx, TestFn, expect_api_error};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        fifty_concurrent_creates_all_land,
        concurrent_signups_for_one_email_create_one_account
    ]
}

async fn fifty_concurrent_creates_all_land(ctx: TestCtx) {
    let (api, _) = ctx.user("busy").await;
    let creates = (0..50).map(|i| {
        let api = api.clone();
        tokio::spawn(async move {
            api.create_task(&NewTask {
                title: format!("task {i}"),
                tags: vec![format!("t{}", i % 3)],
                ..NewTask::default()
            })
            .await
        })
    });
    let results = join_all(creates).await;
    for result in results {
        result.expect("task joins").expect("every create succeeds");
    }
    let list = api
        .list_tasks(&ListQuery {
            limit: Some(100),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(list.total, 50);
    assert_eq!(list.items.len(), 50);
    assert_eq!(api.stats().await.unwrap().total, 50);
}

async fn concurrent_signups_for_one_email_create_one_account(ctx: TestCtx) {
    let attempts = (0..5).map(|i| {
        let api = ctx.api.clone();
        tokio::spawn(async move {
            api.signup(&SignupRequest {
                email: "race@example.com".into(),
                password: format!("password number {i}"),
                name: "Racer".into(),
                time_zone: None,
            })
            .await
        })
    });
    let mut created = 0;
    for result in join_all(attempts).await {
        match result.expect("joins") {
            Ok(_) => created += 1,
            conflict => {
                expect_api_error(conflict, StatusCode::CONFLICT, ErrorCode::EmailTaken);
            }
        }
    }
    assert_eq!(created, 1);
}
