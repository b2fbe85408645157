//! The Account page without JavaScript, against a real backend: sessions
//! listed and logged out, personal access tokens created (shown once)
//! and revoked, the password changed, the account deleted.

mod support;

use reqwest::StatusCode;
use support::{PASSWORD, Page, Stack, Web};
use todo_api::{ApiClient, ListQuery, NewTask};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// Two browsers logged in to one new account: (first, second, email).
async fn two_browsers(stack: &Stack) -> (Web, Web, String) {
    let mut first = Web::new(&stack.url);
    first.user_agent = Some(FIREFOX.to_owned());
    let email = first.sign_up("Ada").await;
    let mut second = Web::new(&stack.url);
    second.user_agent = Some(CHROME.to_owned());
    second.log_in(&email, PASSWORD).await;
    (first, second, email)
}

/// The ids in `/account/{kind}/{id}/revoke` form actions on the page.
fn revoke_ids(page: &Page, kind: &str) -> Vec<String> {
    let prefix = format!("action=\"/account/{kind}/");
    page.body
        .match_indices(&prefix)
        .filter_map(|(at, _)| page.body.get(at + prefix.len()..at + prefix.len() + 36))
        .filter(|id| uuid::Uuid::try_parse(id).is_ok())
        .map(str::to_owned)
        .collect()
}

/// The value of the read-only field holding a just-created token.
fn shown_token(page: &Page) -> String {
    let at = page
        .body
        .find("id=\"new-token-value\"")
        .unwrap_or_else(|| panic!("no new token on the page:\n{}", page.body));
    let value = &page.body[at..];
    let start = value.find("value=\"").expect("a value") + 7;
    let end = start + value[start..].find('"').expect("a closing quote");
    value[start..end].to_owned()
}

#[tokio::test]
async fn the_account_page_shows_the_account_and_each_session() {
    let stack = Stack::start().await;
    let (mut first, _second, email) = two_browsers(&stack).await;

    first
        .get("/tasks")
        .await
        .has("<a class=\"button button-quiet\" href=\"/account\" id=\"account-link\">Account</a>");
    let page = first.get("/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(page.count("<h1"), 1);
    page.has("<title>Account · Todo</title>")
        .has("Ada")
        .has(&email)
        .has("Member since")
        .has("<h2 id=\"sessions-title\">Sessions</h2>")
        .has("Firefox on Linux")
        .has("Chrome on Windows")
        .has("Gecko/20100101 Firefox/128.0")
        .has("Logged in")
        .has("Last used")
        .has("Expires")
        .has("<time datetime=\"")
        .has("No tokens yet.")
        // Every field has its label.
        .has("<label for=\"name\">Token name</label>")
        .has("<label for=\"scope-0\">Read only (tasks:read)</label>")
        .has("<label for=\"scope-1\">Read and write (tasks:read tasks:write)</label>")
        .has("<legend>Access</legend>")
        .has("<label for=\"expires_in_days\">Expires after</label>")
        .has("<label for=\"current_password\">Current password</label>")
        .has("<label for=\"new_password\">New password</label>")
        .has("<label for=\"confirm_password\">New password, again</label>")
        .has("<label for=\"password\">Your password</label>")
        .has("<label for=\"confirm\">")
        .lacks("value=\"correct horse");
    assert_eq!(page.count("id=\"session-"), 2, "two logins");
    assert_eq!(page.count("This device"), 1);
    // A Log out button for the other session only, and one for all others.
    assert_eq!(revoke_ids(&page, "sessions").len(), 1);
    page.has("aria-label=\"Log out Chrome on Windows, logged in ")
        .has("action=\"/account/sessions/revoke-others#sessions\"");
    // The current session is the first browser's, listed with its badge.
    let current = page.body.find("This device").unwrap();
    let firefox = page.body.find("Firefox on Linux").unwrap();
    let chrome = page.body.find("Chrome on Windows").unwrap();
    assert!(firefox.abs_diff(current) < chrome.abs_diff(current));
}

#[tokio::test]
async fn log_out_everywhere_else_ends_every_other_session() {
    let stack = Stack::start().await;
    let (mut first, mut second, email) = two_browsers(&stack).await;
    let mut third = Web::new(&stack.url);
    third.log_in(&email, PASSWORD).await;
    assert_eq!(first.get("/account").await.count("id=\"session-"), 3);

    first
        .post("/account/sessions/revoke-others", &[])
        .await
        .redirects_to("/account?others_ended=2#sessions");
    let page = first.get("/account?others_ended=2").await;
    page.has("Logged out 2 other sessions")
        .has("<title>Other sessions logged out · Account · Todo</title>")
        .lacks("id=\"revoke-others\"");
    assert_eq!(page.count("id=\"session-"), 1);

    for other in [&mut second, &mut third] {
        other.get("/tasks").await.redirects_to("/login?expired=1");
    }
    first.get("/tasks").await.has("Ada");

    // With nobody else left, it says so.
    first
        .post("/account/sessions/revoke-others", &[])
        .await
        .redirects_to("/account?others_ended=0#sessions");
    first
        .get("/account?others_ended=0")
        .await
        .has("There were no other sessions to log out.");
}

#[tokio::test]
async fn one_session_is_logged_out_by_its_button() {
    let stack = Stack::start().await;
    let (mut first, mut second, _) = two_browsers(&stack).await;
    let page = first.get("/account").await;
    let [other] = revoke_ids(&page, "sessions").try_into().unwrap();

    let revoke = format!("/account/sessions/{other}/revoke");
    first
        .post(&revoke, &[])
        .await
        .redirects_to("/account?session_ended=1#sessions");
    second.get("/tasks").await.redirects_to("/login?expired=1");
    let page = first.get("/account?session_ended=1").await;
    page.has("That session is logged out");
    assert_eq!(page.count("id=\"session-"), 1);

    // A second click finds it gone: what was asked for is true.
    first
        .post(&revoke, &[])
        .await
        .redirects_to("/account?session_ended=1#sessions");
    let page = first.post("/account/sessions/not-an-id/revoke", &[]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    first.get("/tasks").await.has("Ada");
}

#[tokio::test]
async fn a_new_token_is_shown_once_reads_but_cannot_write_and_can_be_revoked() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Tokens").await;
    web.post("/tasks", &[("title", "Readable"), ("back", "/tasks")])
        .await
        .redirects_to("/tasks");

    let page = web
        .post(
            "/account/tokens",
            &[
                ("name", "MCP on my laptop"),
                ("scope", "tasks:read"),
                ("expires_in_days", "30"),
            ],
        )
        .await;
    // The answer is the page itself: nothing to follow, nothing to store.
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.location().is_none());
    assert!(page.headers.get("set-cookie").is_none());
    assert_eq!(page.headers["cache-control"], "no-store");
    let token = shown_token(&page);
    assert!(token.len() >= 20, "{token}");
    page.has("<title>Token created · Account · Todo</title>")
        .has("Your new token “MCP on my laptop”")
        .has("Copy it now: it will not be shown again.")
        .has("Authorization: Bearer &lt;token&gt;")
        .has("/mcp")
        .has("Read only");
    assert_eq!(page.count(&token), 1, "the token appears once");

    let later = web.get("/account").await;
    later
        .lacks(&token)
        .lacks("new-token-value")
        .has("MCP on my laptop")
        .has("Read only")
        .has("aria-label=\"Revoke token “MCP on my laptop”\"");
    let [id] = revoke_ids(&later, "tokens").try_into().unwrap();

    // It reads tasks through the API, and may not write.
    let api = ApiClient::new(&stack.backend_url).with_token(&token);
    let tasks = api.list_tasks(&ListQuery::default()).await.unwrap();
    assert_eq!(tasks.items[0].title, "Readable");
    let write = api
        .create_task(&NewTask {
            title: "Not allowed".into(),
            description: None,
            priority: None,
            due_date: None,
            tags: vec![],
            completed: None,
            ..NewTask::default()
        })
        .await
        .unwrap_err();
    assert_eq!(write.status(), Some(StatusCode::FORBIDDEN));

    web.post(&format!("/account/tokens/{id}/revoke"), &[])
        .await
        .redirects_to("/account?token_revoked=1#tokens");
    web.get("/account?token_revoked=1")
        .await
        .has("The token is revoked")
        .has("No tokens yet.")
        .lacks("MCP on my laptop");
    let refused = api.list_tasks(&ListQuery::default()).await.unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn bad_token_forms_come_back_with_their_errors_and_names_stay_text() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Careful").await;

    let page = web
        .post(
            "/account/tokens",
            &[
                ("name", "  "),
                ("scope", "tasks:write"),
                ("expires_in_days", "366"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("<title>Not saved · Account · Todo</title>")
        .has("id=\"name-error\"")
        .has("id=\"scope-error\"")
        .has("id=\"expires_in_days-error\"")
        .has("Nothing was changed")
        .lacks("new-token-value");

    // What only the backend checks comes back next to its field too.
    let long = "n".repeat(101);
    let page = web
        .post(
            "/account/tokens",
            &[
                ("name", &long),
                ("scope", "tasks:read tasks:write"),
                ("expires_in_days", "7"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"name-error\"")
        .has(&format!("value=\"{long}\""))
        // The choices made are kept.
        .has("value=\"tasks:read tasks:write\" checked")
        .has("<option value=\"7\" selected>");
    web.get("/account").await.has("No tokens yet.");

    // A name is text, wherever it is shown.
    let page = web
        .post(
            "/account/tokens",
            &[
                ("name", "<script>alert(1)</script>"),
                ("scope", "tasks:read"),
                ("expires_in_days", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    page.has("&lt;script&gt;alert(1)&lt;/script&gt;")
        .lacks("<script>alert(1)");
    web.get("/account")
        .await
        .has("Revoke token “&lt;script&gt;alert(1)&lt;/script&gt;”")
        .lacks("<script>alert(1)");
}

#[tokio::test]
async fn changing_the_password_checks_it_then_logs_out_the_other_sessions() {
    let stack = Stack::start().await;
    let (mut first, mut second, email) = two_browsers(&stack).await;

    let page = first
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new secret phrase"),
                ("confirm_password", "a new secret phrse"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"confirm_password-error\"")
        .has("Does not match the new password")
        .lacks("a new secret");

    let page = first
        .post(
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("new_password", "a new secret phrase"),
                ("confirm_password", "a new secret phrase"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"current_password-error\"")
        .has("Is not your current password")
        .has("aria-describedby=\"current_password-error\"");

    let page = first
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"new_password-error\"");
    // Nothing changed so far: the other browser is still in.
    second.get("/tasks").await.has("Ada");

    first
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new secret phrase"),
                ("confirm_password", "a new secret phrase"),
            ],
        )
        .await
        .redirects_to("/account?password_changed=1#password");
    let page = first.get("/account?password_changed=1").await;
    page.has("Your password is changed")
        .has("<title>Password changed · Account · Todo</title>");
    assert_eq!(page.count("id=\"session-"), 1);
    second.get("/tasks").await.redirects_to("/login?expired=1");

    let mut third = Web::new(&stack.url);
    let old = third
        .post("/login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    third.log_in(&email, "a new secret phrase").await;
}

#[tokio::test]
async fn deleting_the_account_needs_the_box_and_the_right_password() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    let email = web.sign_up("Goodbye").await;
    let old = web.session.clone().unwrap();

    let page = web.post("/account/delete", &[("password", PASSWORD)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"confirm-error\"");

    let page = web
        .post(
            "/account/delete",
            &[("password", "wrong password"), ("confirm", "on")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"password-error\"")
        .has("Is not your current password");
    web.get("/tasks").await.has("Goodbye");

    let page = web
        .post(
            "/account/delete",
            &[("password", PASSWORD), ("confirm", "on")],
        )
        .await;
    page.redirects_to("/login?account_deleted=1");
    assert!(web.session.is_none(), "the cookie is cleared");
    web.get("/login?account_deleted=1")
        .await
        .has("have been deleted. Goodbye!");

    web.session = Some(old);
    web.get("/tasks").await.redirects_to("/login?expired=1");
    let login = Web::new(&stack.url)
        .post("/login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cross_site_posts_to_the_account_change_nothing() {
    let stack = Stack::start().await;
    let (mut first, mut second, _) = two_browsers(&stack).await;
    let page = first.get("/account").await;
    let [other] = revoke_ids(&page, "sessions").try_into().unwrap();

    let revoke = format!("/account/sessions/{other}/revoke");
    for (path, form) in [
        (revoke.as_str(), vec![]),
        ("/account/sessions/revoke-others", vec![]),
        (
            "/account/tokens",
            vec![
                ("name", "stolen"),
                ("scope", "tasks:read tasks:write"),
                ("expires_in_days", "365"),
            ],
        ),
        (
            "/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", "attacker chosen"),
                ("confirm_password", "attacker chosen"),
            ],
        ),
        (
            "/account/delete",
            vec![("password", PASSWORD), ("confirm", "on")],
        ),
    ] {
        for origin in [Some("http://evil.example"), None] {
            let page = first.post_from(path, &form, origin).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} from {origin:?}");
        }
    }
    let page = first.get("/account").await;
    assert_eq!(page.count("id=\"session-"), 2);
    page.has("No tokens yet.");
    second.get("/tasks").await.has("Ada");
}

/// The usage section's figure for `what`: "12 of 10,000", "Up to 2,000".
fn usage_of(page: &Page, what: &str) -> String {
    let label = format!("<dt>{what}</dt><dd>");
    let at = page
        .body
        .find(&label)
        .unwrap_or_else(|| panic!("no usage of {what} on the page:\n{}", page.body));
    let figure = &page.body[at + label.len()..];
    figure[..figure.find("</dd>").expect("a closing dd")].to_owned()
}

#[tokio::test]
async fn the_usage_section_counts_what_the_account_holds() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Counted").await;
    let api = ApiClient::new(&stack.backend_url).with_token(web.session.as_deref().unwrap());
    let limits = api.usage().await.unwrap();

    let page = web.get("/account").await;
    page.has("<section id=\"usage\" aria-labelledby=\"usage-title\" class=\"card\">")
        .has("<h2 id=\"usage-title\">Usage</h2>");
    let tasks_limit = usage_of(&page, "Tasks")
        .strip_prefix("0 of ")
        .expect("no tasks yet")
        .to_owned();
    // Thousands are grouped, and the figure is the API's.
    assert_eq!(tasks_limit.replace(',', ""), limits.tasks.limit.to_string());
    assert_eq!(tasks_limit.contains(','), limits.tasks.limit >= 1000);
    let conversations_limit = usage_of(&page, "Conversations")
        .strip_prefix("0 of ")
        .expect("no conversations yet")
        .to_owned();
    assert_eq!(
        conversations_limit.replace(',', ""),
        limits.conversations.limit.to_string()
    );
    let messages = usage_of(&page, "Messages per conversation");
    assert_eq!(
        messages.replace(',', ""),
        format!("Up to {}", limits.messages_per_conversation)
    );
    let tags = usage_of(&page, "Tags per task");
    assert_eq!(tags, format!("Up to {}", limits.tags_per_task));

    // A task from the form and one from the assistant, in a conversation.
    web.post("/tasks", &[("title", "Counted once"), ("back", "/tasks")])
        .await
        .redirects_to("/tasks");
    assert_eq!(
        usage_of(&web.get("/account").await, "Tasks"),
        format!("1 of {tasks_limit}")
    );
    let sent = web
        .post("/assistant", &[("message", "add counted twice")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let page = web.get("/account").await;
    assert_eq!(usage_of(&page, "Tasks"), format!("2 of {tasks_limit}"));
    assert_eq!(
        usage_of(&page, "Conversations"),
        format!("1 of {conversations_limit}")
    );
}

#[tokio::test]
async fn the_account_page_exports_the_data_and_imports_a_file() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Ada").await;
    let api = ApiClient::new(&stack.backend_url).with_token(web.session.as_deref().unwrap());
    api.create_task(&NewTask {
        title: "exported task".into(),
        tags: vec!["home".into()],
        ..NewTask::default()
    })
    .await
    .unwrap();

    let page = web.get("/account").await;
    page.has("<h2 id=\"data-title\">Your data</h2>")
        .has("href=\"/account/export\"")
        .has("Export my data")
        .has("enctype=\"multipart/form-data\"")
        .has("action=\"/account/import#data\"")
        .has("<label for=\"import-file\">");

    // The export is a download of the backend's document, named after
    // the day it was asked for, passed on as it comes (no length known).
    let before = today();
    let download = web.get("/account/export").await;
    let after = today();
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.headers["content-type"], "application/json");
    assert_eq!(download.headers["cache-control"], "no-store");
    assert!(download.headers.get("content-length").is_none());
    let disposition = download.headers["content-disposition"].to_str().unwrap();
    assert!(
        [before, after]
            .iter()
            .any(|day| disposition == format!("attachment; filename=\"todo-export-{day}.json\"")),
        "{disposition}"
    );
    let document: serde_json::Value = serde_json::from_str(&download.body).unwrap();
    assert_eq!(document["format"], "todo-export");
    assert_eq!(document["tasks"][0]["title"], "exported task");

    // Imported into another account, through the form.
    let mut other = Web::new(&stack.url);
    other.sign_up("Grace").await;
    let imported = other
        .post_file("/account/import", "file", download.body.as_bytes())
        .await;
    imported.redirects_to("/account?imported_tasks=1&imported_conversations=0#data");
    other
        .get("/account?imported_tasks=1&imported_conversations=0")
        .await
        .has("Imported 1 task and 0 conversations.");
    let others = ApiClient::new(&stack.backend_url).with_token(other.session.as_deref().unwrap());
    let tasks = others.list_tasks(&ListQuery::default()).await.unwrap();
    assert_eq!(tasks.items.len(), 1);
    assert_eq!(tasks.items[0].tags, vec!["home"]);

    // A file the backend refuses comes back as a message; nothing is added.
    let mut wrong = document.clone();
    wrong["version"] = serde_json::json!(7);
    let refused = other
        .post_file("/account/import", "file", wrong.to_string().as_bytes())
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.has("Nothing was imported").has("version");
    let not_json = other
        .post_file("/account/import", "file", b"these are not my tasks")
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    not_json.has("not an export");
    let empty = other.post_file("/account/import", "file", b"").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.has("Choose an export file");
    let tasks = others.list_tasks(&ListQuery::default()).await.unwrap();
    assert_eq!(tasks.items.len(), 1);
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// A client acting for `web`'s account straight at the backend.
fn backend_api(stack: &Stack, web: &Web) -> ApiClient {
    ApiClient::new(&stack.backend_url).with_token(web.session.as_deref().unwrap())
}

/// Imports `imports` documents of 850 completed tasks, each with 2,000
/// four-byte characters of description (under the 8 MiB an import may
/// be): an export many times what the sockets on its way buffer.
async fn fill_large(api: &ApiClient, imports: usize) -> usize {
    let per_import = 850;
    let description = "😀".repeat(todo_api::limits::DESCRIPTION_MAX_CHARS);
    for i in 0..imports {
        let tasks: Vec<serde_json::Value> = (0..per_import)
            .map(|j| {
                serde_json::json!({"title": format!("bulk {i}.{j}"), "description": description,
                                   "completed": true})
            })
            .collect();
        let document = serde_json::json!({"format": "todo-export", "version": 1, "tasks": tasks});
        api.import_json(document.to_string().into_bytes())
            .await
            .unwrap();
    }
    imports * per_import
}

/// Reads the rest of `response` onto `bytes`; an error when the body
/// ended before its end.
async fn read_rest(response: &mut reqwest::Response, bytes: &mut Vec<u8>) -> reqwest::Result<()> {
    while let Some(chunk) = response.chunk().await? {
        bytes.extend_from_slice(&chunk);
    }
    Ok(())
}

#[tokio::test]
async fn an_export_of_many_pages_is_passed_on_whole_as_it_arrives() {
    // Two rows a backend page: every list spans several.
    let stack = Stack::start_with(&[("EXPORT_PAGE_ROWS", "2")]).await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Ada").await;
    let api = backend_api(&stack, &web);
    for i in 0..7 {
        api.create_task(&NewTask {
            title: format!("task {i}"),
            ..NewTask::default()
        })
        .await
        .unwrap();
    }
    for i in 0..3 {
        web.post("/assistant", &[("message", &format!("add chat task {i}"))])
            .await;
    }
    let download = web.get("/account/export").await;
    assert_eq!(download.status, StatusCode::OK);
    let mut through_frontend: serde_json::Value = serde_json::from_str(&download.body).unwrap();
    let mut straight: serde_json::Value =
        serde_json::to_value(api.export().await.unwrap()).unwrap();
    for document in [&mut through_frontend, &mut straight] {
        document.as_object_mut().unwrap().remove("exported_at");
    }
    assert_eq!(through_frontend, straight);
    assert_eq!(straight["tasks"].as_array().unwrap().len(), 10);
    assert_eq!(straight["conversations"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_export_is_read_from_the_backend_only_as_the_browser_reads_it() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Ada").await;
    let api = backend_api(&stack, &web);
    let total = fill_large(&api, 5).await;
    let mut held = web.open("/account/export").await;
    assert_eq!(held.status(), StatusCode::OK);
    let mut bytes = held.chunk().await.unwrap().expect("a first chunk").to_vec();
    // Held, then the account emptied: what neither server had read yet
    // is not in what follows.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(api.clear_completed().await.unwrap().deleted as usize, total);
    read_rest(&mut held, &mut bytes).await.unwrap();
    let document: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let sent = document["tasks"].as_array().unwrap().len();
    assert!(sent > 0, "the first chunk held tasks");
    // Ahead of the browser by what the sockets between buffer (two hops
    // of a few MB), not the whole 35 MB.
    assert!(
        sent < total / 2,
        "{sent} of {total} tasks were read before the browser asked for them"
    );
}

#[tokio::test]
async fn an_export_the_backend_cannot_finish_is_a_failed_download() {
    let stack = Stack::start_with(&[("EXPORT_TIME_LIMIT_SECONDS", "1")]).await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Ada").await;
    // About 34 MB: more than loopback's socket buffers take in before
    // the one-second limit (20 MB sometimes all fit, and the export
    // finished in time).
    fill_large(&backend_api(&stack, &web), 5).await;
    let mut held = web.open("/account/export").await;
    assert_eq!(held.status(), StatusCode::OK);
    let mut bytes = held.chunk().await.unwrap().expect("a first chunk").to_vec();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let ended = read_rest(&mut held, &mut bytes).await;
    assert!(ended.is_err(), "the download ended as if whole");
    assert!(
        serde_json::from_slice::<serde_json::Value>(&bytes).is_err(),
        "what came is a document"
    );
}
