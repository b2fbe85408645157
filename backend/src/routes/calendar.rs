//! The calendar feed: making, showing and revoking the caller's secret
//! feed address, and serving the feed itself to calendar apps (which hold
//! no other credential than the address).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use todo_api::{CalendarFeed, CalendarFeedCreated, ErrorBody};

use super::auth::{ClientIp, too_many};
use crate::auth::{AccountHolder, Caller};
use crate::calendar::{self, FEED_MAX_TASKS, feed};
use crate::domain::{FieldErrors, TimeZoneName};
use crate::error::ApiError;
use crate::extract::QueryPairs;
use crate::state::AppState;
use crate::store::now;

/// Whether the caller has a calendar feed, and since when (its address is
/// shown only when made).
#[utoipa::path(get, path = "/api/auth/calendar-feed", tag = "auth", operation_id = "getCalendarFeed",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller has a feed address", body = CalendarFeed),
        (status = 404, description = "No feed address (never made, or revoked)", body = ErrorBody),
    ))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CalendarFeed>, ApiError> {
    match state.store.calendar_feed(caller.user_id).await? {
        Some(created_at) => Ok(Json(CalendarFeed { created_at })),
        None => Err(ApiError::NotFound("calendar feed")),
    }
}

/// Make a new secret feed address, replacing any earlier one (which stops
/// working at once). Needs a login.
#[utoipa::path(post, path = "/api/auth/calendar-feed", tag = "auth", operation_id = "createCalendarFeed",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new address, shown this once", body = CalendarFeedCreated),
        (status = 403, description = "A personal access token cannot manage the feed (`insufficient_scope`)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
) -> Result<(StatusCode, Json<CalendarFeedCreated>), ApiError> {
    let (secret, hash) = calendar::new_secret();
    let created_at = now();
    state
        .store
        .set_calendar_feed(caller.user_id, hash, created_at)
        .await?;
    tracing::info!(user_id = %caller.user_id, "calendar feed address made");
    Ok((
        StatusCode::CREATED,
        Json(CalendarFeedCreated {
            path: calendar::feed_path(&secret),
            token: secret,
            created_at,
        }),
    ))
}

/// Revoke the feed address: it answers 404 from now on. Needs a login.
#[utoipa::path(delete, path = "/api/auth/calendar-feed", tag = "auth", operation_id = "revokeCalendarFeed",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "A personal access token cannot manage the feed (`insufficient_scope`)", body = ErrorBody),
        (status = 404, description = "There was no feed address", body = ErrorBody),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    AccountHolder(caller): AccountHolder,
) -> Result<StatusCode, ApiError> {
    if state.store.revoke_calendar_feed(caller.user_id).await? {
        tracing::info!(user_id = %caller.user_id, "calendar feed address revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("calendar feed"))
    }
}

/// The feed (RFC 5545): the owner's open tasks with a due date, as
/// events (`components=event`, the default, which every calendar app
/// shows and alarms on) or to-dos (`components=todo`), with their repeat
/// rules and reminders. An unknown or revoked secret is a 404. Answers
/// `ETag`, and 304 to a matching `If-None-Match`. Fetches are limited per
/// client address, found or not, so secrets cannot be guessed at speed.
#[utoipa::path(get, path = "/calendar/{file}", tag = "calendar", operation_id = "calendarFeed",
    params(
        ("file" = String, Path, description = "`<secret>.ics`"),
        ("components" = Option<String>, Query, description = "`event` (default) or `todo`"),
    ),
    responses(
        (status = 200, description = "The iCalendar document", content_type = "text/calendar"),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 404, description = "No feed at this address (never made, or revoked)", body = ErrorBody),
        (status = 422, description = "Bad `components`", body = ErrorBody),
        (status = 429, description = "Too many fetches from this client; see Retry-After", body = ErrorBody),
    ))]
pub async fn serve(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(file): Path<String>,
    QueryPairs(pairs): QueryPairs,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state
        .limiter
        .check_calendar_feed(ip)
        .map_err(|retry_after| too_many(retry_after, ip, "calendar feed"))?;
    let components = components(&pairs)?;
    let hash = file
        .strip_suffix(".ics")
        .and_then(calendar::secret_hash)
        .ok_or(ApiError::NotFound("calendar feed"))?;
    let owner = state
        .store
        .calendar_feed_owner(&hash)
        .await?
        .ok_or(ApiError::NotFound("calendar feed"))?;
    let tasks = state.store.calendar_tasks(owner.id, FEED_MAX_TASKS).await?;
    let zone = TimeZoneName::stored(&owner.time_zone);
    let items: Vec<feed::FeedTask<'_>> = tasks.iter().filter_map(calendar::feed_task).collect();
    let name = format!("Todo — {}", owner.name);
    let product = concat!("-//todo-k8s//Todo ", env!("CARGO_PKG_VERSION"), "//EN");
    // DTSTAMP is when the data last changed rather than now, so that an
    // unchanged feed is the same bytes and its ETag holds.
    let stamp = tasks
        .iter()
        .map(|t| t.updated_at)
        .max()
        .unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let body = feed::render(
        &feed::Feed {
            calendar_name: &name,
            time_zone: zone.zone(),
            time_zone_name: zone.as_str(),
            product_id: product,
            host: "todo-k8s",
            components,
            now: stamp,
        },
        &items,
    );
    let etag = format!("\"{:x}\"", Sha256::digest(body.as_bytes()));
    let cache = [
        // The address is a credential: no shared cache keeps the body.
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=300"),
        ),
        (
            header::ETAG,
            HeaderValue::from_str(&etag).map_err(anyhow::Error::from)?,
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ];
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/calendar; charset=utf-8"),
        )],
        body,
    )
        .into_response())
}

/// `components=event|todo`; nothing else may be asked.
fn components(pairs: &[(String, String)]) -> Result<feed::Components, ApiError> {
    let mut errors = FieldErrors::default();
    let mut components = feed::Components::Events;
    for (key, value) in pairs {
        match (key.as_str(), value.as_str()) {
            ("components", "event") => components = feed::Components::Events,
            ("components", "todo") => components = feed::Components::Todos,
            ("components", _) => errors.add("components", "must be event or todo"),
            (other, _) => errors.add(other, "is not a known parameter"),
        }
    }
    errors.finish(|| components).map_err(ApiError::from)
}
