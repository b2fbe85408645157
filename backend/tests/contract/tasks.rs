use chrono::{Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use todo_api::{
    ApiClient, ErrorCode, ListQuery, NewTask, Priority, SortField, SortOrder, StatusFilter, Task,
    TaskPatch,
};

use crate::cases;
use crate::support::{TestCtx, TestFn, expect_api_error, get_json};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        create_answers_201_with_location_and_defaults,
        get_update_delete_round_trip,
        patch_changes_only_what_it_names,
        an_empty_patch_changes_nothing,
        list_filters_by_status_priority_tag_and_due_date,
        search_matches_title_and_description_case_insensitively,
        search_treats_like_metacharacters_literally,
        every_sort_key_orders_both_ways,
        pagination_reports_total_and_never_overlaps,
        stats_count_active_completed_and_overdue,
        overview_agrees_with_me_stats_and_the_list,
        clear_completed_deletes_only_completed,
        unicode_and_sql_metacharacters_round_trip,
    ]
}

fn new(title: &str) -> NewTask {
    NewTask {
        title: title.into(),
        ..NewTask::default()
    }
}

async fn create(api: &ApiClient, task: NewTask) -> Task {
    api.create_task(&task).await.expect("create succeeds")
}

async fn titles(api: &ApiClient, query: ListQuery) -> Vec<String> {
    api.list_tasks(&query)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|t| t.title)
        .collect()
}

async fn create_answers_201_with_location_and_defaults(ctx: TestCtx) {
    let (api, _) = ctx.user("creator").await;
    let response = api
        .request(Method::POST, "/api/tasks")
        .json(&serde_json::json!({"title": "  Water the plants  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let task: Task = response.json().await.unwrap();
    assert_eq!(location, format!("/api/tasks/{}", task.id));
    assert_eq!(task.title, "Water the plants", "title is trimmed");
    assert_eq!(task.priority, Priority::Medium);
    assert!(!task.completed);
    assert_eq!(task.description, None);
    assert_eq!(task.due_date, None);
    assert!(task.tags.is_empty());
    assert_eq!(task.created_at, task.updated_at);
    // The Location resolves to the same task.
    let fetched: Task = get_json(&api, &location).await;
    assert_eq!(fetched, task);
}

async fn get_update_delete_round_trip(ctx: TestCtx) {
    let (api, _) = ctx.user("roundtrip").await;
    let task = create(
        &api,
        NewTask {
            title: "Write report".into(),
            description: Some("Quarterly numbers".into()),
            priority: Some(Priority::High),
            due_date: NaiveDate::from_ymd_opt(2030, 1, 15),
            tags: vec!["work".into(), "q1".into()],
            completed: None,
            ..NewTask::default()
        },
    )
    .await;
    assert_eq!(api.get_task(task.id).await.unwrap(), task);

    let done = api
        .update_task(
            task.id,
            &TaskPatch {
                completed: Some(true),
                ..TaskPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(done.completed);
    assert_eq!(api.get_task(task.id).await.unwrap(), done);

    api.delete_task(task.id).await.unwrap();
    expect_api_error(
        api.get_task(task.id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );
    expect_api_error(
        api.delete_task(task.id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );
}

async fn patch_changes_only_what_it_names(ctx: TestCtx) {
    let (api, _) = ctx.user("patcher").await;
    let task = create(
        &api,
        NewTask {
            title: "Original".into(),
            description: Some("keep me?".into()),
            priority: Some(Priority::Low),
            due_date: NaiveDate::from_ymd_opt(2031, 5, 1),
            tags: vec!["a".into()],
            completed: None,
            ..NewTask::default()
        },
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let renamed = api
        .update_task(
            task.id,
            &TaskPatch {
                title: Some("Renamed".into()),
                ..TaskPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.title, "Renamed");
    assert_eq!(renamed.description, task.description);
    assert_eq!(renamed.priority, Priority::Low);
    assert_eq!(renamed.due_date, task.due_date);
    assert_eq!(renamed.tags, task.tags);
    assert_eq!(renamed.created_at, task.created_at);
    assert!(renamed.updated_at > task.updated_at);

    // `null` clears the nullable fields; tags are replaced as a whole.
    let cleared = api
        .update_task(
            task.id,
            &TaskPatch {
                description: Some(None),
                due_date: Some(None),
                tags: Some(vec!["b".into(), "c".into()]),
                priority: Some(Priority::High),
                ..TaskPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.description, None);
    assert_eq!(cleared.due_date, None);
    assert_eq!(cleared.tags, ["b", "c"]);
    assert_eq!(cleared.priority, Priority::High);
    assert_eq!(api.get_task(task.id).await.unwrap(), cleared);
    // The tag index follows the change.
    let by_old_tag = ListQuery {
        tag: Some("a".into()),
        ..ListQuery::default()
    };
    assert!(titles(&api, by_old_tag).await.is_empty());
    let by_new_tag = ListQuery {
        tag: Some("c".into()),
        ..ListQuery::default()
    };
    assert_eq!(titles(&api, by_new_tag).await, ["Renamed"]);
}

async fn an_empty_patch_changes_nothing(ctx: TestCtx) {
    let (api, _) = ctx.user("empty-patch").await;
    let task = create(&api, new("Stay as you are")).await;
    let same = api
        .update_task(task.id, &TaskPatch::default())
        .await
        .unwrap();
    assert_eq!(same, task);
}

async fn list_filters_by_status_priority_tag_and_due_date(ctx: TestCtx) {
    let (api, _) = ctx.user("filters").await;
    let day = |d| NaiveDate::from_ymd_opt(2030, 3, d);
    create(
        &api,
        NewTask {
            title: "a".into(),
            priority: Some(Priority::High),
            due_date: day(1),
            tags: vec!["home".into()],
            ..NewTask::default()
        },
    )
    .await;
    create(
        &api,
        NewTask {
            title: "b".into(),
            priority: Some(Priority::Low),
            due_date: day(10),
            tags: vec!["work".into()],
            completed: Some(true),
            ..NewTask::default()
        },
    )
    .await;
    create(
        &api,
        NewTask {
            title: "c".into(),
            priority: Some(Priority::High),
            tags: vec!["work".into(), "home".into()],
            ..NewTask::default()
        },
    )
    .await;

    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let q = |f: fn(&mut ListQuery)| {
        let mut query = ListQuery::default();
        f(&mut query);
        query
    };
    assert_eq!(
        sorted(titles(&api, q(|q| q.status = Some(StatusFilter::Active))).await),
        ["a", "c"]
    );
    assert_eq!(
        titles(&api, q(|q| q.status = Some(StatusFilter::Completed))).await,
        ["b"]
    );
    assert_eq!(
        sorted(titles(&api, q(|q| q.status = Some(StatusFilter::All))).await),
        ["a", "b", "c"]
    );
    assert_eq!(
        sorted(titles(&api, q(|q| q.priority = Some(Priority::High))).await),
        ["a", "c"]
    );
    assert_eq!(
        sorted(titles(&api, q(|q| q.tag = Some("home".into()))).await),
        ["a", "c"]
    );
    assert_eq!(
        titles(&api, q(|q| q.tag = Some("nothing".into()))).await,
        Vec::<String>::new()
    );
    assert_eq!(
        titles(
            &api,
            q(|q| q.due_before = NaiveDate::from_ymd_opt(2030, 3, 5))
        )
        .await,
        ["a"]
    );
    let combined = q(|q| {
        q.tag = Some("work".into());
        q.status = Some(StatusFilter::Active);
    });
    let list = api.list_tasks(&combined).await.unwrap();
    assert_eq!(list.total, 1);
    assert_eq!(list.items[0].title, "c");
}

async fn search_matches_title_and_description_case_insensitively(ctx: TestCtx) {
    let (api, _) = ctx.user("search").await;
    create(
        &api,
        NewTask {
            title: "Buy MILK".into(),
            ..NewTask::default()
        },
    )
    .await;
    create(
        &api,
        NewTask {
            title: "Groceries".into(),
            description: Some("eggs, milk, bread".into()),
            ..NewTask::default()
        },
    )
    .await;
    create(
        &api,
        NewTask {
            title: "Call mom".into(),
            ..NewTask::default()
        },
    )
    .await;
    let found = api
        .list_tasks(&ListQuery {
            q: Some("milk".into()),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total, 2);
    let mut names: Vec<_> = found.items.into_iter().map(|t| t.title).collect();
    names.sort();
    assert_eq!(names, ["Buy MILK", "Groceries"]);
    let blank = api
        .list_tasks(&ListQuery {
            q: Some("   ".into()),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(blank.total, 3, "a blank search matches everything");
}

async fn search_treats_like_metacharacters_literally(ctx: TestCtx) {
    let (api, _) = ctx.user("likes").await;
    create(&api, new("100% done")).await;
    create(&api, new("1000 done")).await;
    create(&api, new("snake_case")).await;
    create(&api, new("snakeXcase")).await;
    assert_eq!(
        titles(
            &api,
            ListQuery {
                q: Some("0%".into()),
                ..ListQuery::default()
            }
        )
        .await,
        ["100% done"]
    );
    assert_eq!(
        titles(
            &api,
            ListQuery {
                q: Some("e_c".into()),
                ..ListQuery::default()
            }
        )
        .await,
        ["snake_case"]
    );
}

async fn every_sort_key_orders_both_ways(ctx: TestCtx) {
    let (api, _) = ctx.user("sorter").await;
    let day = |d| NaiveDate::from_ymd_opt(2030, 6, d);
    let b = create(
        &api,
        NewTask {
            title: "banana".into(),
            priority: Some(Priority::Low),
            due_date: day(20),
            ..NewTask::default()
        },
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let a = create(
        &api,
        NewTask {
            title: "Apple".into(),
            priority: Some(Priority::High),
            due_date: day(5),
            ..NewTask::default()
        },
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let c = create(
        &api,
        NewTask {
            title: "cherry".into(),
            priority: Some(Priority::Medium),
            ..NewTask::default()
        },
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    // Touch banana so updated_at differs from created_at order.
    api.update_task(
        b.id,
        &TaskPatch {
            completed: Some(true),
            ..TaskPatch::default()
        },
    )
    .await
    .unwrap();

    let order = |sort, order| ListQuery {
        sort: Some(sort),
        order: Some(order),
        ..ListQuery::default()
    };
    let (a, b, c) = (a.title, b.title, c.title);
    let cases = [
        (SortField::CreatedAt, SortOrder::Asc, vec![&b, &a, &c]),
        (SortField::CreatedAt, SortOrder::Desc, vec![&c, &a, &b]),
        (SortField::UpdatedAt, SortOrder::Asc, vec![&a, &c, &b]),
        (SortField::UpdatedAt, SortOrder::Desc, vec![&b, &c, &a]),
        (SortField::Title, SortOrder::Asc, vec![&a, &b, &c]),
        (SortField::Title, SortOrder::Desc, vec![&c, &b, &a]),
        (SortField::Priority, SortOrder::Asc, vec![&b, &c, &a]),
        (SortField::Priority, SortOrder::Desc, vec![&a, &c, &b]),
        // Tasks without a due date come last both ways.
        (SortField::DueDate, SortOrder::Asc, vec![&a, &b, &c]),
        (SortField::DueDate, SortOrder::Desc, vec![&b, &a, &c]),
    ];
    for (sort, direction, expected) in cases {
        let got = titles(&api, order(sort, direction)).await;
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(got, expected, "sort={sort} order={direction}");
    }
    // The default is newest first.
    assert_eq!(
        titles(&api, ListQuery::default()).await,
        [c.clone(), a.clone(), b.clone()]
    );
}

async fn page_of(api: &ApiClient, limit: u32, offset: u64) -> todo_api::TaskList {
    let query = ListQuery {
        limit: Some(limit),
        offset: Some(offset),
        ..ListQuery::default()
    };
    api.list_tasks(&query).await.expect("a page lists")
}

async fn pagination_reports_total_and_never_overlaps(ctx: TestCtx) {
    let (api, _) = ctx.user("pager").await;
    for i in 0..7 {
        create(&api, new(&format!("task {i}"))).await;
    }
    let mut seen = Vec::new();
    for offset in [0, 3, 6] {
        let page = page_of(&api, 3, offset).await;
        assert_eq!(page.total, 7);
        assert_eq!(page.limit, 3);
        assert_eq!(page.offset, offset);
        seen.extend(page.items.into_iter().map(|t| t.id));
    }
    assert_eq!(seen.len(), 7);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7, "no task appears on two pages");
    // A page that holds every match, exactly or with room to spare, and
    // one that misses a single match, all tell the same total.
    for limit in [6, 7, 8] {
        let page = page_of(&api, limit, 0).await;
        assert_eq!((page.total, page.items.len()), (7, limit.min(7) as usize));
    }
    // The store counts a list the way the owner's last one needed (one
    // statement, or a page with a row to spare): the same pages again, in
    // another order, so each is read both ways.
    for offset in [6, 3, 0, 6] {
        let page = page_of(&api, 3, offset).await;
        let expected_items = if offset == 6 { 1 } else { 3 };
        assert_eq!((page.total, page.items.len()), (7, expected_items));
    }
    let past_end = api
        .list_tasks(&ListQuery {
            offset: Some(50),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert!(past_end.items.is_empty());
    assert_eq!(past_end.total, 7);
    let default = api.list_tasks(&ListQuery::default()).await.unwrap();
    assert_eq!((default.limit, default.offset), (50, 0));
}

async fn stats_count_active_completed_and_overdue(ctx: TestCtx) {
    let (api, _) = ctx.user("stats").await;
    let today = Utc::now().date_naive();
    let yesterday = today - Duration::days(1);
    create(
        &api,
        NewTask {
            title: "late".into(),
            due_date: Some(yesterday),
            ..NewTask::default()
        },
    )
    .await;
    create(
        &api,
        NewTask {
            title: "late but done".into(),
            due_date: Some(yesterday),
            completed: Some(true),
            ..NewTask::default()
        },
    )
    .await;
    create(
        &api,
        NewTask {
            title: "due today".into(),
            due_date: Some(today),
            ..NewTask::default()
        },
    )
    .await;
    create(&api, new("someday")).await;
    let stats = api.stats().await.unwrap();
    assert_eq!(
        (stats.total, stats.active, stats.completed, stats.overdue),
        (4, 3, 1, 1)
    );
}

async fn overview_agrees_with_me_stats_and_the_list(ctx: TestCtx) {
    let (api, _) = ctx.user("overview").await;
    // A user with no tasks yet is an empty overview, not a gone account.
    let empty = api.overview(&ListQuery::default()).await.unwrap();
    assert_eq!(empty.user, api.me().await.unwrap());
    assert_eq!((empty.stats.total, empty.tasks.total), (0, 0));
    assert!(empty.tasks.items.is_empty());

    let yesterday = Utc::now().date_naive() - Duration::days(1);
    for i in 0..5 {
        create(
            &api,
            NewTask {
                title: format!("task {i}"),
                completed: Some(i % 2 == 0),
                due_date: (i == 1).then_some(yesterday),
                tags: vec![format!("t{}", i % 2)],
                ..NewTask::default()
            },
        )
        .await;
    }
    // Someone else's tasks never count.
    let (other, _) = ctx.user("overview-other").await;
    create(&other, new("not mine")).await;

    let query = ListQuery {
        status: Some(StatusFilter::Active),
        limit: Some(1),
        offset: Some(1),
        ..ListQuery::default()
    };
    let overview = api.overview(&query).await.unwrap();
    assert_eq!(overview.user, api.me().await.unwrap());
    assert_eq!(overview.stats, api.stats().await.unwrap());
    assert_eq!(
        (
            overview.stats.total,
            overview.stats.completed,
            overview.stats.overdue
        ),
        (5, 3, 1)
    );
    assert_eq!(overview.tasks, api.list_tasks(&query).await.unwrap());
    assert_eq!((overview.tasks.total, overview.tasks.items.len()), (2, 1));

    let body = expect_api_error(
        api.overview(&ListQuery {
            limit: Some(0),
            ..ListQuery::default()
        })
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    );
    assert!(body.error.fields.contains_key("limit"), "{body:?}");
}

async fn clear_completed_deletes_only_completed(ctx: TestCtx) {
    let (api, _) = ctx.user("clearer").await;
    for i in 0..3 {
        create(
            &api,
            NewTask {
                title: format!("done {i}"),
                completed: Some(true),
                tags: vec!["x".into()],
                ..NewTask::default()
            },
        )
        .await;
    }
    let keep = create(&api, new("still to do")).await;
    assert_eq!(api.clear_completed().await.unwrap().deleted, 3);
    let rest = api.list_tasks(&ListQuery::default()).await.unwrap();
    assert_eq!(rest.items, [keep]);
    assert_eq!(api.clear_completed().await.unwrap().deleted, 0);
}

async fn unicode_and_sql_metacharacters_round_trip(ctx: TestCtx) {
    let (api, _) = ctx.user("unicode").await;
    let titles = [
        "Café ☕ — naïve façade",
        "日本語のタスク",
        "emoji 👩‍👩‍👧‍👦 family",
        "Robert'); DROP TABLE tasks;--",
        r#"quote " backslash \ percent % underscore _"#,
        "مرحبا بالعالم",
    ];
    for title in titles {
        let task = create(
            &api,
            NewTask {
                title: title.into(),
                description: Some(format!("{title}\nline two")),
                ..NewTask::default()
            },
        )
        .await;
        let fetched = api.get_task(task.id).await.unwrap();
        assert_eq!(fetched.title, title);
        assert_eq!(
            fetched.description.as_deref(),
            Some(format!("{title}\nline two").as_str())
        );
        let found = api
            .list_tasks(&ListQuery {
                q: Some(title.into()),
                ..ListQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(found.items.len(), 1, "search finds {title:?} exactly");
    }
    assert_eq!(
        api.list_tasks(&ListQuery::default()).await.unwrap().total,
        titles.len() as u64
    );
}
