//! Cancellation safety: clients that hang up mid-request never cost a write
//! that was acknowledged, never leave one half-applied, and never leave a
//! pooled connection inside a transaction.
//!
//! Each round fires concurrent signups, creates, updates, deletes and
//! clear-completed, and abandons a random share of them mid-request (the
//! client drops the connection). Then it checks that no connection of the
//! backend is left idle in a transaction, stops the backend (so anything
//! uncommitted is rolled back), starts a new one on the same database and
//! compares every task with what the clients were told.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use sqlx::{Connection, PgConnection};
use todo_api::{
    ApiClient, ClientError, ListQuery, LoginRequest, NewTask, Priority, SignupRequest, Task,
    TaskPatch,
};
use uuid::Uuid;

use crate::cases;
use crate::support::{
    Backend, RunningApp, TestCtx, TestDatabase, TestFn, connections_in_transaction, test_config,
};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![acknowledged_writes_survive_clients_that_hang_up]
}

const ROUNDS: usize = 8;
const SIGNUPS_PER_ROUND: usize = 3;
const TASK_OPS_PER_ROUND: usize = 200;
const PASSWORD: &str = "correct horse battery";
/// Requests in flight at once.
const WAVE: usize = 8;
/// An abandoned request is dropped this soon after it was sent, at most.
const ABORT_WITHIN_MICROS: u64 = 5_000;

/// A small deterministic generator: the same seed replays the same rounds.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What the clients know about one account.
struct Account {
    email: String,
    token: String,
    tasks: BTreeMap<Uuid, Task>,
}

enum Op {
    Signup {
        email: String,
    },
    Create {
        account: usize,
        draft: NewTask,
    },
    Update {
        account: usize,
        id: Uuid,
        patch: TaskPatch,
    },
    Delete {
        account: usize,
        id: Uuid,
    },
    ClearCompleted {
        account: usize,
    },
}

/// How a request ended for the client.
enum Outcome<T> {
    /// 2xx: the write must be in the database exactly as answered.
    Acknowledged(T),
    /// Dropped mid-request, or answered with an error: either nothing or
    /// the whole write happened.
    Unknown,
}

enum Done {
    Signup(String, Outcome<String>),
    Create(usize, NewTask, Outcome<Task>),
    Update(usize, Uuid, TaskPatch, Outcome<Task>),
    Delete(usize, Uuid, Outcome<()>),
    ClearCompleted(usize, Outcome<u64>),
}

/// Sends `call` through the typed client and waits for the answer.
async fn attempt<T>(call: impl Future<Output = Result<T, ClientError>>) -> Outcome<T> {
    match call.await {
        Ok(value) => Outcome::Acknowledged(value),
        Err(_) => Outcome::Unknown,
    }
}

/// Sends a request on a connection of its own and hangs up `after` it was
/// written, whatever the server is doing by then.
async fn hang_up<T>(
    address: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
    after: Duration,
) -> Outcome<T> {
    use tokio::io::AsyncWriteExt;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or_default();
    request.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is sent");
    tokio::time::sleep(after).await;
    drop(stream);
    Outcome::Unknown
}

fn random_tags(rng: &mut Rng) -> Vec<String> {
    (0..rng.below(4))
        .map(|i| format!("tag-{}-{i}", rng.below(5)))
        .collect()
}

fn random_draft(rng: &mut Rng, round: usize) -> NewTask {
    NewTask {
        title: format!("task {round}-{}", Uuid::new_v4().simple()),
        description: rng.chance(50).then(|| "with a description".to_owned()),
        priority: Some(Priority::ALL[rng.below(3) as usize]),
        due_date: None,
        tags: random_tags(rng),
        completed: Some(rng.chance(30)),
        ..NewTask::default()
    }
}

fn random_patch(rng: &mut Rng) -> TaskPatch {
    TaskPatch {
        title: rng
            .chance(50)
            .then(|| format!("renamed {}", rng.next() % 1000)),
        description: rng.chance(30).then_some(None),
        completed: Some(rng.chance(50)),
        priority: rng.chance(50).then(|| Priority::ALL[rng.below(3) as usize]),
        due_date: None,
        tags: Some(random_tags(rng)),
        ..TaskPatch::default()
    }
}

/// One round's operations: every task is touched at most once, and an
/// account that clears its completed tasks does nothing else that round.
fn plan(rng: &mut Rng, round: usize, accounts: &[Account]) -> Vec<Op> {
    let mut ops: Vec<Op> = (0..SIGNUPS_PER_ROUND)
        .map(|_| Op::Signup {
            email: format!("user-{}@example.com", Uuid::new_v4().simple()),
        })
        .collect();
    if accounts.is_empty() {
        return ops;
    }
    let clearing = rng.below(accounts.len() as u64) as usize;
    ops.push(Op::ClearCompleted { account: clearing });
    let mut touched: Vec<Uuid> = Vec::new();
    for _ in 0..TASK_OPS_PER_ROUND {
        let account = rng.below(accounts.len() as u64) as usize;
        if account == clearing {
            continue;
        }
        let existing: Vec<Uuid> = accounts[account]
            .tasks
            .keys()
            .filter(|id| !touched.contains(id))
            .copied()
            .collect();
        let pick = rng.below(10);
        if existing.is_empty() || pick < 5 {
            ops.push(Op::Create {
                account,
                draft: random_draft(rng, round),
            });
            continue;
        }
        let id = existing[rng.below(existing.len() as u64) as usize];
        touched.push(id);
        ops.push(if pick < 8 {
            Op::Update {
                account,
                id,
                patch: random_patch(rng),
            }
        } else {
            Op::Delete { account, id }
        });
    }
    ops
}

/// The one client of a round: typed calls for requests that are answered,
/// a raw connection for those the client abandons.
#[derive(Clone)]
struct Client {
    api: ApiClient,
    address: String,
    tokens: Vec<String>,
}

impl Client {
    fn as_account(&self, account: usize) -> ApiClient {
        self.api.with_token(&self.tokens[account])
    }

    async fn execute(self, op: Op, abort: Option<Duration>) -> Done {
        let json = |value: &dyn erased::Json| Some(value.to_json());
        match op {
            Op::Signup { email } => {
                let request = SignupRequest {
                    email: email.clone(),
                    password: PASSWORD.into(),
                    name: "Hangs Up".into(),
                    time_zone: None,
                };
                let outcome = match abort {
                    // Hashing the password dominates a signup: hang up across it.
                    Some(after) => {
                        let path = "/api/auth/signup";
                        hang_up(
                            &self.address,
                            "POST",
                            path,
                            None,
                            json(&request),
                            after * 20,
                        )
                        .await
                    }
                    None => match attempt(self.api.signup(&request)).await {
                        Outcome::Acknowledged(auth) => Outcome::Acknowledged(auth.token),
                        Outcome::Unknown => Outcome::Unknown,
                    },
                };
                Done::Signup(email, outcome)
            }
            Op::Create { account, draft } => {
                let outcome = match abort {
                    Some(after) => {
                        let token = Some(self.tokens[account].as_str());
                        hang_up(
                            &self.address,
                            "POST",
                            "/api/tasks",
                            token,
                            json(&draft),
                            after,
                        )
                        .await
                    }
                    None => attempt(self.as_account(account).create_task(&draft)).await,
                };
                Done::Create(account, draft, outcome)
            }
            Op::Update { account, id, patch } => {
                let outcome = match abort {
                    Some(after) => {
                        let token = Some(self.tokens[account].as_str());
                        let path = format!("/api/tasks/{id}");
                        hang_up(&self.address, "PATCH", &path, token, json(&patch), after).await
                    }
                    None => attempt(self.as_account(account).update_task(id, &patch)).await,
                };
                Done::Update(account, id, patch, outcome)
            }
            Op::Delete { account, id } => {
                let outcome = match abort {
                    Some(after) => {
                        let token = Some(self.tokens[account].as_str());
                        let path = format!("/api/tasks/{id}");
                        hang_up(&self.address, "DELETE", &path, token, None, after).await
                    }
                    None => attempt(self.as_account(account).delete_task(id)).await,
                };
                Done::Delete(account, id, outcome)
            }
            Op::ClearCompleted { account } => {
                let outcome = match abort {
                    Some(after) => {
                        let token = Some(self.tokens[account].as_str());
                        let path = "/api/tasks/clear-completed";
                        hang_up(&self.address, "POST", path, token, None, after).await
                    }
                    None => {
                        let api = self.as_account(account);
                        attempt(async { api.clear_completed().await.map(|c| c.deleted) }).await
                    }
                };
                Done::ClearCompleted(account, outcome)
            }
        }
    }
}

/// Serialises any request body without naming its type at each call site.
mod erased {
    pub trait Json {
        fn to_json(&self) -> String;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).expect("request bodies serialise")
        }
    }
}

/// Every task of the account, as a fresh backend reads it.
async fn stored_tasks(api: &ApiClient) -> BTreeMap<Uuid, Task> {
    let mut tasks = BTreeMap::new();
    loop {
        let page = api
            .list_tasks(&ListQuery {
                limit: Some(100),
                offset: Some(tasks.len() as u64),
                ..ListQuery::default()
            })
            .await
            .expect("the list works");
        let count = page.items.len();
        tasks.extend(page.items.into_iter().map(|t| (t.id, t)));
        if count < 100 {
            return tasks;
        }
    }
}

/// The task's content, without the timestamp a write sets.
fn content(task: &Task) -> (String, Option<String>, bool, Priority, Vec<String>) {
    (
        task.title.clone(),
        task.description.clone(),
        task.completed,
        task.priority,
        task.tags.clone(),
    )
}

fn patched(before: &Task, patch: &TaskPatch) -> Task {
    let mut after = before.clone();
    if let Some(title) = &patch.title {
        after.title = title.clone();
    }
    if let Some(description) = &patch.description {
        after.description = description.clone();
    }
    if let Some(completed) = patch.completed {
        after.completed = completed;
    }
    if let Some(priority) = patch.priority {
        after.priority = priority;
    }
    if let Some(tags) = &patch.tags {
        let mut unique: Vec<String> = Vec::new();
        for tag in tags {
            if !unique.contains(tag) {
                unique.push(tag.clone());
            }
        }
        after.tags = unique;
    }
    after
}

async fn acknowledged_writes_survive_clients_that_hang_up(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let config = || {
        test_config(
            &database.url,
            &[
                ("LOGIN_ATTEMPTS_PER_MINUTE_PER_CLIENT", "10000"),
                ("LOGIN_ATTEMPTS_PER_MINUTE_PER_EMAIL", "10000"),
            ],
        )
    };
    let mut rng = Rng(0x5eed_2026_1202_0001);
    let mut accounts: Vec<Account> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let (mut acknowledged, mut abandoned) = (0, 0);
    let mut admin = match ctx.backend {
        Backend::Postgres(_) => Some(PgConnection::connect(&database.url).await.expect("connect")),
        _ => None,
    };

    for round in 0..ROUNDS {
        let app = RunningApp::start(config(), ctx.backend.clone()).await;
        let api = app.ctx.api.clone();
        let client = Client {
            api: api.clone(),
            address: api.base_url().trim_start_matches("http://").to_owned(),
            tokens: accounts.iter().map(|a| a.token.clone()).collect(),
        };
        let ops = plan(&mut rng, round, &accounts);
        // Waves a little wider than the pool, so requests reach the
        // database soon; half of them are abandoned somewhere in their
        // first milliseconds: parsing, BEGIN, the inserts, COMMIT.
        let mut done: Vec<Done> = Vec::new();
        let mut ops = ops.into_iter().peekable();
        while ops.peek().is_some() {
            let wave: Vec<_> = ops
                .by_ref()
                .take(WAVE)
                .map(|op| {
                    let abort = rng
                        .chance(50)
                        .then(|| Duration::from_micros(rng.below(ABORT_WITHIN_MICROS)));
                    tokio::spawn(client.clone().execute(op, abort))
                })
                .collect();
            for run in join_all(wave).await {
                done.push(run.expect("the client task"));
            }
            // Caught now, before a later transaction on the same connection
            // commits whatever leaked into it.
            if let Some(admin) = admin.as_mut() {
                let stranded = connections_in_transaction(admin, Duration::from_millis(300)).await;
                if stranded > 0 {
                    problems.push(format!(
                        "round {round}: {stranded} pooled connection(s) left idle in transaction"
                    ));
                }
            }
        }

        app.stop().await;

        // A new backend reads what is really stored.
        let app = RunningApp::start(config(), ctx.backend.clone()).await;
        let api = app.ctx.api.clone();
        let mut before: Vec<BTreeMap<Uuid, Task>> =
            accounts.iter().map(|a| a.tasks.clone()).collect();
        let mut stored: Vec<BTreeMap<Uuid, Task>> = Vec::new();
        for account in &accounts {
            stored.push(stored_tasks(&api.with_token(&account.token)).await);
        }
        for outcome in &done {
            let is_acknowledged = matches!(
                outcome,
                Done::Signup(_, Outcome::Acknowledged(_))
                    | Done::Create(_, _, Outcome::Acknowledged(_))
                    | Done::Update(_, _, _, Outcome::Acknowledged(_))
                    | Done::Delete(_, _, Outcome::Acknowledged(_))
                    | Done::ClearCompleted(_, Outcome::Acknowledged(_))
            );
            if is_acknowledged {
                acknowledged += 1;
            } else {
                abandoned += 1;
            }
        }
        let mut touched: Vec<Uuid> = Vec::new();
        for outcome in done {
            match outcome {
                Done::Signup(email, outcome) => {
                    let login = api
                        .login(&LoginRequest {
                            email: email.clone(),
                            password: PASSWORD.into(),
                        })
                        .await;
                    match (outcome, login) {
                        (Outcome::Acknowledged(token), Ok(_)) => {
                            accounts.push(Account {
                                email,
                                token,
                                tasks: BTreeMap::new(),
                            });
                            before.push(BTreeMap::new());
                            stored.push(BTreeMap::new());
                        }
                        (Outcome::Acknowledged(_), Err(e)) => problems.push(format!(
                            "round {round}: acknowledged signup of {email} is lost ({e})"
                        )),
                        (Outcome::Unknown, Ok(auth)) => {
                            accounts.push(Account {
                                email,
                                token: auth.token,
                                tasks: BTreeMap::new(),
                            });
                            before.push(BTreeMap::new());
                            stored.push(BTreeMap::new());
                        }
                        (Outcome::Unknown, Err(_)) => {}
                    }
                }
                Done::Create(account, draft, outcome) => {
                    let expected = NewTask {
                        completed: draft.completed,
                        ..draft
                    };
                    match outcome {
                        Outcome::Acknowledged(task) => {
                            match stored[account].get(&task.id) {
                                Some(found) if *found == task => {}
                                Some(found) => problems.push(format!(
                                    "round {round}: created task differs from the answer: {found:?} vs {task:?}"
                                )),
                                None => problems.push(format!(
                                    "round {round}: acknowledged create of {:?} is lost",
                                    task.title
                                )),
                            }
                            before[account].insert(task.id, task);
                        }
                        Outcome::Unknown => {
                            // Find it by title among tasks nobody else made.
                            let found = stored[account]
                                .values()
                                .find(|t| {
                                    t.title == expected.title
                                        && !before[account].contains_key(&t.id)
                                })
                                .cloned();
                            if let Some(task) = found {
                                let whole = task.description == expected.description
                                    && Some(task.completed) == expected.completed
                                    && Some(task.priority) == expected.priority
                                    && task.tags == expected.tags;
                                if !whole {
                                    problems.push(format!(
                                        "round {round}: abandoned create is half-applied: {task:?} from {expected:?}"
                                    ));
                                }
                                before[account].insert(task.id, task);
                            }
                        }
                    }
                }
                Done::Update(account, id, patch, outcome) => {
                    touched.push(id);
                    let old = before[account][&id].clone();
                    let found = stored[account].get(&id);
                    match (outcome, found) {
                        (Outcome::Acknowledged(task), Some(found)) if *found == task => {}
                        (Outcome::Acknowledged(task), found) => problems.push(format!(
                            "round {round}: acknowledged update is not what is stored: {found:?} vs {task:?}"
                        )),
                        (Outcome::Unknown, Some(found)) => {
                            let untouched = *found == old;
                            let applied = content(found) == content(&patched(&old, &patch));
                            if !(untouched || applied) {
                                problems.push(format!(
                                    "round {round}: abandoned update is half-applied: {found:?} from {old:?} with {patch:?}"
                                ));
                            }
                        }
                        (Outcome::Unknown, None) => problems.push(format!(
                            "round {round}: an abandoned update deleted the task {id}"
                        )),
                    }
                    before[account].remove(&id);
                }
                Done::Delete(account, id, outcome) => {
                    touched.push(id);
                    let present = stored[account].contains_key(&id);
                    if matches!(outcome, Outcome::Acknowledged(())) && present {
                        problems.push(format!(
                            "round {round}: acknowledged delete of {id} is lost"
                        ));
                    }
                    if present && stored[account][&id] != before[account][&id] {
                        problems.push(format!(
                            "round {round}: an abandoned delete changed the task {id}"
                        ));
                    }
                    before[account].remove(&id);
                }
                Done::ClearCompleted(account, outcome) => {
                    let completed: Vec<Uuid> = before[account]
                        .values()
                        .filter(|t| t.completed)
                        .map(|t| t.id)
                        .collect();
                    let remaining = completed
                        .iter()
                        .filter(|id| stored[account].contains_key(id))
                        .count();
                    match outcome {
                        Outcome::Acknowledged(deleted) => {
                            if remaining > 0 || deleted != completed.len() as u64 {
                                problems.push(format!(
                                    "round {round}: acknowledged clear-completed said {deleted} of {} \
                                     deleted, {remaining} remain",
                                    completed.len()
                                ));
                            }
                        }
                        Outcome::Unknown if remaining != 0 && remaining != completed.len() => {
                            problems.push(format!(
                                "round {round}: abandoned clear-completed is half-applied \
                                 ({remaining} of {} remain)",
                                completed.len()
                            ));
                        }
                        Outcome::Unknown => {}
                    }
                    for id in completed {
                        if let Some(kept) = stored[account].get(&id)
                            && *kept != before[account][&id]
                        {
                            problems.push(format!(
                                "round {round}: clear-completed changed the task {id} it kept"
                            ));
                        }
                        before[account].remove(&id);
                        touched.push(id);
                    }
                }
            }
        }
        // Nothing appeared that no client asked for.
        for (account, tasks) in stored.iter().enumerate() {
            for id in tasks.keys() {
                if !before[account].contains_key(id) && !touched.contains(id) {
                    problems.push(format!("round {round}: task {id} appeared from nowhere"));
                }
            }
        }
        // Tasks no operation touched must be exactly as they were.
        for (account, untouched) in before.iter().enumerate() {
            for (id, task) in untouched {
                if stored[account].get(id) != Some(task) {
                    problems.push(format!(
                        "round {round}: untouched task {id} of {} changed",
                        accounts[account].email
                    ));
                }
            }
        }
        for (account, tasks) in stored.into_iter().enumerate() {
            accounts[account].tasks = tasks;
        }
        app.stop().await;
    }
    if let Some(admin) = admin {
        let _ = admin.close().await;
    }
    database.drop().await;
    assert!(
        acknowledged > 50 && abandoned > 50,
        "the rounds exercised too little: {acknowledged} acknowledged, {abandoned} abandoned"
    );
    let count = |needle: &str| problems.iter().filter(|p| p.contains(needle)).count();
    eprintln!(
        "integrity ({}): {acknowledged} acknowledged and {abandoned} abandoned writes over \
         {ROUNDS} rounds; {} acknowledged lost, {} half-applied, {} stranded",
        ctx.backend.name(),
        count("is lost"),
        count("half-applied"),
        count("idle in transaction")
    );
    assert!(
        problems.is_empty(),
        "after {acknowledged} acknowledged and {abandoned} abandoned writes: \
         {} acknowledged write(s) lost, {} half-applied, {} wave(s) with connections \
         stranded in a transaction:\n{}",
        count("is lost"),
        count("half-applied"),
        count("idle in transaction"),
        problems.join("\n")
    );
}
