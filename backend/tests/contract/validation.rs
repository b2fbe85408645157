//! Bad input: each case checks the exact status and error code, and that
//! nothing was written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_api::{ApiClient, ErrorCode, ListQuery, NewTask};

use crate::cases;
use crate::support::{TestCtx, TestFn, expect_error, expect_invalid, field_names, send_json};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        malformed_json_is_400,
        a_json_body_that_is_not_an_object_is_400,
        wrong_content_type_is_415,
        a_body_over_64_kib_is_413,
        a_pooled_connection_survives_early_answers,
        invalid_task_fields_are_422_each,
        every_invalid_field_is_listed_at_once,
        an_invalid_patch_changes_nothing,
        bad_list_parameters_are_422,
        a_non_uuid_task_id_is_404,
        unknown_routes_and_methods_use_the_error_shape,
    ]
}

async fn task_count(api: &ApiClient) -> u64 {
    api.list_tasks(&ListQuery::default()).await.unwrap().total
}

async fn post_raw(
    api: &ApiClient,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    api.request(Method::POST, "/api/tasks")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn malformed_json_is_400(ctx: TestCtx) {
    let (api, _) = ctx.user("malformed").await;
    for body in [r#"{"title": "x""#, "{title: x}", "", "nul"] {
        let response = post_raw(&api, "application/json", body).await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::MalformedBody).await;
    }
    assert_eq!(task_count(&api).await, 0);
}

async fn a_json_body_that_is_not_an_object_is_400(ctx: TestCtx) {
    let (api, _) = ctx.user("not-object").await;
    for body in [r#"["title"]"#, r#""title""#, "42", "null"] {
        let response = post_raw(&api, "application/json", body).await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::MalformedBody).await;
    }
    assert_eq!(task_count(&api).await, 0);
}

async fn wrong_content_type_is_415(ctx: TestCtx) {
    let (api, _) = ctx.user("content-type").await;
    let valid = json!({"title": "looks fine"}).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let response = post_raw(&api, content_type, valid.clone()).await;
        expect_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
        )
        .await;
    }
    let no_header = api
        .request(Method::POST, "/api/tasks")
        .body(valid)
        .send()
        .await
        .unwrap();
    expect_error(
        no_header,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
    )
    .await;
    assert_eq!(task_count(&api).await, 0);
}

async fn a_body_over_64_kib_is_413(ctx: TestCtx) {
    let (api, _) = ctx.user("big").await;
    let big = json!({"title": "big", "description": "x".repeat(64 * 1024)}).to_string();
    let response = post_raw(&api, "application/json", big).await;
    expect_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;
    // Also when the size is not announced up front (chunked upload).
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..80).map(|_| Ok(vec![b' '; 1024])).collect();
    let stream = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let response = post_raw(&api, "application/json", stream).await;
    expect_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;
    assert_eq!(task_count(&api).await, 0);
}

/// One keep-alive connection, reused across answers given before the body
/// was read: each next request on it must succeed, however the rejected
/// body was sent.
async fn a_pooled_connection_survives_early_answers(ctx: TestCtx) {
    let (_, auth) = ctx.user("pooled").await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let api = ApiClient::with_http(http, ctx.api.base_url()).with_token(&auth.token);
    let anonymous = ApiClient::with_http(
        reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .unwrap(),
        ctx.api.base_url(),
    );
    let oversized = json!({"title": "big", "description": "x".repeat(96 * 1024)}).to_string();
    let streamed = || {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..80).map(|_| Ok(vec![b' '; 1024])).collect();
        reqwest::Body::wrap_stream(futures::stream::iter(chunks))
    };
    for round in 0..10 {
        let response = post_raw(&api, "application/json", oversized.clone()).await;
        assert_eq!(
            response.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "round {round}"
        );
        for _ in 0..3 {
            assert_eq!(
                task_count(&api).await,
                0,
                "round {round}, after Content-Length"
            );
        }
        let response = post_raw(&api, "application/json", streamed()).await;
        assert_eq!(
            response.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "round {round}"
        );
        for _ in 0..3 {
            assert_eq!(task_count(&api).await, 0, "round {round}, after streaming");
        }
        // Refused from the headers alone (no token), body never read.
        let response = post_raw(&anonymous, "application/json", oversized.clone()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "round {round}");
        let health = anonymous
            .request(Method::GET, "/health")
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK, "round {round}, after 401");
    }
    // On the wire: the connection that carried the rejected body serves the
    // next request, unless the response said it would close.
    let address = ctx.api.base_url().trim_start_matches("http://").to_owned();
    let body = oversized.as_bytes();
    let request = format!(
        "POST /api/tasks HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        auth.token,
        body.len()
    );
    // The server answers once the limit is passed, while the rest is on its way.
    let (past_the_limit, rest) = body.split_at(todo_api::limits::BODY_MAX_BYTES + 1);
    let heads = todo_service::testing::raw_exchange(
        &address,
        &[request.as_bytes(), past_the_limit, rest],
        "/health",
    )
    .await;
    assert!(heads[0].starts_with("HTTP/1.1 413"), "{}", heads[0]);
    assert!(heads[1].starts_with("HTTP/1.1 200"), "{}", heads[1]);

    // Beyond what the server is willing to read it says so and closes; a
    // client still writing may see the close before the answer. Either
    // way the next request goes over a new connection.
    let huge = vec![b' '; 4 * 1024 * 1024];
    let sent = api
        .request(Method::POST, "/api/tasks")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await;
    match sent {
        Ok(response) => {
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
            assert_eq!(response.headers()["connection"], "close");
        }
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    assert_eq!(task_count(&api).await, 0);
}

async fn create_expecting_field(api: &ApiClient, body: Value, field: &str) {
    let error = expect_invalid(send_json(api, Method::POST, "/api/tasks", &body).await).await;
    assert_eq!(field_names(&error), [field], "body {body}");
}

async fn invalid_task_fields_are_422_each(ctx: TestCtx) {
    let (api, _) = ctx.user("fields").await;
    let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    let cases = [
        (json!({"title": "x", "priority": "urgent"}), "priority"),
        (json!({"title": "x", "priority": "HIGH"}), "priority"),
        (json!({"title": "   "}), "title"),
        (json!({"title": "\t\n"}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({}), "title"),
        (json!({"title": 5}), "title"),
        (json!({"title": "x", "tags": eleven}), "tags"),
        (json!({"title": "x", "tags": ["Has Space"]}), "tags"),
        (json!({"title": "x", "tags": ["UPPER"]}), "tags"),
        (json!({"title": "x", "tags": ["ok", ""]}), "tags"),
        (json!({"title": "x", "tags": ["x".repeat(33)]}), "tags"),
        (json!({"title": "x", "tags": "home"}), "tags"),
        (json!({"title": "x", "due_date": "2025-13-01"}), "due_date"),
        (json!({"title": "x", "due_date": "tomorrow"}), "due_date"),
        (json!({"title": "x", "due_date": "2025-02-30"}), "due_date"),
        (
            json!({"title": "x", "description": "d".repeat(2001)}),
            "description",
        ),
        (json!({"title": "x", "completed": "yes"}), "completed"),
        (
            json!({"title": "x", "owner_id": "someone-else"}),
            "owner_id",
        ),
    ];
    for (body, field) in cases {
        create_expecting_field(&api, body, field).await;
    }
    assert_eq!(task_count(&api).await, 0);
    // The boundaries themselves are accepted.
    let ten: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    api.create_task(&NewTask {
        title: "é".repeat(200),
        tags: ten,
        description: Some("d".repeat(2000)),
        ..NewTask::default()
    })
    .await
    .unwrap();
}

async fn every_invalid_field_is_listed_at_once(ctx: TestCtx) {
    let (api, _) = ctx.user("all-at-once").await;
    let body =
        json!({"title": "", "priority": "p0", "due_date": "soon", "tags": ["A"], "colour": "red"});
    let error = expect_invalid(send_json(&api, Method::POST, "/api/tasks", &body).await).await;
    assert_eq!(
        field_names(&error),
        ["colour", "due_date", "priority", "tags", "title"]
    );
    assert_eq!(error.error.fields["title"], "must not be empty");
}

async fn an_invalid_patch_changes_nothing(ctx: TestCtx) {
    let (api, _) = ctx.user("bad-patch").await;
    let task = api
        .create_task(&NewTask {
            title: "unchanged".into(),
            ..NewTask::default()
        })
        .await
        .unwrap();
    let path = format!("/api/tasks/{}", task.id);
    // One good field and one bad: neither is applied.
    let error = expect_invalid(
        send_json(
            &api,
            Method::PATCH,
            &path,
            &json!({"title": "changed", "priority": "extreme"}),
        )
        .await,
    )
    .await;
    assert_eq!(field_names(&error), ["priority"]);
    expect_invalid(send_json(&api, Method::PATCH, &path, &json!({"title": null})).await).await;
    let response = api
        .request(Method::PATCH, &path)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::MalformedBody).await;
    assert_eq!(api.get_task(task.id).await.unwrap(), task);
}

async fn bad_list_parameters_are_422(ctx: TestCtx) {
    let (api, _) = ctx.user("params").await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("status=done", "status"),
        ("sort=owner_id", "sort"),
        ("order=sideways", "order"),
        ("priority=urgent", "priority"),
        ("due_before=2025-02-30", "due_before"),
        ("tag=Not%20A%20Tag", "tag"),
        ("colour=red", "colour"),
    ];
    for (query, field) in cases {
        let response = api
            .request(Method::GET, &format!("/api/tasks?{query}"))
            .send()
            .await
            .unwrap();
        let error = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        )
        .await;
        assert_eq!(field_names(&error), [field], "query {query}");
    }
    let ok = api
        .request(Method::GET, "/api/tasks?limit=100&offset=0")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}

async fn a_non_uuid_task_id_is_404(ctx: TestCtx) {
    let (api, _) = ctx.user("bad-id").await;
    api.create_task(&NewTask {
        title: "bystander".into(),
        ..NewTask::default()
    })
    .await
    .unwrap();
    for id in [
        "not-a-uuid",
        "1",
        "00000000-0000-0000-0000-00000000000g",
        "%27%20OR%201%3D1",
    ] {
        let path = format!("/api/tasks/{id}");
        let get = api.request(Method::GET, &path).send().await.unwrap();
        expect_error(get, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
        let patch = api
            .request(Method::PATCH, &path)
            .json(&json!({"completed": true}))
            .send()
            .await
            .unwrap();
        expect_error(patch, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
        let delete = api.request(Method::DELETE, &path).send().await.unwrap();
        expect_error(delete, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
    assert_eq!(task_count(&api).await, 1);
    let list = api.list_tasks(&ListQuery::default()).await.unwrap();
    assert!(!list.items[0].completed);
}

async fn unknown_routes_and_methods_use_the_error_shape(ctx: TestCtx) {
    let response = ctx
        .api
        .request(Method::GET, "/api/nothing-here")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let response = ctx
        .api
        .request(Method::PUT, "/api/tasks")
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
    )
    .await;
}
