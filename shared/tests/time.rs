//! Time-aware dispatch against a real database, on SQLite and PostgreSQL: windows that
//! the database keeps apart (also when two assignments race), calendars that matching
//! and availability follow, offers that expire (also racing a late accept), attempts
//! that explain themselves, no-shows that say who was absent, and moves to another time.
//! Time is a manual clock.

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{Core, StatusChange};
use db::ManualClock;
use queue::{ClaimedJob, JobKind, JobState};
use shared::assignment::{AssignProvider, AssignmentOutcome, AttemptOutcome, ExpireOffer};
use shared::booking::validation::BookingInput;
use shared::booking::{Absent, Booking};
use shared::error::{DomainError, StoreError};
use shared::provider::NewProvider;
use shared::schedule::Availability;
use shared::schedule::calendar::{CalendarInput, DateHours, Hours, WeeklyHours};
use shared::{Actor, Role, Schedule, Status};

const LEASE: Duration = Duration::from_secs(30);

struct T {
    core: Core,
    clock: ManualClock,
    customer: Actor,
    admin: Actor,
    db: common::TestDb,
}

async fn setup() -> T {
    let db = common::test_db(1000).await;
    let customer = common::user(&db.core, "c@example.com", Role::Customer).await;
    let admin = common::user(&db.core, "a@example.com", Role::Admin).await;
    T {
        core: db.core.clone(),
        clock: db.clock.clone(),
        customer,
        admin,
        db,
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn domain(e: StoreError) -> DomainError {
    match e {
        StoreError::Domain(d) => d,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

/// The message of a booking refused for its `field`.
fn refusal(e: StoreError, field: &str) -> String {
    match domain(e) {
        DomainError::Validation(mut f) if f.contains_key(field) => f.remove(field).unwrap(),
        other => panic!("expected a refusal naming `{field}`, got {other:?}"),
    }
}

/// Whether a database error is the overlap rule's: SQLite's trigger or PostgreSQL's
/// exclusion constraint.
fn refused_as_busy(message: &str) -> bool {
    message.contains("provider_busy") || message.contains("bookings_no_double_booking")
}

fn change(status: Status, absent: Option<Absent>) -> StatusChange {
    StatusChange {
        status,
        reason: None,
        is_override: false,
        absent,
        expected_version: None,
    }
}

impl T {
    async fn book(&self, service: &str, starts_at: &str) -> Result<Booking, StoreError> {
        let input = BookingInput {
            customer_name: "C".into(),
            customer_phone: "5550100199".into(),
            customer_email: "c@example.com".into(),
            service_type: service.into(),
            address: "1 Road".into(),
            starts_at: starts_at.into(),
            starts_at_field: "starts_at",
            time_zone: None,
            notes: None,
        };
        let new = input.validate(self.core.db.now(), &self.core.bookings.rules())?;
        Ok(self
            .core
            .bookings
            .create(&self.customer, new, None)
            .await?
            .0)
    }

    /// A provider of `services` with a login; returns its id and who it acts as.
    async fn provider(&self, name: &str, services: &[&str], rating: f64) -> (i64, Actor) {
        let p = self
            .core
            .providers
            .create(
                &shared::Actor::system("setup"),
                NewProvider {
                    name: name.into(),
                    email: format!("{name}@example.com"),
                    service_types: services.iter().map(|s| s.to_string()).collect(),
                    available: true,
                    rating,
                    login_password_hash: Some("-".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let actor = self
            .core
            .accounts
            .user(p.user_id.unwrap())
            .await
            .unwrap()
            .unwrap()
            .actor();
        (p.id, actor)
    }

    async fn claim(&self, owner: &str) -> Vec<ClaimedJob> {
        self.core
            .queue
            .claim(AssignProvider::QUEUE, owner, 10, LEASE)
            .await
            .unwrap()
    }

    async fn run_all(&self, owner: &str) -> Vec<AssignmentOutcome> {
        let mut outcomes = Vec::new();
        for job in self.claim(owner).await {
            outcomes.push(self.core.assignment_by(owner).run(&job).await.unwrap());
        }
        outcomes
    }

    /// An admin's assignment by hand, allowed to overlap with this reason if one is given.
    async fn assign(&self, booking: i64, provider: i64, allowed_because: Option<&str>) {
        let allow = allowed_because.is_some();
        self.core
            .bookings
            .assign_by_hand(&self.admin, booking, provider, allow, allowed_because)
            .await
            .unwrap();
    }

    /// What an admin's assignment by hand, not allowed to overlap, was refused with.
    async fn assign_refused(
        &self,
        booking: i64,
        provider: i64,
        reason: Option<&str>,
    ) -> DomainError {
        let refused = self
            .core
            .bookings
            .assign_by_hand(&self.admin, booking, provider, false, reason)
            .await;
        domain(refused.unwrap_err())
    }

    /// Whom the booking's first attempt passed over, and why.
    async fn passed_over(&self, booking: i64) -> Vec<(i64, String)> {
        let detail = self.core.bookings.detail(&self.admin, booking).await;
        let why = detail.unwrap().attempts[0].explanation.clone().unwrap();
        let listed = why.listed.into_iter().filter(|l| !l.chosen);
        listed.map(|l| (l.provider_id, l.reason)).collect()
    }

    fn set_clock(&self, to: DateTime<Utc>) {
        self.clock.advance(to - self.core.db.now());
    }

    async fn get(&self, id: i64) -> Booking {
        self.core.bookings.get(&self.admin, id).await.unwrap()
    }
}

fn weekdays(tz: &str, start: &str, end: &str) -> CalendarInput {
    CalendarInput {
        time_zone: tz.into(),
        weekly: ["mon", "tue", "wed", "thu", "fri"]
            .map(|d| WeeklyHours {
                weekday: d.into(),
                start: start.into(),
                end: end.into(),
            })
            .to_vec(),
        exceptions: vec![],
    }
}

#[tokio::test]
async fn the_database_refuses_two_overlapping_active_windows_of_one_provider_whoever_writes_them() {
    let t = setup().await;
    let (p, provider) = t.provider("pat", &["plumbing"], 4.0).await;
    // Two plumbing jobs (two hours each) an hour apart: both can be booked while
    // nobody holds either.
    let a = t.book("plumbing", "2026-12-07T09:00:00Z").await.unwrap();
    let b = t.book("plumbing", "2026-12-07T10:00:00Z").await.unwrap();
    t.core
        .bookings
        .assign_by_hand(&t.admin, a.id, p, false, None)
        .await
        .unwrap();
    assert_eq!(
        t.assign_refused(b.id, p, Some("try")).await,
        DomainError::ProviderBusy {
            provider_id: p,
            booking_id: a.id
        }
    );
    assert_eq!(t.get(b.id).await.status, Status::Pending, "nothing written");

    // Underneath the core, a plain UPDATE is refused the same way.
    let raw =
        t.db.raw(&format!(
            "UPDATE bookings SET status = 'assigned', provider_id = {p} WHERE id = {}",
            b.id
        ))
        .await;
    let message = raw.unwrap_err().to_string();
    assert!(refused_as_busy(&message), "{message}");

    // An admin may allow it with a reason: recorded as an override.
    let allowed = t
        .core
        .bookings
        .assign_by_hand(&t.admin, b.id, p, true, Some("same street, ten minutes"))
        .await
        .unwrap();
    assert!(allowed.overlap_override);
    let history = t.core.bookings.history(&t.admin, b.id).await.unwrap();
    let last = history.last().unwrap();
    assert!(last.is_override);
    assert_eq!(last.reason.as_deref(), Some("same street, ten minutes"));
    let detail = t.core.bookings.detail(&t.admin, b.id).await.unwrap();
    let manual = detail.attempts.last().unwrap();
    assert_eq!(
        (manual.outcome, manual.reason.as_deref()),
        (AttemptOutcome::Manual, Some("same street, ten minutes"))
    );
    // Back to dispatch, the allowance goes with the assignment.
    let reject = change(Status::Rejected, None);
    let rejected = t.core.change_status(&provider, b.id, reject).await.unwrap();
    assert!(!rejected.overlap_override);
}

/// An admin's override that puts a provider back to work on a window they were given
/// again since (a finished job reopened) is allowed, and marked as an override.
#[tokio::test]
async fn an_override_back_onto_a_window_the_provider_was_given_again_is_allowed_and_marked() {
    let t = setup().await;
    let (p, provider) = t.provider("pat", &["plumbing"], 4.0).await;
    let a = t.book("plumbing", "2026-12-07T09:00:00Z").await.unwrap();
    t.core
        .bookings
        .assign_by_hand(&t.admin, a.id, p, false, None)
        .await
        .unwrap();
    t.set_clock(at("2026-12-07T08:30:00Z"));
    for status in [Status::Accepted, Status::InProgress, Status::Completed] {
        t.core
            .change_status(&provider, a.id, change(status, None))
            .await
            .unwrap();
    }
    let b = t.book("plumbing", "2026-12-07T10:00:00Z").await.unwrap();
    t.core
        .bookings
        .assign_by_hand(&t.admin, b.id, p, false, None)
        .await
        .unwrap();
    let reopen = StatusChange {
        status: Status::InProgress,
        reason: Some("not finished after all".into()),
        is_override: true,
        absent: None,
        expected_version: None,
    };
    let reopened = t.core.change_status(&t.admin, a.id, reopen).await.unwrap();
    assert_eq!(
        (reopened.status, reopened.overlap_override),
        (Status::InProgress, true)
    );
    assert!(!t.get(b.id).await.overlap_override);
    // The provider accepting the other one changes nothing of that.
    let accepted = t
        .core
        .change_status(&provider, b.id, change(Status::Accepted, None))
        .await
        .unwrap();
    assert!(!accepted.overlap_override);
}

/// The rule keeps apart only the windows no admin allowed to overlap: a window an admin
/// allowed, lying between, neither refuses the new one nor hides the one behind it that
/// the new one overlaps. Whoever writes it (the core, a plain UPDATE, a plain INSERT), and
/// in matching.
#[tokio::test]
async fn the_rule_passes_over_a_window_an_admin_allowed_to_the_one_it_overlaps() {
    let t = setup().await;
    let (p, _) = t.provider("pat", &["plumbing", "cleaning"], 4.0).await;
    // Cleaning 08:00-11:00; plumbing 08:30-10:30, allowed over it; plumbing 10:30-12:30.
    let a = t.book("cleaning", "2026-12-07T08:00:00Z").await.unwrap();
    let allowed = t.book("plumbing", "2026-12-07T08:30:00Z").await.unwrap();
    let c = t.book("plumbing", "2026-12-07T10:30:00Z").await.unwrap();
    t.assign(a.id, p, None).await;
    t.assign(allowed.id, p, Some("a quick one between")).await;
    assert_eq!(
        t.assign_refused(c.id, p, None).await,
        DomainError::ProviderBusy {
            provider_id: p,
            booking_id: a.id
        }
    );
    let update = format!(
        "UPDATE bookings SET status = 'assigned', provider_id = {p} WHERE id = {}",
        c.id
    );
    let raw = t.db.raw(&update).await.unwrap_err().to_string();
    assert!(refused_as_busy(&raw), "{raw}");
    let insert = format!(
        "INSERT INTO bookings (customer_id, customer_name, customer_phone, customer_email, \
         service_type, address, starts_at, ends_at, status, provider_id, created_at, updated_at) \
         SELECT customer_id, customer_name, customer_phone, customer_email, service_type, \
         address, starts_at, ends_at, 'assigned', {p}, created_at, updated_at \
         FROM bookings WHERE id = {}",
        c.id
    );
    let raw = t.db.raw(&insert).await.unwrap_err().to_string();
    assert!(refused_as_busy(&raw), "{raw}");
    assert_eq!(t.get(c.id).await.status, Status::Pending, "nothing written");
    // Matching reads the same way.
    t.run_all("w").await;
    let why = format!("overlapping booking #{}", a.id);
    assert_eq!(t.passed_over(c.id).await, [(p, why)]);
}

/// Matching keeps away from a window an admin allowed to overlap, also when a later window
/// of the provider, one the rule keeps apart, ends before the booking starts.
#[tokio::test]
async fn matching_keeps_away_from_a_window_an_admin_allowed_behind_one_that_ends_in_time() {
    let t = setup().await;
    let (pat, _) = t.provider("pat", &["plumbing", "cleaning"], 5.0).await;
    let (bob, _) = t.provider("bob", &["plumbing"], 1.0).await;
    // Pat: cleaning 09:00-12:00, allowed over plumbing 08:00-10:00.
    let early = t.book("plumbing", "2026-12-07T08:00:00Z").await.unwrap();
    let long = t.book("cleaning", "2026-12-07T09:00:00Z").await.unwrap();
    t.assign(early.id, pat, None).await;
    t.assign(long.id, pat, Some("two of them that morning"))
        .await;
    let c = t.book("plumbing", "2026-12-07T11:00:00Z").await.unwrap();
    assert_eq!(
        t.run_all("w").await,
        [AssignmentOutcome::Assigned { provider_id: bob }]
    );
    let why = format!("overlapping booking #{}", long.id);
    assert_eq!(t.passed_over(c.id).await, [(pat, why)]);
}

#[tokio::test]
async fn of_two_assignments_of_one_provider_to_overlapping_windows_racing_exactly_one_wins() {
    let t = setup().await;
    let (p, _) = t.provider("pat", &["plumbing"], 4.0).await;
    for round in 0..6 {
        let day = 7 + round;
        let a = t
            .book("plumbing", &format!("2026-12-{day:02}T09:00:00Z"))
            .await
            .unwrap();
        let b = t
            .book("plumbing", &format!("2026-12-{day:02}T10:30:00Z"))
            .await
            .unwrap();
        let (x, y) = tokio::join!(
            t.core
                .bookings
                .assign_by_hand(&t.admin, a.id, p, false, None),
            t.core
                .bookings
                .assign_by_hand(&t.admin, b.id, p, false, None),
        );
        let (won, lost) = match (x, y) {
            (Ok(won), Err(e)) => (won, (b.id, e)),
            (Err(e), Ok(won)) => (won, (a.id, e)),
            other => panic!("round {round}: exactly one must win: {other:?}"),
        };
        assert_eq!(
            domain(lost.1),
            DomainError::ProviderBusy {
                provider_id: p,
                booking_id: won.id
            },
            "round {round}"
        );
        assert_eq!(t.get(lost.0).await.status, Status::Pending);
    }
    // The same between two workers' assignment jobs: one assigns, the other finds the
    // provider busy and says so.
    let a = t.book("plumbing", "2026-12-21T09:00:00Z").await.unwrap();
    let b = t.book("plumbing", "2026-12-21T09:30:00Z").await.unwrap();
    let jobs = t.claim("w").await;
    let jobs: Vec<_> = jobs
        .into_iter()
        .filter(|j| [a.id, b.id].contains(&common::booking_of(j)))
        .collect();
    assert_eq!(jobs.len(), 2);
    let (w1, w2) = (t.core.assignment_by("w1"), t.core.assignment_by("w2"));
    let (x, y) = tokio::join!(w1.run(&jobs[0]), w2.run(&jobs[1]));
    let outcomes = [x.unwrap(), y.unwrap()];
    let assigned = outcomes
        .iter()
        .filter(|o| matches!(o, AssignmentOutcome::Assigned { .. }))
        .count();
    assert_eq!(assigned, 1, "{outcomes:?}");
    let loser = if matches!(outcomes[0], AssignmentOutcome::Assigned { .. }) {
        common::booking_of(&jobs[1])
    } else {
        common::booking_of(&jobs[0])
    };
    let winner = if loser == a.id { b.id } else { a.id };
    let attempts = t
        .core
        .bookings
        .detail(&t.admin, loser)
        .await
        .unwrap()
        .attempts;
    let why = attempts[0].explanation.clone().unwrap();
    assert_eq!(why.listed.len(), 1);
    assert_eq!(
        why.listed[0].reason,
        format!("overlapping booking #{winner}")
    );
}

#[tokio::test]
async fn matching_follows_calendars_in_the_provider_s_own_zone_and_each_attempt_says_why() {
    let t = setup().await;
    // Berlin 08:00-12:00 is 07:00-11:00 UTC in December; New York 09:00-17:00 is
    // 14:00-22:00 UTC.
    let (berlin, _) = t.provider("berta", &["plumbing"], 4.0).await;
    t.core
        .providers
        .set_calendar(
            &t.admin,
            berlin,
            &weekdays("Europe/Berlin", "08:00", "12:00"),
        )
        .await
        .unwrap();
    let (ny, _) = t.provider("nico", &["plumbing"], 5.0).await;
    t.core
        .providers
        .set_calendar(
            &t.admin,
            ny,
            &weekdays("America/New_York", "09:00", "17:00"),
        )
        .await
        .unwrap();
    let (away, _) = t.provider("otto", &["plumbing"], 5.0).await;
    // Booked while otto works, then otto stops taking work.
    let morning = t.book("plumbing", "2026-12-07T08:00:00Z").await.unwrap();
    common::stop_taking_work(&t.core, away).await;
    let afternoon = t.book("plumbing", "2026-12-07T15:00:00Z").await.unwrap();
    // 11:00-13:00 UTC: Berlin has stopped, New York has not begun; otto is away.
    let refused = t
        .book("plumbing", "2026-12-07T11:00:00Z")
        .await
        .unwrap_err();
    assert!(refusal(refused, "starts_at").contains("nobody can do plumbing"));
    // Saturday: nobody works.
    assert!(t.book("plumbing", "2026-12-12T08:00:00Z").await.is_err());
    // Nobody offers gardening.
    let refused = t
        .book("gardening", "2026-12-07T08:00:00Z")
        .await
        .unwrap_err();
    assert!(refusal(refused, "service_type").contains("nobody offers gardening"));

    let outcomes = t.run_all("w").await;
    assert_eq!(
        outcomes,
        [
            AssignmentOutcome::Assigned {
                provider_id: berlin
            },
            AssignmentOutcome::Assigned { provider_id: ny },
        ]
    );
    let detail = t.core.bookings.detail(&t.admin, morning.id).await.unwrap();
    let why = detail.attempts[0].explanation.clone().unwrap();
    let reasons: Vec<(i64, bool, &str)> = why
        .listed
        .iter()
        .map(|c| (c.provider_id, c.chosen, c.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (berlin, true, "chosen: 0 jobs that day, rank 4.0"),
            (ny, false, "off hours"),
            (away, false, "unavailable"),
        ]
    );
    let detail = t
        .core
        .bookings
        .detail(&t.admin, afternoon.id)
        .await
        .unwrap();
    let why = detail.attempts[0].explanation.clone().unwrap();
    let berlin_why = why.listed.iter().find(|c| c.provider_id == berlin).unwrap();
    assert_eq!(berlin_why.reason, "off hours", "Berlin's day is over");

    // A day off replaces the weekday: Berlin takes Tuesday off.
    let mut berlin_cal = weekdays("Europe/Berlin", "08:00", "12:00");
    berlin_cal.exceptions = vec![DateHours {
        date: "2026-12-08".into(),
        ranges: vec![],
    }];
    t.core
        .providers
        .set_calendar(&t.admin, berlin, &berlin_cal)
        .await
        .unwrap();
    assert!(t.book("plumbing", "2026-12-08T08:00:00Z").await.is_err());
    // Extra hours on a Saturday.
    berlin_cal.exceptions = vec![DateHours {
        date: "2026-12-12".into(),
        ranges: vec![Hours {
            start: "10:00".into(),
            end: "14:00".into(),
        }],
    }];
    t.core
        .providers
        .set_calendar(&t.admin, berlin, &berlin_cal)
        .await
        .unwrap();
    assert!(t.book("plumbing", "2026-12-12T09:00:00Z").await.is_ok());
}

#[tokio::test]
async fn a_booking_is_admitted_only_if_its_window_misses_every_active_window_that_overlaps_it() {
    let t = setup().await;
    // Ann works all day, every day; she cleans 08:00-11:00 on Monday.
    let (ann, _) = t.provider("ann", &["plumbing", "cleaning"], 5.0).await;
    t.book("cleaning", "2026-12-07T08:00:00Z").await.unwrap();
    assert_eq!(
        t.run_all("w").await,
        [AssignmentOutcome::Assigned { provider_id: ann }]
    );
    // Bob is the only electrician, and he is not taking work.
    let (bob, _) = t.provider("bob", &["electrical"], 5.0).await;
    common::stop_taking_work(&t.core, bob).await;

    // Plumbing takes two hours: over her cleaning's start, inside it, over its end.
    for starts_at in [
        "2026-12-07T06:30:00Z",
        "2026-12-07T07:00:00Z",
        "2026-12-07T09:00:00Z",
        "2026-12-07T10:00:00Z",
    ] {
        let refused = t.book("plumbing", starts_at).await.unwrap_err();
        assert!(
            refusal(refused, "starts_at").contains("nobody can do plumbing"),
            "{starts_at}"
        );
    }
    // Windows that only touch it, and one the day before.
    for starts_at in [
        "2026-12-07T06:00:00Z",
        "2026-12-07T11:00:00Z",
        "2026-12-06T08:00:00Z",
    ] {
        let booked = t.book("plumbing", starts_at).await.unwrap();
        assert_eq!(
            booked.ends_at - booked.starts_at,
            chrono::Duration::hours(2)
        );
    }
    let refused = t
        .book("electrical", "2026-12-07T08:00:00Z")
        .await
        .unwrap_err();
    assert!(refusal(refused, "service_type").contains("nobody offers electrical"));
    let refused = t.book("welding", "2026-12-07T08:00:00Z").await.unwrap_err();
    assert!(refusal(refused, "service_type").contains("is not a service type we offer"));
}

#[tokio::test]
async fn availability_lists_the_grid_starts_someone_can_serve_after_the_lead_time() {
    let t = setup().await;
    let (berlin, _) = t.provider("berta", &["plumbing"], 4.0).await;
    t.core
        .providers
        .set_calendar(
            &t.admin,
            berlin,
            &weekdays("Europe/Berlin", "08:00", "12:00"),
        )
        .await
        .unwrap();
    let booked = t.book("plumbing", "2026-12-07T08:00:00Z").await.unwrap();
    t.core
        .bookings
        .assign_by_hand(&t.admin, booked.id, berlin, false, None)
        .await
        .unwrap();
    let schedule = Schedule::new(t.core.db.clone(), t.core.bookings.rules());
    let day = schedule
        .availability(
            "plumbing",
            at("2026-12-07T00:00:00Z"),
            at("2026-12-08T00:00:00Z"),
            None,
            None,
        )
        .await
        .unwrap();
    let starts = starts_of(&day, "%H:%M");
    // Berlin's 08:00-12:00 is 07:00-11:00 UTC, and 08:00-10:00 is taken: no two free
    // hours are left that Monday.
    assert_eq!(starts, Vec::<String>::new());
    // Moving that booking, its own window is not in its way: every start in her hours.
    let moving = schedule
        .availability(
            "plumbing",
            at("2026-12-07T00:00:00Z"),
            at("2026-12-08T00:00:00Z"),
            None,
            Some(booked.id),
        )
        .await
        .unwrap();
    assert_eq!(
        starts_of(&moving, "%H:%M"),
        ["07:00", "07:30", "08:00", "08:30", "09:00"]
    );
    let next_day = schedule
        .availability(
            "plumbing",
            at("2026-12-08T00:00:00Z"),
            at("2026-12-09T00:00:00Z"),
            None,
            None,
        )
        .await
        .unwrap();
    let starts = starts_of(&next_day, "%H:%M");
    assert_eq!(starts, ["07:00", "07:30", "08:00", "08:30", "09:00"]);
    assert!(next_day.slots.iter().all(|s| s.providers == 1));
    assert_eq!(next_day.duration_minutes, 120);

    // Nothing within the lead time: an hour from now at the earliest.
    t.set_clock(at("2026-12-08T06:45:00Z"));
    let soon = schedule
        .availability(
            "plumbing",
            at("2026-12-08T00:00:00Z"),
            at("2026-12-09T00:00:00Z"),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(soon.slots[0].starts_at, at("2026-12-08T08:00:00Z"));
    // Nothing more than a year ahead, which could not be booked: a year from now is
    // 2027-12-09 06:45, before that Thursday's first start.
    let year_on = schedule
        .availability(
            "plumbing",
            at("2027-12-08T00:00:00Z"),
            at("2027-12-10T00:00:00Z"),
            None,
            None,
        )
        .await
        .unwrap();
    let starts = starts_of(&year_on, "%d %H:%M");
    assert_eq!(
        starts,
        ["08 07:00", "08 07:30", "08 08:00", "08 08:30", "08 09:00"]
    );
    // Two weeks of New York's clock as it goes back an hour last fourteen days and one
    // hour; no more.
    let two_local_weeks = |minutes| {
        schedule.availability(
            "plumbing",
            at("2026-10-26T04:00:00Z"),
            at("2026-11-09T05:00:00Z") + chrono::Duration::minutes(minutes),
            None,
            None,
        )
    };
    assert!(two_local_weeks(0).await.is_ok());
    assert!(two_local_weeks(1).await.is_err());
    // At most fourteen days at once; a range must run forwards.
    assert!(
        schedule
            .availability(
                "plumbing",
                at("2026-12-08T00:00:00Z"),
                at("2026-12-23T00:00:00Z"),
                None,
                None
            )
            .await
            .is_err()
    );
    assert!(
        schedule
            .availability(
                "plumbing",
                at("2026-12-09T00:00:00Z"),
                at("2026-12-08T00:00:00Z"),
                None,
                None
            )
            .await
            .is_err()
    );
    assert!(
        schedule
            .availability(
                "teleportation",
                at("2026-12-08T00:00:00Z"),
                at("2026-12-09T00:00:00Z"),
                None,
                None
            )
            .await
            .is_err()
    );
}

/// The starts of `availability`'s slots, formatted.
fn starts_of(availability: &Availability, format: &str) -> Vec<String> {
    let starts = availability.slots.iter();
    starts
        .map(|s| s.starts_at.format(format).to_string())
        .collect()
}

/// Assigns a fresh plumbing booking at `starts_at` to the one provider; returns it.
async fn offered(t: &T, starts_at: &str) -> Booking {
    let b = t.book("plumbing", starts_at).await.unwrap();
    let outcomes = t.run_all("w").await;
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, AssignmentOutcome::Assigned { .. })),
        "{outcomes:?}"
    );
    t.get(b.id).await
}

#[tokio::test]
async fn an_operator_s_run_now_does_not_end_an_offer_before_its_time() {
    use shared::console::{JobAction, JobSelection};
    let t = setup().await;
    let (ann, _) = t.provider("ann", &["plumbing"], 5.0).await;
    let b = offered(&t, "2026-12-07T09:00:00Z").await;
    let expiry = t
        .core
        .queue
        .list(&queue::JobFilter {
            kind: Some(ExpireOffer::KIND.into()),
            subject_id: Some(b.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    assert_eq!(expiry.state, JobState::Scheduled);
    let report = t
        .core
        .console()
        .act_on_jobs(
            &t.admin,
            JobAction::RunNow,
            JobSelection::Ids(vec![expiry.id]),
        )
        .await
        .unwrap();
    assert_eq!((report.changed, report.skipped_count), (0, 1));
    assert!(
        report.skipped[0].reason.contains("reassign the booking"),
        "{:?}",
        report.skipped
    );
    let after = t.core.queue.get(expiry.id).await.unwrap().unwrap();
    assert_eq!(after.run_at, expiry.run_at, "still due when the offer ends");
    assert!(t.claim("w").await.is_empty());
    let b = t.get(b.id).await;
    assert_eq!((b.status, b.provider_id), (Status::Assigned, Some(ann)));
}

#[tokio::test]
async fn an_offer_nobody_answers_expires_as_a_failed_attempt_and_its_provider_is_skipped() {
    let t = setup().await;
    let (first, _) = t.provider("ann", &["plumbing"], 5.0).await;
    let (second, _) = t.provider("ben", &["plumbing"], 4.0).await;
    let b = offered(&t, "2026-12-07T09:00:00Z").await;
    assert_eq!(b.provider_id, Some(first));
    let offered_at = t.core.db.now();
    // Not a moment early.
    t.clock.advance(chrono::Duration::seconds(899));
    assert!(t.claim("w").await.is_empty());
    t.clock.advance(chrono::Duration::seconds(1));
    let expiry = t.claim("w").await;
    assert_eq!(expiry.len(), 1);
    assert_eq!(expiry[0].kind, ExpireOffer::KIND);
    assert_eq!(
        t.core.assignment_by("w").run(&expiry[0]).await.unwrap(),
        AssignmentOutcome::Expired { provider_id: first }
    );
    let detail = t.core.bookings.detail(&t.admin, b.id).await.unwrap();
    assert_eq!(detail.booking.status, Status::Rejected);
    assert_eq!(detail.booking.provider_id, None);
    let last = detail.history.last().unwrap();
    assert_eq!(last.changed_by_role, Role::System);
    assert_eq!(
        last.reason.as_deref(),
        Some(
            format!("the offer expired: provider {first} did not answer within 15 minutes")
                .as_str()
        )
    );
    assert_eq!(detail.attempts[0].outcome, AttemptOutcome::Expired);
    // The next attempt after the base delay, skipping the provider who let it expire.
    let job = detail.assignment.unwrap();
    assert_eq!((job.attempt, job.state), (2, JobState::Retrying));
    assert_eq!(
        job.next_attempt_at,
        Some(offered_at + chrono::Duration::seconds(901))
    );
    t.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(
        t.run_all("w").await,
        [AssignmentOutcome::Assigned {
            provider_id: second
        }]
    );
    let detail = t.core.bookings.detail(&t.admin, b.id).await.unwrap();
    let why = detail.attempts[1].explanation.clone().unwrap();
    assert_eq!(why.listed[1].provider_id, first);
    assert_eq!(why.listed[1].reason, "offer expired before");
    // The offer of the second attempt expires the same way when nobody answers it.
    t.clock.advance(chrono::Duration::seconds(900));
    let expiry = t.claim("w").await;
    assert_eq!(expiry.len(), 1);
    assert_eq!(
        t.core.assignment_by("w").run(&expiry[0]).await.unwrap(),
        AssignmentOutcome::Expired {
            provider_id: second
        }
    );
    let detail = t.core.bookings.detail(&t.admin, b.id).await.unwrap();
    assert_eq!(detail.attempts[1].outcome, AttemptOutcome::Expired);
}

/// An expiry claimed while the offer changes hands does nothing when it runs: not to the
/// provider who holds the booking now, nor to the first provider holding it again by
/// hand (a new cycle and a new attempt, whose offer expires on its own time).
#[tokio::test]
async fn an_expiry_claimed_before_the_offer_changed_hands_leaves_the_new_offer_alone() {
    let t = setup().await;
    let (ann, _) = t.provider("ann", &["plumbing"], 5.0).await;
    let (ben, _) = t.provider("ben", &["plumbing"], 4.0).await;
    let b = offered(&t, "2026-12-07T09:00:00Z").await;
    assert_eq!(b.provider_id, Some(ann));
    t.clock.advance(chrono::Duration::seconds(900));
    let stale = t.claim("w").await;
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].kind, ExpireOffer::KIND);
    for provider in [ben, ann] {
        t.core
            .bookings
            .assign_by_hand(&t.admin, b.id, provider, false, None)
            .await
            .unwrap();
    }
    assert_eq!(
        t.core.assignment_by("w").run(&stale[0]).await.unwrap(),
        AssignmentOutcome::NoOp
    );
    let detail = t.core.bookings.detail(&t.admin, b.id).await.unwrap();
    assert_eq!(
        (detail.booking.status, detail.booking.provider_id),
        (Status::Assigned, Some(ann))
    );
    assert_eq!(
        detail.attempts.last().unwrap().outcome,
        AttemptOutcome::Manual
    );
    // The offer made by hand expires on its own time.
    t.clock.advance(chrono::Duration::seconds(900));
    let due: Vec<ClaimedJob> = t.claim("w").await;
    let mut outcomes = Vec::new();
    for job in &due {
        outcomes.push(t.core.assignment_by("w").run(job).await.unwrap());
    }
    assert!(
        outcomes.contains(&AssignmentOutcome::Expired { provider_id: ann }),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_late_accept_and_the_expiry_racing_exactly_one_wins() {
    let t = setup().await;
    let (p, provider) = t.provider("ann", &["plumbing"], 5.0).await;
    let mut accepted = 0;
    let mut expired = 0;
    for round in 0..8 {
        let b = offered(&t, &format!("2026-12-{:02}T09:00:00Z", 7 + round)).await;
        assert_eq!(b.provider_id, Some(p));
        t.clock.advance(chrono::Duration::seconds(900));
        let expiry: Vec<ClaimedJob> = t
            .claim("w")
            .await
            .into_iter()
            .filter(|j| j.kind == ExpireOffer::KIND)
            .collect();
        assert_eq!(expiry.len(), 1, "round {round}");
        let worker = t.core.assignment_by("w");
        let accept = change(Status::Accepted, None);
        let (e, a) = tokio::join!(
            worker.run(&expiry[0]),
            t.core.change_status(&provider, b.id, accept),
        );
        let now = t.get(b.id).await;
        match (e.unwrap(), a) {
            (AssignmentOutcome::Expired { .. }, Err(_)) => {
                expired += 1;
                assert_eq!(now.status, Status::Rejected, "round {round}");
            }
            (AssignmentOutcome::NoOp, Ok(_)) => {
                accepted += 1;
                assert_eq!(now.status, Status::Accepted, "round {round}");
            }
            (e, a) => panic!("round {round}: exactly one must win: {e:?} {a:?}"),
        }
        // Clear the slate: the booking is cancelled, its retry (if any) has nothing to do.
        t.core
            .change_status(&t.admin, b.id, change(Status::Cancelled, None))
            .await
            .unwrap();
    }
    assert_eq!(accepted + expired, 8);
    // An answered offer leaves no expiry behind.
    let b = offered(&t, "2026-12-21T09:00:00Z").await;
    t.core
        .change_status(&provider, b.id, change(Status::Accepted, None))
        .await
        .unwrap();
    t.clock.advance(chrono::Duration::seconds(3600));
    assert!(
        t.claim("w").await.is_empty(),
        "the expiry was cancelled with the answer"
    );
}

#[tokio::test]
async fn a_no_show_says_who_was_absent_a_customer_s_closes_it_a_provider_s_sends_it_back() {
    let t = setup().await;
    let (ann, ann_actor) = t.provider("ann", &["plumbing"], 5.0).await;
    let (ben, _) = t.provider("ben", &["plumbing"], 4.0).await;
    let b = offered(&t, "2026-12-07T09:00:00Z").await;
    assert_eq!(b.provider_id, Some(ann));
    t.core
        .change_status(&ann_actor, b.id, change(Status::Accepted, None))
        .await
        .unwrap();
    // Not before the window starts.
    t.set_clock(at("2026-12-07T08:59:00Z"));
    let early = t
        .core
        .change_status(
            &t.customer,
            b.id,
            change(Status::NoShow, Some(Absent::Provider)),
        )
        .await
        .unwrap_err();
    assert!(matches!(domain(early), DomainError::TooEarly { from, .. } if from == b.starts_at));
    // The customer reports the provider absent: back to dispatch, ann skipped.
    t.set_clock(at("2026-12-07T09:10:00Z"));
    let gone = t
        .core
        .change_status(&t.customer, b.id, change(Status::NoShow, None))
        .await
        .unwrap();
    assert_eq!(
        (gone.status, gone.absent, gone.provider_id),
        (Status::NoShow, Some(Absent::Provider), None)
    );
    t.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(
        t.run_all("w").await,
        [AssignmentOutcome::Assigned { provider_id: ben }]
    );

    // The provider reports the customer absent: closed, nobody else sent.
    let c = offered(&t, "2026-12-08T09:00:00Z").await;
    assert_eq!(c.provider_id, Some(ann));
    t.core
        .change_status(&ann_actor, c.id, change(Status::Accepted, None))
        .await
        .unwrap();
    t.set_clock(at("2026-12-08T08:30:00Z"));
    t.core
        .change_status(&ann_actor, c.id, change(Status::InProgress, None))
        .await
        .unwrap();
    let early = t
        .core
        .change_status(&ann_actor, c.id, change(Status::NoShow, None))
        .await
        .unwrap_err();
    assert!(matches!(domain(early), DomainError::TooEarly { .. }));
    t.set_clock(at("2026-12-08T09:20:00Z"));
    let closed = t
        .core
        .change_status(
            &ann_actor,
            c.id,
            change(Status::NoShow, Some(Absent::Customer)),
        )
        .await
        .unwrap();
    assert_eq!(
        (closed.status, closed.absent, closed.provider_id),
        (Status::NoShow, Some(Absent::Customer), Some(ann))
    );
    t.clock.advance(chrono::Duration::seconds(60));
    t.run_all("w").await;
    let still = t.get(c.id).await;
    assert_eq!(
        (still.status, still.provider_id),
        (Status::NoShow, Some(ann)),
        "no re-dispatch"
    );
    let jobs = t.core.jobs(None, Some(c.id), 5).await;
    assert!(jobs.iter().all(|j| !j.state.is_pending()));
    // A provider cannot say they themselves were absent, nor a customer from here.
    let d = offered(&t, "2026-12-09T09:00:00Z").await;
    assert_eq!(d.provider_id, Some(ann));
    t.core
        .change_status(&ann_actor, d.id, change(Status::Accepted, None))
        .await
        .unwrap();
    t.set_clock(at("2026-12-09T09:00:00Z"));
    assert!(matches!(
        t.core
            .change_status(&ann_actor, d.id, change(Status::NoShow, None))
            .await
            .map_err(domain),
        Err(DomainError::NotPermitted { .. })
    ));
}

#[tokio::test]
async fn a_customer_moves_a_booking_keeping_a_free_provider_or_back_to_dispatch_until_two_hours_before()
 {
    let t = setup().await;
    let (ann, ann_actor) = t.provider("ann", &["plumbing"], 5.0).await;
    let b = offered(&t, "2026-12-07T09:00:00Z").await;
    t.core
        .change_status(&ann_actor, b.id, change(Status::Accepted, None))
        .await
        .unwrap();
    // Free then: ann keeps it and is asked again.
    let moved = t
        .core
        .bookings
        .reschedule(&t.customer, b.id, "2026-12-07T13:00:00Z", None)
        .await
        .unwrap();
    assert_eq!(
        (
            moved.status,
            moved.provider_id,
            moved.starts_at,
            moved.ends_at
        ),
        (
            Status::Assigned,
            Some(ann),
            at("2026-12-07T13:00:00Z"),
            at("2026-12-07T15:00:00Z")
        )
    );
    let history = t.core.bookings.history(&t.admin, b.id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.changed_by_role, Role::Customer);
    assert!(
        last.reason.as_deref().unwrap().starts_with(
            "rescheduled from 2026-12-07 09:00 (UTC) to 2026-12-07 13:00 (UTC); the provider is free then"
        ),
        "{last:?}"
    );
    // The new offer expires like any other.
    t.clock.advance(chrono::Duration::seconds(900));
    let expiry = t.claim("w").await;
    assert_eq!(expiry.len(), 1);
    assert!(matches!(
        t.core.assignment_by("w").run(&expiry[0]).await.unwrap(),
        AssignmentOutcome::Expired { .. }
    ));

    // Ann busy at the new time with another job: back to dispatch (nobody else: it
    // must still be bookable, so a second plumber who is free then).
    let (ben, _) = t.provider("ben", &["plumbing"], 1.0).await;
    let c = offered(&t, "2026-12-08T09:00:00Z").await;
    assert_eq!(c.provider_id, Some(ann));
    let other = t.book("plumbing", "2026-12-09T09:00:00Z").await.unwrap();
    t.core
        .bookings
        .assign_by_hand(&t.admin, other.id, ann, false, None)
        .await
        .unwrap();
    let moved = t
        .core
        .bookings
        .reschedule(&t.customer, c.id, "2026-12-09T09:30:00Z", None)
        .await
        .unwrap();
    assert_eq!((moved.status, moved.provider_id), (Status::Pending, None));
    assert_eq!(moved.assignment_cycle, c.assignment_cycle + 1);
    assert_eq!(
        t.run_all("w").await,
        [AssignmentOutcome::Assigned { provider_id: ben }]
    );

    // A time nobody can serve, off the grid, and too late to move at all.
    let refused = t
        .core
        .bookings
        .reschedule(&t.customer, c.id, "2026-12-12T03:15:00Z", None)
        .await
        .unwrap_err();
    assert!(matches!(domain(refused), DomainError::Validation(f) if f.contains_key("starts_at")));
    // A move of a version that is not the booking's is a conflict, before anything else.
    let version = t.get(c.id).await.version;
    let stale = t
        .core
        .bookings
        .reschedule(&t.customer, c.id, "2026-12-12T03:15:00Z", Some(version + 1))
        .await
        .unwrap_err();
    assert!(matches!(domain(stale), DomainError::VersionConflict { .. }));
    // Two hours before the start the customer may still move it (this time is refused
    // for being off the grid, not for being late); a minute later, no more.
    t.set_clock(at("2026-12-09T07:30:00Z"));
    let in_time = t
        .core
        .bookings
        .reschedule(&t.customer, c.id, "2026-12-12T03:15:00Z", None)
        .await
        .unwrap_err();
    assert!(matches!(domain(in_time), DomainError::Validation(_)));
    t.set_clock(at("2026-12-09T07:31:00Z"));
    let late = t
        .core
        .bookings
        .reschedule(&t.customer, c.id, "2026-12-10T09:00:00Z", None)
        .await
        .unwrap_err();
    assert!(
        matches!(domain(late), DomainError::TooLate { until, .. } if until == at("2026-12-09T07:30:00Z"))
    );
    // An admin still may; a stranger learns nothing.
    assert!(
        t.core
            .bookings
            .reschedule(&t.admin, c.id, "2026-12-10T09:00:00Z", None)
            .await
            .is_ok()
    );
    let stranger = common::user(&t.core, "x@example.com", Role::Customer).await;
    assert!(matches!(
        t.core
            .bookings
            .reschedule(&stranger, c.id, "2026-12-11T09:00:00Z", None)
            .await
            .map_err(domain),
        Err(DomainError::NotFound { .. })
    ));
}
