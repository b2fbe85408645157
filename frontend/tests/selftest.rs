//! `todo-frontend selftest`, the frontend's Helm test, against a
//! live stack: it passes, cleans up its account, and fails with the step
//! named when the frontend refuses its form posts.

mod support;

use support::Stack;
use todo_frontend::selftest::{FrontendWalk, Walk, run};

#[tokio::test]
async fn the_frontend_walk_passes_and_deletes_its_account() {
    let stack = Stack::start().await;
    let target = FrontendWalk {
        frontend: &stack.url,
        backend: &stack.backend_url,
        origin: None,
        walk: Walk { chat: true },
    };
    // The walk fails when deleting its account through the backend fails.
    run(target.clone()).await.expect("the walk passes");
    // Twice in a row: nothing left over makes the second run differ.
    run(target).await.expect("the walk passes again");
}

#[tokio::test]
async fn a_refused_form_post_fails_the_walk_at_that_step() {
    let stack = Stack::start().await;
    let mismatch = run(FrontendWalk {
        frontend: &stack.url,
        backend: &stack.backend_url,
        origin: Some("https://elsewhere.example"),
        walk: Walk { chat: false },
    })
    .await
    .expect_err("a cross-site origin is refused");
    assert_eq!(mismatch.step, "sign up through the form");
    assert!(mismatch.detail.contains("403"), "{}", mismatch.detail);
}
