//! What a valid new booking is. Every field is checked and every problem reported at
//! once, keyed by the field's name, so that a form can show each next to its input.

use chrono::{DateTime, Duration, Utc};

use crate::error::{DomainError, FieldErrors};
use crate::input;

/// A booking as someone asks for it, before validation. (The API's request type is its
/// own, beside its handler; it hands its fields over as this.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingInput {
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: String,
    pub service_type: String,
    pub address: String,
    /// RFC 3339, e.g. `2026-12-01T09:30:00+01:00`.
    pub scheduled_date: String,
    pub notes: Option<String>,
}

/// A booking that passed validation: trimmed, with its date parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: String,
    pub service_type: String,
    pub address: String,
    pub scheduled_date: DateTime<Utc>,
    pub notes: Option<String>,
}

/// How far in the past a scheduled time may lie (clock skew between browser and server).
pub const PAST_GRACE: Duration = Duration::minutes(5);
/// How far ahead a booking may be made.
pub const MAX_AHEAD: Duration = Duration::days(366);

impl BookingInput {
    /// Validates every field against `now`; service types are checked by the store,
    /// which knows which exist.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<NewBooking, DomainError> {
        let mut errors = FieldErrors::new();
        let customer_name = input::text(&mut errors, "customer_name", &self.customer_name, 200);
        let customer_phone = input::phone(&mut errors, "customer_phone", &self.customer_phone);
        let customer_email = input::email(&mut errors, "customer_email", &self.customer_email);
        let service_type = input::text(&mut errors, "service_type", &self.service_type, 64);
        let address = input::text(&mut errors, "address", &self.address, 500);
        let scheduled_date = match DateTime::parse_from_rfc3339(self.scheduled_date.trim()) {
            Ok(d) => {
                let d = d.with_timezone(&Utc);
                if d < now - PAST_GRACE {
                    errors.insert("scheduled_date".into(), "must be in the future".into());
                } else if d > now + MAX_AHEAD {
                    errors.insert(
                        "scheduled_date".into(),
                        "must be within a year from now".into(),
                    );
                }
                d
            }
            Err(_) => {
                errors.insert(
                    "scheduled_date".into(),
                    "must be an RFC 3339 date and time, e.g. 2026-12-01T09:30:00Z".into(),
                );
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
            scheduled_date,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-28T12:00:00Z".parse().unwrap()
    }

    fn valid() -> BookingInput {
        BookingInput {
            customer_name: "  Ada Lovelace ".into(),
            customer_phone: "+44 20 7946 0958".into(),
            customer_email: "Ada@Example.com".into(),
            service_type: "plumbing".into(),
            address: "12 Analytical Row, London".into(),
            scheduled_date: "2026-12-01T09:30:00+01:00".into(),
            notes: Some("  ".into()),
        }
    }

    fn errors(req: BookingInput) -> FieldErrors {
        match req.validate(now()) {
            Err(DomainError::Validation(e)) => e,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_booking_is_trimmed_and_its_date_normalised_to_utc() {
        let b = valid().validate(now()).unwrap();
        assert_eq!(b.customer_name, "Ada Lovelace");
        assert_eq!(b.customer_email, "ada@example.com");
        assert_eq!(b.scheduled_date.to_rfc3339(), "2026-12-01T08:30:00+00:00");
        assert_eq!(b.notes, None);
    }

    #[test]
    fn every_bad_field_is_reported_at_once_by_name() {
        let e = errors(BookingInput::default());
        let fields: Vec<_> = e.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "address",
                "customer_email",
                "customer_name",
                "customer_phone",
                "scheduled_date",
                "service_type"
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
    fn dates_must_be_rfc3339_and_in_the_future_within_a_year() {
        for (bad, why) in [
            ("2026-12-01", "RFC 3339"),
            ("tomorrow", "RFC 3339"),
            ("2026-13-01T10:00:00Z", "RFC 3339"),
            ("2026-11-28T11:00:00Z", "future"),
            ("2028-01-01T10:00:00Z", "year"),
        ] {
            let e = errors(BookingInput {
                scheduled_date: bad.into(),
                ..valid()
            });
            assert!(e["scheduled_date"].contains(why), "{bad}: {e:?}");
        }
        // A few minutes of clock skew is tolerated.
        let ok = BookingInput {
            scheduled_date: "2026-11-28T11:58:00Z".into(),
            ..valid()
        };
        assert!(ok.validate(now()).is_ok());
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
