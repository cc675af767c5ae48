//! `GET /events`: Server-Sent Events of the status changes a caller may see.
//!
//! The feed is the history table, so a change made by any process (a worker, another
//! API) is delivered. One reader per process, the [`EventHub`], follows the feed: at once
//! when this process commits a write (the database's commit signal, so no handler has to
//! remember to say so), and every [`POLL`] for the commits of other processes. It reads
//! each new row once and fans it out to every open stream, which keeps what its caller may
//! see ([`shared::feed::Event::visible_to`]): a change costs one read however many streams
//! are open. A stream that starts behind the hub (resuming after `Last-Event-ID`) or falls
//! behind it (too slow to take its rows) catches up by reading the feed itself, then
//! follows the hub again. Events carry `id:` = their feed position (the history id on
//! SQLite, the position the sequencer gave the row after it committed on PostgreSQL; see
//! `shared::feed`), so a reconnecting EventSource resumes after `Last-Event-ID` without
//! loss. On PostgreSQL the hub is also what sequences the feed.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::{broadcast, watch};

use shared::{Accounts, Actor, Feed};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::Query;

/// How often the poller looks for rows written by other processes.
const POLL: Duration = Duration::from_millis(200);
/// How soon a dropped client should reconnect (sent as the SSE `retry:` field).
const RECONNECT: Duration = Duration::from_secs(1);
/// Rows per read of the feed.
const BATCH: u32 = 200;
/// Reads of the feed the hub keeps for streams that have not taken them yet; a stream
/// further behind reads the feed itself.
const FANNED_KEPT: usize = 256;
/// How far behind the feed a resuming stream may be and still be replayed row by row (each
/// read of a stream checks every row for what its caller may see: a stream resumed from the
/// start of a million rows cost seconds of CPU); further behind, it is told to `reset`.
const REPLAY_LIMIT: i64 = 1000;
/// How often a stream asks whether its session is still live (sessions this process ends
/// are noticed at once; this is for those another API process ends).
const SESSION_CHECK: Duration = Duration::from_secs(10);

/// The process's one reader of the feed, shared by every stream.
#[derive(Debug, Clone)]
pub struct EventHub {
    /// The feed position through which rows have been fanned out.
    fanned: watch::Receiver<i64>,
    rows: broadcast::Sender<Arc<Fanned>>,
    shutdown: watch::Receiver<bool>,
}

/// One read of the feed, as every stream receives it.
#[derive(Debug)]
struct Fanned {
    /// The position the read started after.
    from: i64,
    /// Every row read, whoever may see it.
    events: Vec<shared::feed::Event>,
    /// The position the read reached.
    next: i64,
}

/// Ends every open stream (so that graceful shutdown is not held up by listeners).
#[derive(Debug)]
pub struct EventShutdown(watch::Sender<bool>);

impl EventShutdown {
    pub fn close(&self) {
        let _ = self.0.send(true);
    }
}

impl EventHub {
    /// Starts the reader; it stops when the returned handle is closed or dropped.
    pub fn start(feed: Feed) -> (EventHub, EventShutdown) {
        let (fanned_tx, fanned) = watch::channel(0);
        let (rows, _) = broadcast::channel(FANNED_KEPT);
        let (shutdown_tx, shutdown) = watch::channel(false);
        let hub = EventHub {
            fanned,
            rows: rows.clone(),
            shutdown: shutdown.clone(),
        };
        let mut stop = shutdown;
        let mut commits = feed.commits();
        tokio::spawn(async move {
            // Where the reader is: the newest row when it starts (streams resuming from
            // before that read it themselves).
            let mut cursor = None;
            loop {
                // PostgreSQL: place what other transactions committed, then look.
                if let Err(e) = feed.sequence().await {
                    tracing::warn!(error = %e, "event reader could not sequence the history");
                }
                match cursor {
                    None => match feed.latest_position().await {
                        Ok(latest) => {
                            cursor = Some(latest);
                            fanned_tx.send_replace(latest);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "event reader could not read the history")
                        }
                    },
                    Some(ref mut at) => loop {
                        match feed.after_all(*at, BATCH).await {
                            Ok(batch) => {
                                metrics::counter!("event_feed_reads_total", "reader" => "hub")
                                    .increment(1);
                                if batch.next > *at {
                                    // The rows go out before the new position, so a stream
                                    // that sees the position finds the rows waiting for it.
                                    let _ = rows.send(Arc::new(Fanned {
                                        from: *at,
                                        events: batch.events,
                                        next: batch.next,
                                    }));
                                    *at = batch.next;
                                    fanned_tx.send_replace(batch.next);
                                }
                                if !batch.more {
                                    break;
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "event reader could not read the history");
                                break;
                            }
                        }
                    },
                }
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    changed = commits.changed() => if changed.is_err() { break },
                    _ = stop.changed() => break,
                }
            }
        });
        (hub, EventShutdown(shutdown_tx))
    }
}

/// One Server-Sent Event as it arrives: `ready` (its `data` the position the stream
/// starts at) or `booking` (its `data` a HistoryView as JSON).
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct StreamEvent {
    /// `reset`, `ready`, `booking` or `expired`.
    event: Option<String>,
    /// The feed position to resume after.
    id: Option<String>,
    data: Option<String>,
    /// How soon to reconnect, in milliseconds.
    retry: Option<u64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// For clients that cannot set the `Last-Event-ID` header on their first connect.
    #[param(minimum = 0)]
    last_event_id: Option<i64>,
}

/// Server-Sent Events: `ready` when the stream opens (its `id` is where it starts), then
/// one `booking` event per history row the caller may see (its `data` is a HistoryView),
/// with `id:` its feed position. Reconnect with `Last-Event-ID` to resume without loss.
/// A `Last-Event-ID` more than 1,000 feed rows behind (or ahead of the feed) is not
/// replayed: the stream opens with `reset` (refetch what you show) and goes on from now.
/// When the session the stream was opened with ends (sign-out, expiry, a password change,
/// the account disabled), an `expired` event ends it.
#[utoipa::path(
    get,
    path = "/events",
    operation_id = "streamEvents",
    tag = "events",
    params(
        EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event seen"),
    ),
    responses(
        (status = 200, description = "The stream", content_type = "text/event-stream", body = StreamEvent),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn events(
    State(state): State<AppState>,
    CurrentUser(user, session): CurrentUser,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let from_header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    if query.last_event_id.is_some_and(|id| id < 0) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: "`last_event_id` must be 0 or more".into(),
            details: serde_json::json!({"parameter": "last_event_id"}),
        });
    }
    let latest = state.feed.latest_position().await?;
    let (cursor, reset) = match from_header.or(query.last_event_id) {
        Some(id) if id > latest || latest - id.max(0) > REPLAY_LIMIT => (latest, true),
        Some(id) => (id.max(0), false),
        None => (latest, false),
    };
    // The stream ends when its session does: an open page must not go on receiving what
    // its caller may no longer see.
    let stream = event_stream(
        state.feed.clone(),
        state.events.clone(),
        user.actor(),
        cursor,
        reset,
        SessionWatch {
            accounts: state.accounts.clone(),
            id: session.id,
            expires: session.expires_at,
            idle: state.tokens.idle,
        },
    );
    Ok(Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("keep-alive"),
    ))
}

/// The session a stream was opened with, to end the stream with it.
struct SessionWatch {
    accounts: Accounts,
    id: i64,
    expires: DateTime<Utc>,
    idle: chrono::Duration,
}

/// What woke a stream that was level with the hub.
enum Wake {
    /// The hub's next read.
    Rows(Arc<Fanned>),
    /// Something to look at again: the session, the deadline, or reads missed.
    Again,
    End,
}

fn event_stream(
    feed: Feed,
    hub: EventHub,
    actor: Actor,
    mut cursor: i64,
    reset: bool,
    session: SessionWatch,
) -> impl Stream<Item = Result<Event, Infallible>> {
    // Subscribed before anything is read, so that no read of the hub's falls in between.
    let mut rows = hub.rows.subscribe();
    let fanned = hub.fanned.clone();
    let mut shutdown = hub.shutdown.clone();
    let mut ended = session.accounts.sessions_ended();
    let deadline =
        tokio::time::Instant::now() + (session.expires - Utc::now()).to_std().unwrap_or_default();
    let mut next_check = tokio::time::Instant::now() + SESSION_CHECK;
    let mut check_now = false;
    metrics::gauge!("event_streams_open").increment(1.0);
    let _open = OpenStream;
    async_stream::stream! {
        let _open = _open;
        if reset {
            // Too far behind to replay row by row (a page open for a day, or a feed of
            // another database): the client refetches what it shows, and goes on from now.
            yield Ok(Event::default()
                .event("reset")
                .id(cursor.to_string())
                .data(cursor.to_string()));
        }
        // Tell the client the stream is open and where it starts, and to reconnect after
        // a second (not the browser's default three) when the connection drops. The `id:`
        // makes a reconnect resume from here even before any booking event arrived.
        yield Ok(Event::default()
            .event("ready")
            .id(cursor.to_string())
            .data(cursor.to_string())
            .retry(RECONNECT));
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = tokio::time::Instant::now();
            if check_now || now >= next_check {
                check_now = false;
                next_check = now + SESSION_CHECK;
                // A failed check (the database busy) keeps the stream; the next one decides.
                if let Ok(false) = session.accounts.session_live(session.id, session.idle).await {
                    yield Ok(Event::default().event("expired").data("sign in again"));
                    break;
                }
            }
            if now >= deadline {
                // The client's EventSource reconnects, gets 401, and its page signs out.
                yield Ok(Event::default().event("expired").data("sign in again"));
                break;
            }
            // The hub's reads this stream has not taken yet come first; past them, if the
            // stream is still behind the hub (it resumed from an earlier row, or missed reads
            // the hub no longer keeps), it reads the feed itself until level with the hub;
            // level, it waits for the hub's next read.
            let read = match rows.try_recv() {
                Ok(read) => read,
                Err(broadcast::error::TryRecvError::Closed) => break,
                Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Lagged(_)) => {
                    let hub_at = *fanned.borrow();
                    if cursor < hub_at {
                        match feed.after(&actor, cursor, BATCH).await {
                            Ok(batch) => {
                                metrics::counter!("event_feed_reads_total", "reader" => "stream")
                                    .increment(1);
                                for sse in events_of(batch.events, &actor) {
                                    yield Ok(sse);
                                }
                                // Nothing after the cursor although the hub is further on: the
                                // rows in between are gone (a restored database); go on from
                                // the hub.
                                cursor = if batch.next > cursor { batch.next } else { hub_at };
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "reading events");
                                tokio::time::sleep(POLL).await;
                            }
                        }
                        continue;
                    }
                    let wake = tokio::select! {
                        read = rows.recv() => match read {
                            Ok(read) => Wake::Rows(read),
                            Err(broadcast::error::RecvError::Lagged(_)) => Wake::Again,
                            Err(broadcast::error::RecvError::Closed) => Wake::End,
                        },
                        _ = shutdown.changed() => Wake::End,
                        changed = ended.changed() => {
                            check_now = true;
                            if changed.is_ok() { Wake::Again } else { Wake::End }
                        }
                        _ = tokio::time::sleep_until(next_check) => Wake::Again,
                        // Round the loop once more: the check above ends the stream.
                        _ = tokio::time::sleep_until(deadline) => Wake::Again,
                    };
                    match wake {
                        Wake::Rows(read) => read,
                        Wake::Again => continue,
                        Wake::End => break,
                    }
                }
            };
            // A read that starts past the cursor leaves a gap (reads were missed): the loop
            // reads the feed to fill it, and skips the hub's rows it already sent.
            if read.from <= cursor {
                let new = read.events.iter().filter(|e| e.position > cursor && e.visible_to(&actor));
                for sse in events_of(new.cloned().collect(), &actor) {
                    yield Ok(sse);
                }
                cursor = cursor.max(read.next);
            }
        }
    }
}

/// The SSE events of feed rows a caller may see, in feed order. Each row has its own
/// position; should rows ever share one, the id goes out with the last of them, so that a
/// client reconnecting in between is sent them all again rather than half.
fn events_of(events: Vec<shared::feed::Event>, actor: &Actor) -> Vec<Event> {
    let mut out = Vec::with_capacity(events.len());
    let mut events = events.into_iter().peekable();
    while let Some(event) = events.next() {
        let last_of_position = events
            .peek()
            .is_none_or(|next| next.position != event.position);
        let mut sse = Event::default().event("booking");
        if last_of_position {
            sse = sse.id(event.position.to_string());
        }
        match sse.json_data(crate::routes::bookings::HistoryView::for_viewer(
            event.entry,
            actor,
        )) {
            Ok(sse) => out.push(sse),
            Err(e) => tracing::error!(error = %e, "serialising an event"),
        }
    }
    out
}

/// Counts a stream out of `event_streams_open` when it ends, however it ends.
struct OpenStream;

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!("event_streams_open").decrement(1.0);
    }
}
