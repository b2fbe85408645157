//! One user's tasks are invisible and untouchable to another, and probing
//! someone else's id looks exactly like probing an id that does not exist.

use reqwest::StatusCode;
use todo_api::{ErrorCode, ListQuery, NewTask, TaskPatch};
use uuid::Uuid;

use crate::cases;
use crate::support::{TestCtx, TestFn, expect_api_error};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        another_users_task_is_404_and_untouched,
        lists_stats_search_and_clearing_are_per_user
    ]
}

async fn another_users_task_is_404_and_untouched(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    let (bob, _) = ctx.user("bob").await;
    let secret = alice
        .create_task(&NewTask {
            title: "alice's secret".into(),
            ..NewTask::default()
        })
        .await
        .unwrap();

    let not_found = |r| expect_api_error(r, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    let foreign = not_found(bob.get_task(secret.id).await);
    let missing = not_found(bob.get_task(Uuid::new_v4()).await);
    assert_eq!(
        foreign, missing,
        "someone else's id is indistinguishable from no id"
    );
    let patch = TaskPatch {
        title: Some("pwned".into()),
        completed: Some(true),
        ..TaskPatch::default()
    };
    not_found(bob.update_task(secret.id, &patch).await);
    expect_api_error(
        bob.delete_task(secret.id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );

    assert_eq!(
        alice.get_task(secret.id).await.unwrap(),
        secret,
        "unchanged"
    );
}

async fn lists_stats_search_and_clearing_are_per_user(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    let (bob, _) = ctx.user("bob").await;
    for i in 0..3 {
        alice
            .create_task(&NewTask {
                title: format!("shared word {i}"),
                completed: Some(true),
                tags: vec!["common".into()],
                ..NewTask::default()
            })
            .await
            .unwrap();
    }
    let mine = bob
        .create_task(&NewTask {
            title: "bob's own".into(),
            ..NewTask::default()
        })
        .await
        .unwrap();

    let list = bob.list_tasks(&ListQuery::default()).await.unwrap();
    assert_eq!((list.total, list.items.len()), (1, 1));
    assert_eq!(list.items[0].id, mine.id);
    let search = bob
        .list_tasks(&ListQuery {
            q: Some("shared".into()),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(search.total, 0);
    let by_tag = bob
        .list_tasks(&ListQuery {
            tag: Some("common".into()),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(by_tag.total, 0);
    let stats = bob.stats().await.unwrap();
    assert_eq!((stats.total, stats.completed), (1, 0));

    assert_eq!(bob.clear_completed().await.unwrap().deleted, 0);
    assert_eq!(
        alice.list_tasks(&ListQuery::default()).await.unwrap().total,
        3,
        "alice's completed tasks survive"
    );
    assert_eq!(alice.clear_completed().await.unwrap().deleted, 3);
    assert_eq!(
        bob.list_tasks(&ListQuery::default()).await.unwrap().total,
        1,
        "bob's task survives"
    );
}
