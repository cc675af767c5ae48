//! What a valid new booking is. Every field is checked and every problem reported at
//! once, keyed by the field's name, so that a form can show each next to its input.
//! Whether anyone can serve it then is the store's to say (`Bookings::create`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::error::{DomainError, FieldErrors};
use crate::input;
use crate::schedule::ScheduleRules;
use crate::schedule::calendar::time_zone;
use crate::schedule::rules::{MAX_AHEAD, on_grid, wall_clock};

/// A booking as someone asks for it, before validation. (The API's request type is its
/// own, beside its handler; it hands its fields over as this.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingInput {
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: String,
    pub service_type: String,
    pub address: String,
    /// RFC 3339 with an offset, e.g. `2026-12-01T09:30:00+01:00`.
    pub starts_at: String,
    /// The field the start came in (`starts_at`, or its alias `scheduled_date`), to name
    /// in errors.
    pub starts_at_field: &'static str,
    /// The address's IANA time zone; the service area's when absent.
    pub time_zone: Option<String>,
    pub notes: Option<String>,
}

/// A booking that passed validation: trimmed, with its start parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: String,
    pub service_type: String,
    pub address: String,
    pub starts_at: DateTime<Utc>,
    pub time_zone: Tz,
    pub notes: Option<String>,
    /// The field the start came in, to name in the store's errors.
    pub starts_at_field: &'static str,
}

/// Checks a requested start: RFC 3339, on the slot grid of `tz`, no earlier than the
/// lead time allows and within a year. Problems are recorded under `field`.
pub fn check_start(
    value: &str,
    field: &str,
    now: DateTime<Utc>,
    tz: Tz,
    rules: &ScheduleRules,
) -> Result<DateTime<Utc>, FieldErrors> {
    let problem = |message: String| FieldErrors::from([(field.to_owned(), message)]);
    let Ok(start) = DateTime::parse_from_rfc3339(value.trim()) else {
        return Err(problem(
            "must be an RFC 3339 date and time with an offset, e.g. 2026-12-01T09:30:00+01:00"
                .into(),
        ));
    };
    let start = start.with_timezone(&Utc);
    let earliest = rules.earliest_start(now);
    if start < earliest {
        return Err(problem(if start < now {
            "must be in the future".into()
        } else {
            format!(
                "must be at least {} minutes from now (from {})",
                rules.min_lead.num_minutes(),
                wall_clock(earliest, tz)
            )
        }));
    }
    if start > now + MAX_AHEAD {
        return Err(problem("must be within a year from now".into()));
    }
    if !on_grid(start, tz) {
        return Err(problem(format!(
            "must start on the hour or half past in {} (bookable slots are 30 minutes apart)",
            tz.name()
        )));
    }
    Ok(start)
}

impl BookingInput {
    /// Validates every field against `now` and `rules`; whether the service exists and
    /// anyone can serve it then is checked by the store.
    pub fn validate(
        &self,
        now: DateTime<Utc>,
        rules: &ScheduleRules,
    ) -> Result<NewBooking, DomainError> {
        let mut errors = FieldErrors::new();
        let field = if self.starts_at_field.is_empty() {
            "starts_at"
        } else {
            self.starts_at_field
        };
        let customer_name = input::text(&mut errors, "customer_name", &self.customer_name, 200);
        let customer_phone = input::phone(&mut errors, "customer_phone", &self.customer_phone);
        let customer_email = input::email(&mut errors, "customer_email", &self.customer_email);
        let service_type = input::text(&mut errors, "service_type", &self.service_type, 64);
        let address = input::text(&mut errors, "address", &self.address, 500);
        let tz = match self.time_zone.as_deref().map(str::trim) {
            None | Some("") => rules.service_time_zone,
            Some(name) => time_zone(name).unwrap_or_else(|| {
                errors.insert(
                    "time_zone".into(),
                    "must be an IANA time zone such as Europe/Berlin".into(),
                );
                rules.service_time_zone
            }),
        };
        let starts_at = match check_start(&self.starts_at, field, now, tz, rules) {
            Ok(start) => start,
            Err(problems) => {
                errors.extend(problems);
                now
            }
        };
        let notes = input::notes(&mut errors, "notes", self.notes.as_deref(), 2000);
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        Ok(NewBooking {
            customer_name,
            customer_phone,
            customer_email,
            service_type,
            address,
            starts_at,
            time_zone: tz,
            notes,
            starts_at_field: field,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-28T12:00:00Z".parse().unwrap()
    }

    fn rules() -> ScheduleRules {
        ScheduleRules {
            service_time_zone: "Europe/Berlin".parse().unwrap(),
            ..ScheduleRules::default()
        }
    }

    fn valid() -> BookingInput {
        BookingInput {
            customer_name: "  Ada Lovelace ".into(),
            customer_phone: "+44 20 7946 0958".into(),
            customer_email: "Ada@Example.com".into(),
            service_type: "plumbing".into(),
            address: "12 Analytical Row, London".into(),
            starts_at: "2026-12-01T09:30:00+01:00".into(),
            starts_at_field: "starts_at",
            time_zone: None,
            notes: Some("  ".into()),
        }
    }

    fn errors(req: BookingInput) -> FieldErrors {
        match req.validate(now(), &rules()) {
            Err(DomainError::Validation(e)) => e,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_booking_is_trimmed_its_start_normalised_to_utc_in_the_service_area_s_zone() {
        let b = valid().validate(now(), &rules()).unwrap();
        assert_eq!(b.customer_name, "Ada Lovelace");
        assert_eq!(b.customer_email, "ada@example.com");
        assert_eq!(b.starts_at.to_rfc3339(), "2026-12-01T08:30:00+00:00");
        assert_eq!(b.time_zone.name(), "Europe/Berlin");
        assert_eq!(b.notes, None);
        let own_zone = BookingInput {
            time_zone: Some("America/Los_Angeles".into()),
            starts_at: "2026-12-01T10:00:00-08:00".into(),
            ..valid()
        };
        assert_eq!(
            own_zone.validate(now(), &rules()).unwrap().time_zone.name(),
            "America/Los_Angeles"
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once_by_name() {
        let e = errors(BookingInput {
            time_zone: Some("Mars/Olympus".into()),
            ..BookingInput::default()
        });
        let fields: Vec<_> = e.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "address",
                "customer_email",
                "customer_name",
                "customer_phone",
                "service_type",
                "starts_at",
                "time_zone"
            ]
        );
    }

    #[test]
    fn an_invalid_email_is_refused() {
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@exa_mple.com",
        ] {
            let e = errors(BookingInput {
                customer_email: bad.into(),
                ..valid()
            });
            assert!(e.contains_key("customer_email"), "{bad}");
        }
    }

    #[test]
    fn a_start_is_rfc3339_on_the_grid_after_the_lead_time_and_within_a_year() {
        for (bad, why) in [
            ("2026-12-01", "RFC 3339"),
            ("tomorrow", "RFC 3339"),
            ("2026-13-01T10:00:00Z", "RFC 3339"),
            ("2026-11-28T11:00:00Z", "future"),
            ("2026-11-28T11:59:59Z", "future"),
            ("2026-11-28T12:00:00Z", "at least 60 minutes"),
            ("2026-11-28T12:30:00Z", "at least 60 minutes"),
            ("2028-01-01T10:00:00Z", "year"),
            ("2027-11-29T12:30:00Z", "year"),
            ("2026-12-01T10:15:00+01:00", "half past"),
            ("2026-12-01T10:00:30+01:00", "half past"),
        ] {
            let e = errors(BookingInput {
                starts_at: bad.into(),
                ..valid()
            });
            assert!(e["starts_at"].contains(why), "{bad}: {e:?}");
        }
        let ok = BookingInput {
            starts_at: "2026-11-28T13:00:00Z".into(),
            ..valid()
        };
        assert!(
            ok.validate(now(), &rules()).is_ok(),
            "exactly the lead time"
        );
        let furthest = BookingInput {
            starts_at: (now() + MAX_AHEAD).to_rfc3339(),
            ..valid()
        };
        assert!(
            furthest.validate(now(), &rules()).is_ok(),
            "exactly a year and a day ahead"
        );
    }

    #[test]
    fn the_grid_is_the_address_s_clock() {
        // 10:00 in Kathmandu (UTC+05:45) is on the grid there, not in Berlin.
        let kathmandu = BookingInput {
            starts_at: "2026-12-01T04:15:00Z".into(),
            time_zone: Some("Asia/Kathmandu".into()),
            ..valid()
        };
        assert!(kathmandu.validate(now(), &rules()).is_ok());
        let berlin = BookingInput {
            starts_at: "2026-12-01T04:15:00Z".into(),
            ..valid()
        };
        assert!(errors(berlin).contains_key("starts_at"));
    }

    #[test]
    fn the_alias_names_itself_in_errors() {
        let e = errors(BookingInput {
            starts_at: "soon".into(),
            starts_at_field: "scheduled_date",
            ..valid()
        });
        assert!(e.contains_key("scheduled_date"), "{e:?}");
    }

    #[test]
    fn phone_numbers_need_seven_to_fifteen_digits() {
        for bad in ["123", "call me", "1234567890123456"] {
            let e = errors(BookingInput {
                customer_phone: bad.into(),
                ..valid()
            });
            assert!(e.contains_key("customer_phone"), "{bad}");
        }
    }

    #[test]
    fn overlong_and_blank_fields_are_refused() {
        let e = errors(BookingInput {
            customer_name: "x".repeat(201),
            address: " \t ".into(),
            notes: Some("n".repeat(2001)),
            ..valid()
        });
        assert!(e["customer_name"].contains("200"));
        assert!(e["address"].contains("empty"));
        assert!(e["notes"].contains("2000"));
    }
}
