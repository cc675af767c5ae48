//! `GET /events`: Server-Sent Events of the status changes a caller may see.
//!
//! The feed is the history table, so a change made by any process (a worker, another
//! API) is delivered. One reader per process, the [`EventHub`], follows the feed: at once
//! when this process commits a write (the database's commit signal, so no handler has to
//! remember to say so), and every [`POLL`] for the commits of other processes. It reads
//! each new row once and hands it to the streams that may see it, found by who they are
//! ([`shared::feed::Audience`]: operators see every row, a customer the rows of their
//! bookings, a provider the rows naming them): a change costs one read, and wakes only its
//! own listeners, however many streams are open. Each read is written out (its rows as JSON,
//! then as the text of their events) once per viewer, not once per stream, so that a stream
//! sends what it is handed as it is. The hub wakes streams a few at a time, so that requests
//! go on being served while thousands of streams take a change, and after a read for that
//! many it lets changes gather for a moment before it reads again ([`pause_after`]: 60 ms
//! for 3,000 streams): the changes committed meanwhile go out together in its next read, and
//! the streams are woken a bounded number of times a second. A stream that starts behind
//! the hub (resuming after `Last-Event-ID`) or falls behind it (too slow to take its rows)
//! reads the feed itself until level, then follows the hub again. A hub that finds itself
//! more than [`REPLAY_LIMIT`] rows behind (rows written behind the processes' backs) jumps
//! to the newest and tells its streams to `reset` ([`Listeners::jump`]). Events carry `id:` = their
//! feed position (the history id on SQLite, the position the sequencer gave the row after
//! it committed on PostgreSQL; see `shared::feed`), so a reconnecting EventSource resumes
//! after `Last-Event-ID` without loss. On PostgreSQL the hub is also what sequences the
//! feed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::{Notify, mpsc, watch};

use shared::account::ActiveSession;
use shared::feed::Audience;
use shared::{Accounts, Actor, Feed, Role};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::Query;

/// How often the hub looks for rows written by other processes.
const POLL: Duration = Duration::from_millis(200);
/// How soon a dropped client should reconnect (sent as the SSE `retry:` field).
const RECONNECT: Duration = Duration::from_secs(1);
/// A stream that has sent nothing for this long sends a comment, so that proxies and the
/// client keep an idle connection open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Rows per read of the feed.
const BATCH: u32 = 200;
/// Reads of the hub's a stream may have waiting; a stream slower than that misses the
/// next and reads the feed itself.
const QUEUED: usize = 64;
/// Streams the hub wakes before it lets the process's other tasks run.
const WAKE_CHUNK: usize = 8;
/// How long the hub waits before its next read, for each stream it offered a read to
/// ([`pause_after`]).
const PAUSE_PER_STREAM: Duration = Duration::from_micros(20);
/// The longest the hub waits before its next read.
const MAX_PAUSE: Duration = Duration::from_millis(100);
/// How far behind the feed a resuming stream may be and still be replayed row by row (each
/// read of a stream checks every row for what its caller may see: a stream resumed from the
/// start of a million rows cost seconds of CPU); further behind, it is told to `reset`.
/// The hub too, when it finds itself that far behind ([`Listeners::jump`]).
const REPLAY_LIMIT: i64 = 1000;
/// How often the hub asks whether the open streams' sessions are still live, all in one
/// statement (it also asks at once when this process ends a session; this is for those
/// another API process ends, or that expire idle).
const SESSION_CHECK: Duration = Duration::from_secs(10);

/// The process's one reader of the feed, shared by every stream.
#[derive(Debug, Clone)]
pub struct EventHub {
    listeners: Arc<Mutex<Listeners>>,
    shutdown: watch::Receiver<bool>,
}

/// The open streams by who they are, and where the hub is: one lock, so that a stream
/// joins at a known position.
#[derive(Debug, Default)]
struct Listeners {
    /// The feed position through which rows have been handed out; `None` before the hub's
    /// first look.
    at: Option<i64>,
    by_audience: HashMap<Audience, HashMap<u64, Arc<Listener>>>,
    next_id: u64,
}

/// One open stream, as the hub sees it.
#[derive(Debug)]
struct Listener {
    rows: mpsc::Sender<Arc<Fanned>>,
    /// Where the stream, when it began, was on the feed.
    joined_at: i64,
    /// [`LEVEL`], or the position after which the stream must read the feed itself: it
    /// joined behind the hub, or missed a read (its queue was full). While it is behind,
    /// the hub sends it nothing.
    behind: AtomicI64,
    /// The session the stream was opened with.
    session: i64,
    /// Set when the hub finds that session over: the stream ends.
    session_over: AtomicBool,
    /// [`NO_RESET`], or the position the hub jumped to past rows it did not read: the
    /// stream tells its client to `reset` and goes on from there.
    reset_to: AtomicI64,
    /// Wakes the stream when it falls behind, or its session is over.
    wake: Notify,
}

/// A listener that has every row it may see up to the hub's position.
const LEVEL: i64 = i64::MAX;
/// A listener the hub has not jumped past rows for.
const NO_RESET: i64 = -1;

impl Listener {
    /// Hands the stream a read of the hub's (`from` is where the read started).
    fn offer(&self, read: &Arc<Fanned>) {
        if self.behind.load(Ordering::SeqCst) != LEVEL {
            return;
        }
        if let Err(mpsc::error::TrySendError::Full(_)) = self.rows.try_send(read.clone()) {
            self.fall_behind(read.from);
        }
    }

    fn fall_behind(&self, from: i64) {
        self.behind.fetch_min(from, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// The `reset` event for the stream at `cursor`, if the hub has jumped past rows since,
    /// and the stream's new cursor.
    fn take_reset(&self, cursor: &mut i64) -> Option<Bytes> {
        let to = self.reset_to.swap(NO_RESET, Ordering::SeqCst);
        if to == NO_RESET || to <= *cursor {
            return None;
        }
        *cursor = to;
        let mut text = String::new();
        write_event(&mut text, "reset", Some(to), &to.to_string(), None);
        Some(Bytes::from(text))
    }
}

/// Rows of one read of the hub's, as the streams receive them.
#[derive(Debug)]
struct Fanned {
    /// The rows the receiving streams may see.
    events: Vec<shared::feed::Event>,
    /// The position the read started after (its rows are all beyond it).
    from: i64,
    /// The position the read reached.
    next: i64,
    /// The read as the first stream to take it renders it, for every other stream of the
    /// same viewer ([`Fanned::text_for`]).
    rendered: OnceLock<(Viewer, Rendered)>,
}

/// A read as one viewer sees it.
#[derive(Debug)]
struct Rendered {
    /// Each row's `booking` data.
    data: Arc<[Option<String>]>,
    /// The text of all of its events, for a stream that is where the read started.
    text: Bytes,
}

/// Who a stream shows rows to, as far as their rendering goes: a row's view depends on
/// the viewer's role and on whether the viewer made the change.
type Viewer = (Role, Option<i64>);

impl Fanned {
    fn new(events: Vec<shared::feed::Event>, from: i64, next: i64) -> Fanned {
        Fanned {
            events,
            from,
            next,
            rendered: OnceLock::new(),
        }
    }

    /// The text of the events of the rows after `cursor`, as `actor` sees them. The streams
    /// of one read are one audience, nearly always one viewer (an operator's view is the
    /// same for all of them; a customer's and a provider's streams are theirs), and nearly
    /// always where the read started: they share one text, written once per read, not once
    /// per stream. A stream of another viewer renders its own; one that has read further
    /// itself, its own text of the rows it lacks.
    fn text_for(&self, actor: &Actor, cursor: i64) -> Bytes {
        let viewer = (actor.role, actor.user_id);
        let (first, shared) = self.rendered.get_or_init(|| {
            let data = render(&self.events, actor);
            let text = events_text(&self.events, &data, self.from);
            (viewer, Rendered { data, text })
        });
        match (*first == viewer, cursor <= self.from) {
            (true, true) => shared.text.clone(),
            (true, false) => events_text(&self.events, &shared.data, cursor),
            (false, _) => events_text(&self.events, &render(&self.events, actor), cursor),
        }
    }
}

/// A read of the hub's for one audience, with the streams it goes to.
type Delivery = (Arc<Fanned>, Vec<Arc<Listener>>);

impl Listeners {
    /// Moves the hub from `from` to `next` and says which streams get which rows of the
    /// read that got it there: all of them to operators', each row to its customer's and
    /// its provider's.
    fn hand_out(
        &mut self,
        events: Vec<shared::feed::Event>,
        from: i64,
        next: i64,
    ) -> Vec<Delivery> {
        self.at = Some(next);
        let mut by_audience: HashMap<Audience, Vec<shared::feed::Event>> = HashMap::new();
        for event in &events {
            for audience in event.audiences() {
                if self.by_audience.contains_key(&audience) {
                    by_audience.entry(audience).or_default().push(event.clone());
                }
            }
        }
        let mut deliveries = Vec::with_capacity(by_audience.len() + 1);
        if let Some(operators) = self.by_audience.get(&Audience::Everyone) {
            deliveries.push((
                Arc::new(Fanned::new(events, from, next)),
                operators.values().cloned().collect(),
            ));
        }
        for (audience, events) in by_audience {
            deliveries.push((
                Arc::new(Fanned::new(events, from, next)),
                self.by_audience[&audience].values().cloned().collect(),
            ));
        }
        deliveries
    }

    /// Moves the hub to `latest` without reading the rows in between, and tells every
    /// stream to `reset` there: its client refetches what it shows, as after resuming from
    /// too far back. For a feed that grew by more than [`REPLAY_LIMIT`] rows behind the
    /// processes' backs (a restore into a running database, a bulk import): read 200 at a
    /// time and checked for every stream's caller, a million rows took seconds of CPU with
    /// nobody to send them to. A stream reading the feed itself stops there too.
    fn jump(&mut self, latest: i64) {
        self.at = Some(latest);
        for listener in self.by_audience.values().flat_map(|group| group.values()) {
            listener.reset_to.store(latest, Ordering::SeqCst);
            listener.wake.notify_one();
        }
    }
}

/// Offers each read (of the rows after `from`) to its streams, [`WAKE_CHUNK`] at a time,
/// letting the process's other tasks run in between: woken all at once, thousands of
/// streams would queue every request the process is serving behind them. While the hub
/// is at it, the changes committed meanwhile wait for its next read, so under load a
/// stream is woken once for many rows rather than once per row.
async fn deliver(deliveries: Vec<Delivery>) -> usize {
    let mut offered = 0;
    for (read, listeners) in deliveries {
        for listener in listeners {
            listener.offer(&read);
            offered += 1;
            if offered % WAKE_CHUNK == 0 {
                tokio::task::yield_now().await;
            }
        }
    }
    offered
}

/// How long the hub lets changes gather after offering a read to `offered` streams:
/// [`PAUSE_PER_STREAM`] for each, up to [`MAX_PAUSE`], and none below a millisecond (the
/// timer's grain). A handful of streams get each change at once; thousands get the changes
/// of the pause together, so that however fast changes come, the streams are woken a
/// bounded number of times a second.
fn pause_after(offered: usize) -> Duration {
    let pause = PAUSE_PER_STREAM
        .saturating_mul(u32::try_from(offered).unwrap_or(u32::MAX))
        .min(MAX_PAUSE);
    if pause < Duration::from_millis(1) {
        Duration::ZERO
    } else {
        pause
    }
}

/// A stream's place among the listeners; leaving it (when the stream ends, however it
/// ends) takes it out.
struct Membership {
    listeners: Arc<Mutex<Listeners>>,
    audience: Audience,
    id: u64,
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut listeners = lock(&self.listeners);
        if let Some(group) = listeners.by_audience.get_mut(&self.audience) {
            group.remove(&self.id);
            if group.is_empty() {
                listeners.by_audience.remove(&self.audience);
            }
        }
        metrics::gauge!("event_streams_open").decrement(1.0);
    }
}

/// The listeners, whatever a panicking holder left (each change under the lock is whole).
fn lock(listeners: &Mutex<Listeners>) -> std::sync::MutexGuard<'_, Listeners> {
    listeners
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Asks in one statement which of the open streams' sessions are still live, and ends the
/// streams of those that are not: at once when this process ends a session, and every
/// [`SESSION_CHECK`] for those another process ends or that expire idle. One query a
/// process, not one a stream, however many are open. A failed check (the database busy)
/// keeps the streams; the next one decides.
async fn check_sessions(
    listeners: Arc<Mutex<Listeners>>,
    accounts: Accounts,
    idle: chrono::Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut ended = accounts.sessions_ended();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SESSION_CHECK) => {}
            changed = ended.changed() => if changed.is_err() { return },
            _ = stop.changed() => return,
        }
        let open: Vec<Arc<Listener>> = lock(&listeners)
            .by_audience
            .values()
            .flat_map(|group| group.values().cloned())
            .collect();
        let mut sessions: Vec<i64> = open.iter().map(|l| l.session).collect();
        sessions.sort_unstable();
        sessions.dedup();
        match accounts.which_sessions_live(&sessions, idle).await {
            Ok(live) => {
                for listener in open.iter().filter(|l| !live.contains(&l.session)) {
                    listener.session_over.store(true, Ordering::SeqCst);
                    listener.wake.notify_one();
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not check the event streams' sessions"),
        }
    }
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
    /// Starts the reader, and the check of the open streams' sessions (those idle for
    /// `idle` are over); both stop when the returned handle is closed or dropped.
    pub fn start(
        feed: Feed,
        accounts: Accounts,
        idle: chrono::Duration,
    ) -> (EventHub, EventShutdown) {
        let listeners = Arc::new(Mutex::new(Listeners::default()));
        let (shutdown_tx, shutdown) = watch::channel(false);
        let hub = EventHub {
            listeners: listeners.clone(),
            shutdown: shutdown.clone(),
        };
        tokio::spawn(check_sessions(
            listeners.clone(),
            accounts,
            idle,
            shutdown.clone(),
        ));
        let mut stop = shutdown;
        let mut commits = feed.commits();
        tokio::spawn(async move {
            // Where the reader is: the newest row when it starts (streams that began before
            // that read the feed themselves).
            let mut cursor = None;
            // Before the next read, after offering one to many streams.
            let mut pause = Duration::ZERO;
            loop {
                if !pause.is_zero() {
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = stop.changed() => break,
                    }
                    pause = Duration::ZERO;
                }
                // PostgreSQL: place what other transactions committed, then look.
                if let Err(e) = feed.sequence().await {
                    tracing::warn!(error = %e, "event reader could not sequence the history");
                }
                match cursor {
                    None => match feed.latest_position().await {
                        Ok(latest) => {
                            cursor = Some(latest);
                            let mut listeners = lock(&listeners);
                            listeners.at = Some(latest);
                            for listener in listeners.by_audience.values().flat_map(|g| g.values())
                            {
                                if listener.joined_at < latest {
                                    listener.fall_behind(listener.joined_at);
                                }
                            }
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
                                    let deliveries =
                                        lock(&listeners).hand_out(batch.events, *at, batch.next);
                                    pause = pause_after(deliver(deliveries).await);
                                    *at = batch.next;
                                }
                                if !batch.more {
                                    break;
                                }
                                match feed.latest_position().await {
                                    Ok(latest) if latest - *at > REPLAY_LIMIT => {
                                        lock(&listeners).jump(latest);
                                        *at = latest;
                                        break;
                                    }
                                    Ok(_) => {}
                                    Err(e) => {
                                        tracing::warn!(error = %e, "event reader could not read the history");
                                        break;
                                    }
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

    /// Adds a stream of `actor`'s, opened with `session`, that begins at `cursor`.
    fn join(
        &self,
        actor: &Actor,
        session: i64,
        cursor: i64,
    ) -> (Membership, Arc<Listener>, mpsc::Receiver<Arc<Fanned>>) {
        let (tx, rx) = mpsc::channel(QUEUED);
        let audience = Audience::of(actor);
        let mut listeners = lock(&self.listeners);
        // Behind the hub: what came in between is read from the feed.
        let behind = match listeners.at {
            Some(at) if cursor < at => cursor,
            _ => LEVEL,
        };
        let listener = Arc::new(Listener {
            rows: tx,
            joined_at: cursor,
            behind: AtomicI64::new(behind),
            session,
            session_over: AtomicBool::new(false),
            reset_to: AtomicI64::new(NO_RESET),
            wake: Notify::new(),
        });
        let id = listeners.next_id;
        listeners.next_id += 1;
        listeners
            .by_audience
            .entry(audience)
            .or_default()
            .insert(id, listener.clone());
        metrics::gauge!("event_streams_open").increment(1.0);
        let membership = Membership {
            listeners: self.listeners.clone(),
            audience,
            id,
        };
        (membership, listener, rx)
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
/// An open stream gets `reset` too when more than 1,000 rows reach the feed at once from
/// outside the service (a restore, a bulk import), instead of every one of them.
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
) -> Result<Response, ApiError> {
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
        session,
    );
    Ok((
        [
            (CONTENT_TYPE, "text/event-stream"),
            (CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// What woke a stream that was waiting for the hub.
enum Wake {
    /// The hub's next read for it.
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
    session: ActiveSession,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    // Joined before anything is read, so that no read of the hub's falls in between.
    let (membership, listener, mut rows) = hub.join(&actor, session.id, cursor);
    let mut shutdown = hub.shutdown.clone();
    let deadline = tokio::time::Instant::now()
        + (session.expires_at - Utc::now())
            .to_std()
            .unwrap_or_default();
    async_stream::stream! {
        let _membership = membership;
        let mut opening = String::new();
        if reset {
            // Too far behind to replay row by row (a page open for a day, or a feed of
            // another database): the client refetches what it shows, and goes on from now.
            write_event(&mut opening, "reset", Some(cursor), &cursor.to_string(), None);
        }
        // Tell the client the stream is open and where it starts, and to reconnect after
        // a second (not the browser's default three) when the connection drops. The `id:`
        // makes a reconnect resume from here even before any booking event arrived.
        write_event(&mut opening, "ready", Some(cursor), &cursor.to_string(), Some(RECONNECT));
        yield Ok(Bytes::from(opening));
        let mut quiet_until = tokio::time::Instant::now() + KEEP_ALIVE;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = tokio::time::Instant::now();
            if now >= quiet_until {
                yield Ok(Bytes::from_static(b": keep-alive\n\n"));
                quiet_until = now + KEEP_ALIVE;
            }
            if listener.session_over.load(Ordering::SeqCst) {
                yield Ok(expired());
                break;
            }
            if now >= deadline {
                // The client's EventSource reconnects, gets 401, and its page signs out.
                yield Ok(expired());
                break;
            }
            if let Some(text) = listener.take_reset(&mut cursor) {
                yield Ok(text);
                quiet_until = now + KEEP_ALIVE;
            }
            // The hub's reads waiting for the stream come first. Past them, a stream that
            // is behind (it began before the hub's position, or missed a read) reads the
            // feed itself until it has every row up to the newest, rows the hub sends after
            // that are skipped up to where the stream got to. Level, it waits for the hub.
            let read = match rows.try_recv() {
                Ok(read) => read,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    let from = listener.behind.swap(LEVEL, Ordering::SeqCst);
                    if from != LEVEL {
                        let mut at = cursor.max(from);
                        loop {
                            match feed.after(&actor, at, BATCH).await {
                                Ok(batch) => {
                                    metrics::counter!("event_feed_reads_total", "reader" => "stream")
                                        .increment(1);
                                    let data = render(&batch.events, &actor);
                                    let text = events_text(&batch.events, &data, at);
                                    if !text.is_empty() {
                                        yield Ok(text);
                                        quiet_until = tokio::time::Instant::now() + KEEP_ALIVE;
                                    }
                                    at = batch.next;
                                    cursor = cursor.max(at);
                                    // The hub has jumped: what is left to read is skipped.
                                    if !batch.more
                                        || listener.reset_to.load(Ordering::SeqCst) != NO_RESET
                                    {
                                        break;
                                    }
                                }
                                Err(e) => {
                                    tracing::warn!(error = %e, "reading events");
                                    listener.behind.fetch_min(at, Ordering::SeqCst);
                                    tokio::time::sleep(POLL).await;
                                    break;
                                }
                            }
                        }
                        continue;
                    }
                    let wake = tokio::select! {
                        read = rows.recv() => match read {
                            Some(read) => Wake::Rows(read),
                            None => Wake::End,
                        },
                        _ = listener.wake.notified() => Wake::Again,
                        _ = shutdown.changed() => Wake::End,
                        // Round the loop once more: the keep-alive, or the end of the
                        // session's life (the check above ends the stream).
                        _ = tokio::time::sleep_until(quiet_until.min(deadline)) => Wake::Again,
                    };
                    match wake {
                        Wake::Rows(read) => read,
                        Wake::Again => continue,
                        Wake::End => break,
                    }
                }
            };
            // A read handed out after a jump the check above came too early for.
            if let Some(text) = listener.take_reset(&mut cursor) {
                yield Ok(text);
            }
            let text = read.text_for(&actor, cursor);
            if !text.is_empty() {
                yield Ok(text);
                quiet_until = now + KEEP_ALIVE;
            }
            cursor = cursor.max(read.next);
        }
    }
}

/// Each row's `booking` data (a HistoryView as JSON) as `actor` sees it; `None` for a
/// row that could not be serialised (it is logged, and not sent).
fn render(events: &[shared::feed::Event], actor: &Actor) -> Arc<[Option<String>]> {
    events
        .iter()
        .map(|event| {
            let view = crate::routes::bookings::HistoryView::for_viewer(event.entry.clone(), actor);
            serde_json::to_string(&view)
                .inspect_err(|e| tracing::error!(error = %e, "serialising an event"))
                .ok()
        })
        .collect()
}

/// The text of the SSE events of the rows after `cursor` (rendered as `data`), in feed
/// order. Each row has its own position; should rows ever share one, the id goes out with
/// the last of them, so that a client reconnecting in between is sent them all again rather
/// than half.
fn events_text(events: &[shared::feed::Event], data: &[Option<String>], cursor: i64) -> Bytes {
    let rows: Vec<_> = events
        .iter()
        .zip(data)
        .filter(|(event, _)| event.position > cursor)
        .collect();
    let mut text = String::new();
    for (i, (event, data)) in rows.iter().enumerate() {
        let Some(data) = data else { continue };
        let last_of_position = rows
            .get(i + 1)
            .is_none_or(|(next, _)| next.position != event.position);
        let id = last_of_position.then_some(event.position);
        write_event(&mut text, "booking", id, data, None);
    }
    Bytes::from(text)
}

/// The event that ends a stream whose session has ended.
fn expired() -> Bytes {
    let mut text = String::new();
    write_event(&mut text, "expired", None, "sign in again", None);
    Bytes::from(text)
}

/// Appends one Server-Sent Event to `text`: its type, its id, a `data:` line for each line
/// of `data` (a line ends at a line feed, a carriage return or both, as the format reads
/// them), how soon to reconnect, and the blank line that dispatches it.
fn write_event(
    text: &mut String,
    event: &str,
    id: Option<i64>,
    data: &str,
    retry: Option<Duration>,
) {
    use std::fmt::Write;
    let _ = writeln!(text, "event: {event}");
    if let Some(id) = id {
        let _ = writeln!(text, "id: {id}");
    }
    let mut rest = data;
    loop {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        text.push_str("data: ");
        text.push_str(&rest[..end]);
        text.push('\n');
        if end == rest.len() {
            break;
        }
        let ending = if rest[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        rest = &rest[end + ending..];
    }
    if let Some(retry) = retry {
        let _ = writeln!(text, "retry: {}", retry.as_millis());
    }
    text.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Status;
    use shared::booking::HistoryEntry;

    fn provider(user: i64) -> Actor {
        Actor {
            role: Role::Provider,
            user_id: Some(user),
            provider_id: Some(7),
            name: format!("user {user}"),
        }
    }

    /// A provider's rejection, made by user 1 of provider 7.
    fn rejected() -> shared::feed::Event {
        shared::feed::Event {
            position: 5,
            customer_id: 3,
            entry: HistoryEntry {
                id: 5,
                booking_id: 2,
                old_status: Some(Status::Assigned),
                new_status: Status::Pending,
                changed_by: Some(1),
                changed_by_name: "Chen".into(),
                changed_by_role: Role::Provider,
                reason: Some("van broke down".into()),
                is_override: false,
                provider_id: Some(7),
                timestamp: Utc::now(),
            },
        }
    }

    /// The `booking` events' data in an SSE text.
    fn data_in(text: &[u8]) -> Vec<serde_json::Value> {
        std::str::from_utf8(text)
            .unwrap()
            .lines()
            .filter_map(|line| line.strip_prefix("data: "))
            .map(|data| serde_json::from_str(data).unwrap())
            .collect()
    }

    /// A read is written out once for its first viewer and shared with the same viewer's
    /// streams; a stream of another viewer gets the row as that viewer sees it, and a
    /// stream past the read's start only the rows it lacks.
    #[test]
    fn a_read_is_written_once_per_viewer_and_each_viewer_gets_their_own_view() {
        let mut later = rejected();
        later.position = 6;
        later.entry.id = 6;
        let read = Fanned::new(vec![rejected(), later], 4, 6);
        let own = read.text_for(&provider(1), 4);
        assert_eq!(own.as_ptr(), read.text_for(&provider(1), 3).as_ptr());
        let rows = data_in(&own);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["changed_by_name"], "Chen");
        assert_eq!(rows[0]["reason"], "van broke down");

        let past = read.text_for(&provider(1), 5);
        assert_ne!(past.as_ptr(), own.as_ptr());
        assert_eq!(data_in(&past), rows[1..]);

        let other = data_in(&read.text_for(&provider(2), 4));
        assert_eq!(other.len(), 2);
        assert_eq!(other[0]["changed_by_name"], "another provider");
        assert_eq!(other[0]["reason"], serde_json::Value::Null);
    }

    /// The hub offers a read to [`WAKE_CHUNK`] streams, then lets the process's other
    /// tasks run (a request being served among them) before it offers the next ones.
    #[tokio::test]
    async fn the_hub_lets_other_tasks_run_after_every_few_streams_it_wakes() {
        let (listeners, _receivers): (Vec<_>, Vec<_>) = (0..20)
            .map(|_| {
                let (rows, receiver) = mpsc::channel(QUEUED);
                let listener = Arc::new(Listener {
                    rows,
                    joined_at: 0,
                    behind: AtomicI64::new(LEVEL),
                    session: 1,
                    session_over: AtomicBool::new(false),
                    reset_to: AtomicI64::new(NO_RESET),
                    wake: Notify::new(),
                });
                (listener, receiver)
            })
            .unzip();
        let offered = |listeners: &[Arc<Listener>]| {
            listeners
                .iter()
                .filter(|l| l.rows.capacity() < QUEUED)
                .count()
        };
        let read = Arc::new(Fanned::new(vec![rejected()], 4, 5));
        // This test's runtime has one thread: the tasks run in the order they are woken.
        let hub = tokio::spawn(deliver(vec![(read, listeners.clone())]));
        let other = tokio::spawn({
            let listeners = listeners.clone();
            async move { offered(&listeners) }
        });
        hub.await.unwrap();
        assert_eq!(other.await.unwrap(), WAKE_CHUNK);
        assert_eq!(offered(&listeners), 20);
    }

    /// The hub reads again at once after a read for a few streams; after one for thousands
    /// it lets changes gather, longer the more streams, up to a tenth of a second.
    #[test]
    fn the_hub_pauses_before_its_next_read_only_after_offering_one_to_many_streams() {
        assert_eq!(pause_after(0), Duration::ZERO);
        assert_eq!(pause_after(40), Duration::ZERO);
        assert_eq!(pause_after(50), Duration::from_millis(1));
        assert_eq!(pause_after(3000), Duration::from_millis(60));
        assert_eq!(pause_after(5000), MAX_PAUSE);
        assert_eq!(pause_after(usize::MAX), MAX_PAUSE);
    }

    /// Rows at or before the stream's position are not sent again, and the id goes out
    /// with the last row of a position.
    #[test]
    fn events_text_sends_the_rows_after_the_cursor_each_position_once() {
        let mut second = rejected();
        second.entry.id = 6;
        let mut third = rejected();
        third.position = 6;
        third.entry.id = 7;
        let rows = [rejected(), second, third];
        let data = render(&rows, &provider(1));
        let events = |cursor| {
            let text = events_text(&rows, &data, cursor);
            let text = std::str::from_utf8(&text).unwrap().to_owned();
            text.split_terminator("\n\n")
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(events(5).len(), 1);
        assert!(events(6).is_empty());
        let all = events(4);
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|e| e.starts_with("event: booking\n")));
        assert!(!all[0].contains("id: "), "{}", all[0]);
        assert!(all[1].contains("\nid: 5\n"), "{}", all[1]);
        assert!(all[2].contains("\nid: 6\n"), "{}", all[2]);
    }

    /// An event is its fields, one `data:` line per line of its data (whichever line
    /// ending it uses), and a blank line.
    #[test]
    fn an_event_is_written_in_the_server_sent_events_format() {
        let mut text = String::new();
        write_event(&mut text, "ready", Some(12), "12", Some(RECONNECT));
        assert_eq!(text, "event: ready\nid: 12\ndata: 12\nretry: 1000\n\n");
        text.clear();
        write_event(&mut text, "note", None, "a\nb\r\nc\rd", None);
        assert_eq!(text, "event: note\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
        text.clear();
        write_event(&mut text, "empty", None, "", None);
        assert_eq!(text, "event: empty\ndata: \n\n");
        assert_eq!(&expired()[..], b"event: expired\ndata: sign in again\n\n");
    }
}
