//! The analytics room against a real database: a small data set built through the core
//! with a manual clock, whose figures are worked out by hand below. The suite runs on
//! SQLite and on PostgreSQL, so both backends give these same answers.

mod common;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use common::{Core, StatusChange};
use db::ManualClock;
use shared::analytics::{Analytics, BucketSize, DemandCell, Range, Report};
use shared::booking::validation::BookingInput;
use shared::provider::NewProvider;
use shared::{Actor, Role, Status};

struct Data {
    core: Core,
    clock: ManualClock,
    customer: Actor,
    admin: Actor,
    booked: i64,
    _db: common::TestDb,
}

impl Data {
    fn advance_ms(&self, ms: i64) {
        self.clock.advance(Duration::milliseconds(ms));
    }

    /// A plumbing booking made now, starting a day (and 3 hours per booking before it)
    /// later, so that none overlaps another.
    async fn book(&mut self) -> i64 {
        let start = "2026-11-29T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
            + Duration::hours(3 * self.booked);
        self.booked += 1;
        let input = BookingInput {
            customer_name: "C".into(),
            customer_phone: "5550100199".into(),
            customer_email: "c@example.com".into(),
            service_type: "plumbing".into(),
            address: "1 Road".into(),
            starts_at: start.to_rfc3339(),
            starts_at_field: "starts_at",
            time_zone: None,
            notes: None,
        };
        let new = input
            .validate(self.core.db.now(), &self.core.bookings.rules())
            .unwrap();
        let (booking, _) = self
            .core
            .bookings
            .create(&self.customer, new, None)
            .await
            .unwrap();
        booking.id
    }

    async fn provider(&self, name: &str) -> (i64, Actor) {
        let p = NewProvider {
            name: name.into(),
            email: format!("{name}@example.com"),
            service_types: vec!["plumbing".into()],
            available: true,
            rating: 4.0,
            login_password_hash: Some("-".into()),
            ..Default::default()
        };
        let p = self
            .core
            .providers
            .create(&shared::Actor::system("setup"), p)
            .await
            .unwrap();
        let user = self.core.accounts.user(p.user_id.unwrap()).await.unwrap();
        (p.id, user.unwrap().actor())
    }

    async fn assign(&self, booking: i64, provider: i64) {
        self.core
            .bookings
            .assign_by_hand(&self.admin, booking, provider, false, None)
            .await
            .unwrap();
    }

    async fn to(&self, who: &Actor, booking: i64, status: Status) {
        let change = StatusChange {
            status,
            reason: Some("analytics".into()),
            is_override: false,
            absent: None,
            expected_version: None,
        };
        self.core.change_status(who, booking, change).await.unwrap();
    }

    async fn report(
        &self,
        from: &str,
        to: &str,
        bucket: BucketSize,
        service: Option<&str>,
    ) -> Report {
        self.report_in(Tz::UTC, from, to, bucket, service).await
    }
    async fn report_in(
        &self,
        zone: Tz,
        from: &str,
        to: &str,
        bucket: BucketSize,
        service: Option<&str>,
    ) -> Report {
        let range = Range::new(
            Some(from.parse().unwrap()),
            Some(to.parse().unwrap()),
            bucket,
            service.map(str::to_owned),
            zone,
            self.core.db.now(),
        )
        .unwrap();
        Analytics::new(self.core.db.clone())
            .report(range)
            .await
            .unwrap()
    }
}

/// A fresh database with a customer and an admin, the clock at Saturday 2026-11-28 12:00.
async fn data() -> Data {
    let db = common::test_db(2000).await;
    let customer = common::user(&db.core, "c@example.com", Role::Customer).await;
    let admin = common::user(&db.core, "a@example.com", Role::Admin).await;
    Data {
        core: db.core.clone(),
        clock: db.clock.clone(),
        customer,
        admin,
        booked: 0,
        _db: db,
    }
}

/// Saturday 2026-11-28 from 12:00 UTC (the clock's start), four bookings:
///
/// | booking | assigned after | accepted after | now |
/// |---|---|---|---|
/// | b1 | 2 s (Pia) | 5 s | completed, rated 5 |
/// | b2 | 4 s (Ola, who rejects; then Pia) | no | assigned (Pia) |
/// | b3 | 6 s (Pia) | 20 s | cancelled |
/// | b4 | no | no | cancelled |
///
/// and Sunday 2026-11-29 at 12:00, b5: assigned to Pia after 8 s, accepted after 9 s.
async fn build() -> (Data, i64, i64) {
    let mut d = data().await;
    let (pia, pia_actor) = d.provider("pia").await;
    let (ola, ola_actor) = d.provider("ola").await;

    let b1 = d.book().await;
    d.advance_ms(2000);
    d.assign(b1, pia).await;
    d.advance_ms(3000);
    d.to(&pia_actor, b1, Status::Accepted).await;

    let b2 = d.book().await;
    d.advance_ms(4000);
    d.assign(b2, ola).await;
    d.advance_ms(1000);
    d.to(&ola_actor, b2, Status::Rejected).await;
    d.advance_ms(1000);
    d.assign(b2, pia).await;

    let b3 = d.book().await;
    d.advance_ms(6000);
    d.assign(b3, pia).await;
    d.advance_ms(14_000);
    d.to(&pia_actor, b3, Status::Accepted).await;
    let customer = d.customer.clone();
    d.to(&customer, b3, Status::Cancelled).await;

    let b4 = d.book().await;
    d.advance_ms(500);
    d.to(&customer, b4, Status::Cancelled).await;

    // Sunday at noon.
    let sunday: DateTime<Utc> = "2026-11-29T12:00:00Z".parse().unwrap();
    d.clock.advance(sunday - d.core.db.now());
    let b5 = d.book().await;
    d.advance_ms(8000);
    d.assign(b5, pia).await;
    d.advance_ms(1000);
    d.to(&pia_actor, b5, Status::Accepted).await;

    // b1 starts at 12:00 on Sunday: it is worked, then rated.
    d.advance_ms(60_000);
    d.to(&pia_actor, b1, Status::InProgress).await;
    d.to(&pia_actor, b1, Status::Completed).await;
    d.core.ratings.rate(&customer, b1, 5, None).await.unwrap();
    (d, pia, ola)
}

fn statuses(report: &Report, day: usize) -> Vec<(Status, i64)> {
    report.buckets[day]
        .by_status
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| (*s, *n))
        .collect()
}

#[tokio::test]
async fn the_figures_of_a_small_data_set_are_the_ones_worked_out_by_hand() {
    let (d, pia, ola) = build().await;
    let r = d
        .report("2026-11-27", "2026-11-29", BucketSize::Day, None)
        .await;

    let starts: Vec<String> = r.buckets.iter().map(|b| b.start.to_string()).collect();
    assert_eq!(starts, ["2026-11-27", "2026-11-28", "2026-11-29"]);
    // Friday: nothing, zeros for every status, no times.
    assert_eq!(r.buckets[0].created, 0);
    assert_eq!(r.buckets[0].by_status.len(), Status::ALL.len());
    assert_eq!(r.buckets[0].assign_p50_ms, None);

    // Saturday: four bookings; assigned after 2, 4, 6 s: p50 is the 2nd of 3
    // (ceil(3 * 0.5)), p90 the 3rd (ceil(3 * 0.9)); accepted after 5 and 20 s: p50 is the
    // 1st of 2, p90 the 2nd.
    let sat = &r.buckets[1];
    assert_eq!(sat.created, 4);
    assert_eq!(
        statuses(&r, 1),
        [
            (Status::Assigned, 1),
            (Status::Completed, 1),
            (Status::Cancelled, 2)
        ]
    );
    assert_eq!(
        (sat.assign_p50_ms, sat.assign_p90_ms),
        (Some(4000), Some(6000))
    );
    assert_eq!(
        (sat.accept_p50_ms, sat.accept_p90_ms),
        (Some(5000), Some(20_000))
    );
    assert_eq!(sat.dead, 0);

    // Sunday: b5 alone.
    let sun = &r.buckets[2];
    assert_eq!(statuses(&r, 2), [(Status::Accepted, 1)]);
    assert_eq!(
        (sun.assign_p50_ms, sun.assign_p90_ms),
        (Some(8000), Some(8000))
    );
    assert_eq!(
        (sun.accept_p50_ms, sun.accept_p90_ms),
        (Some(9000), Some(9000))
    );

    // Offers: Pia's b1, b2, b3, b5; Ola's b2, which she rejected. Accepted: b1, b3, b5
    // (b3 then cancelled). No-shows of accepted: 0 of 3. Cancelled: b3, b4 of 5.
    let rates = &r.rates;
    assert_eq!(
        (
            rates.created,
            rates.offers,
            rates.accepted,
            rates.rejected,
            rates.expired
        ),
        (5, 5, 3, 1, 0)
    );
    assert_eq!((rates.cancelled, rates.no_shows, rates.dead), (2, 0, 0));
    assert_eq!(rates.acceptance, Some(0.6));
    assert_eq!(rates.rejection, Some(0.2));
    assert_eq!(rates.expiry, Some(0.0));
    assert_eq!(rates.no_show, Some(0.0));
    assert_eq!(rates.cancellation, Some(0.4));

    // Demand: Saturday (6) and Sunday (7), the noon hour.
    let cell = |weekday, created| DemandCell {
        service_type: "plumbing".into(),
        weekday,
        hour: 12,
        created,
    };
    assert_eq!(r.demand, [cell(6, 4), cell(7, 1)]);

    // Providers, by id: Pia took 4 offers, accepted 3 (b1, b3, b5), completed 1, has one
    // 5-star review; Ola took 1 and rejected it.
    assert_eq!(r.providers.len(), 2);
    let p = &r.providers[0];
    assert_eq!((p.provider_id, p.name.as_str()), (pia, "pia"));
    assert_eq!(
        (
            p.offers,
            p.accepts,
            p.rejects,
            p.expiries,
            p.no_shows,
            p.completed
        ),
        (4, 3, 0, 0, 0, 1)
    );
    assert_eq!((p.rating_mean, p.rating_count), (Some(5.0), 1));
    let o = &r.providers[1];
    assert_eq!(
        (o.provider_id, o.offers, o.accepts, o.rejects),
        (ola, 1, 0, 1)
    );
    assert_eq!((o.rating_mean, o.rating_count), (None, 0));
}

#[tokio::test]
async fn weeks_a_service_filter_and_a_range_that_misses_the_data() {
    let (d, _, _) = build().await;
    // Saturday and Sunday share a week (Monday 23 to Sunday 29): one bucket, cut to start
    // on the range's first day. Assigned after 2, 4, 6, 8 s: p50 the 2nd of 4, p90 the 4th.
    let week = d
        .report("2026-11-28", "2026-11-29", BucketSize::Week, None)
        .await;
    assert_eq!(week.buckets.len(), 1);
    let b = &week.buckets[0];
    assert_eq!((b.start.to_string().as_str(), b.created), ("2026-11-28", 5));
    assert_eq!((b.assign_p50_ms, b.assign_p90_ms), (Some(4000), Some(8000)));

    // Nobody booked cleaning: every figure is zero or none.
    let cleaning = d
        .report(
            "2026-11-28",
            "2026-11-29",
            BucketSize::Day,
            Some("cleaning"),
        )
        .await;
    assert_eq!(cleaning.rates.created, 0);
    assert_eq!(cleaning.rates.offers, 0);
    assert_eq!(cleaning.rates.acceptance, None);
    assert!(cleaning.providers.is_empty() && cleaning.demand.is_empty());
    // Plumbing is all of it.
    let plumbing = d
        .report(
            "2026-11-28",
            "2026-11-29",
            BucketSize::Day,
            Some("plumbing"),
        )
        .await;
    assert_eq!((plumbing.rates.created, plumbing.rates.offers), (5, 5));

    // The day after: nothing was created, and no offer made.
    let monday = d
        .report("2026-11-30", "2026-11-30", BucketSize::Day, None)
        .await;
    assert_eq!(monday.rates.created, 0);
    assert!(monday.providers.is_empty());
}

#[tokio::test]
async fn the_p90_of_ten_waits_is_the_ninth_smallest() {
    // Nearest rank: ceil(10 × 0.9) = 9, not the 10th (an interpolating or off-by-one
    // rank), on both backends' ways of ranking.
    let mut d = data().await;
    let (pia, _) = d.provider("pia").await;
    for k in [7, 3, 10, 1, 9, 5, 2, 8, 6, 4] {
        let b = d.book().await;
        d.advance_ms(k * 1000);
        d.assign(b, pia).await;
    }
    let r = d
        .report("2026-11-28", "2026-11-28", BucketSize::Day, None)
        .await;
    let b = &r.buckets[0];
    assert_eq!(b.created, 10);
    assert_eq!((b.assign_p50_ms, b.assign_p90_ms), (Some(5000), Some(9000)));
}

#[tokio::test]
async fn demand_is_placed_on_a_local_clock_half_an_hour_off_utc() {
    let mut d = data().await;
    d.provider("pia").await;
    // Saturday 12:10 and 12:40 UTC: 17:40 and 18:10 in Kolkata (UTC+5:30).
    d.advance_ms(10 * 60 * 1000);
    d.book().await;
    d.advance_ms(30 * 60 * 1000);
    d.book().await;
    d.book().await;
    let r = d
        .report_in(
            chrono_tz::Asia::Kolkata,
            "2026-11-28",
            "2026-11-28",
            BucketSize::Day,
            None,
        )
        .await;
    let cell = |hour, created| DemandCell {
        service_type: "plumbing".into(),
        weekday: 6,
        hour,
        created,
    };
    assert_eq!(r.demand, [cell(17, 1), cell(18, 2)]);
}
