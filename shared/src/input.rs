//! What a valid piece of text, e-mail address and phone number is, wherever one is
//! entered (a booking, a provider, a sign-up). Each rule is a pattern, and the API's
//! document states the same pattern for the same field, so that whatever the document
//! calls valid is accepted and whatever it calls invalid is refused.
//!
//! Lengths are counted in characters on the value as sent; text is stored trimmed.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::FieldErrors;

/// The patterns, as the API's OpenAPI document states them.
pub mod patterns {
    /// A line of text: no control characters, and something besides spaces.
    pub const TEXT: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";
    /// Free text over several lines: no control characters but tabs and line breaks.
    pub const NOTES: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";
    /// An e-mail address: a local part of letters, digits and `._%+-`, an `@`, and a
    /// domain of two or more dot-separated labels of letters, digits and `-`.
    pub const EMAIL: &str = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$";
    /// A phone number: 7 to 15 digits, optionally a leading `+`, and before each digit
    /// and at the end at most two of space, `(`, `)`, `.` and `-`.
    pub const PHONE: &str = r"^\+?(?:[ ().-]{0,2}[0-9]){7,15}[ ().-]{0,2}$";
    /// Something besides whitespace somewhere (whitespace as `str::trim` sees it, listed
    /// one by one so that every regex engine agrees).
    pub const NOT_BLANK: &str =
        r"^[\s\S]*[^\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\s\S]*$";
    /// A phone number, or nothing (the empty string).
    pub const OPTIONAL_PHONE: &str = r"^(?:\+?(?:[ ().-]{0,2}[0-9]){7,15}[ ().-]{0,2})?$";
}

/// The longest e-mail address and phone number accepted.
pub const MAX_EMAIL: usize = 254;
pub const MAX_PHONE: usize = 32;

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the patterns are valid")
}

static TEXT: LazyLock<Regex> = LazyLock::new(|| regex(patterns::TEXT));
static NOTES: LazyLock<Regex> = LazyLock::new(|| regex(patterns::NOTES));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| regex(patterns::EMAIL));
static PHONE: LazyLock<Regex> = LazyLock::new(|| regex(patterns::PHONE));
static NOT_BLANK: LazyLock<Regex> = LazyLock::new(|| regex(patterns::NOT_BLANK));

/// Whether `value` has something besides whitespace (as [`patterns::NOT_BLANK`] says).
pub fn is_blank(value: &str) -> bool {
    !NOT_BLANK.is_match(value)
}

/// Whether `value` holds a control character (which no stored text has, and PostgreSQL
/// refuses in a parameter when it is NUL): what a search text is checked for.
pub fn has_control(value: &str) -> bool {
    value.chars().any(char::is_control)
}

/// A line of text of at most `max` characters; records what is wrong with it under
/// `field`. Returns it trimmed.
pub fn text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let message = if value.trim().is_empty() {
        Some("must not be empty".to_owned())
    } else if value.chars().count() > max {
        Some(format!("must be at most {max} characters"))
    } else if !TEXT.is_match(value) {
        Some("must not contain control characters".to_owned())
    } else {
        None
    };
    if let Some(message) = message {
        errors.insert(field.into(), message);
    }
    value.trim().to_owned()
}

/// Free text of at most `max` characters, possibly absent: `None` when absent or blank.
pub fn notes(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = value?;
    if value.chars().count() > max {
        errors.insert(field.into(), format!("must be at most {max} characters"));
    } else if !NOTES.is_match(value) {
        errors.insert(
            field.into(),
            "must not contain control characters other than tabs and line breaks".into(),
        );
    }
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

/// An e-mail address (see [`patterns::EMAIL`]); returns it lower-cased.
pub fn email(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    if value.is_empty() {
        errors.insert(field.into(), "must not be empty".into());
    } else if value.chars().count() > MAX_EMAIL {
        errors.insert(
            field.into(),
            format!("must be at most {MAX_EMAIL} characters"),
        );
    } else if !EMAIL.is_match(value) {
        errors.insert(
            field.into(),
            "must be an e-mail address like name@example.com".into(),
        );
    }
    value.to_lowercase()
}

/// A phone number (see [`patterns::PHONE`]); returns it trimmed.
pub fn phone(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    if value.trim().is_empty() {
        errors.insert(field.into(), "must not be empty".into());
    } else if value.chars().count() > MAX_PHONE {
        errors.insert(
            field.into(),
            format!("must be at most {MAX_PHONE} characters"),
        );
    } else if !PHONE.is_match(value) {
        errors.insert(
            field.into(),
            "must be a phone number: 7 to 15 digits, optionally with +, spaces, dashes, dots or brackets".into(),
        );
    }
    value.trim().to_owned()
}

/// A calendar date written `YYYY-MM-DD`, as the API's document states a `date`: a
/// four-digit year, so 0000-01-01 to 9999-12-31. (chrono's own parser also takes a sign
/// and more digits, years up to 262,143, where a day's arithmetic overflows.)
pub fn date(value: &str) -> Option<chrono::NaiveDate> {
    let b = value.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_date_is_four_digits_of_year_two_of_month_and_two_of_day() {
        let day = |s: &str| super::date(s).map(|d| d.to_string());
        assert_eq!(day("2026-12-24").as_deref(), Some("2026-12-24"));
        assert_eq!(day("9999-12-31").as_deref(), Some("9999-12-31"));
        assert_eq!(day("0000-01-01").as_deref(), Some("0000-01-01"));
        for bad in [
            "+12345-01-01",
            "-262143-01-05",
            "+2026-12-24",
            "2026-1-24",
            "2026-12-4",
            "2026-02-30",
            "2026/12/24",
            " 2026-12-24",
            "2026-12-24T00:00:00Z",
            "２０２６-12-24",
            "",
        ] {
            assert_eq!(day(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn blank_means_what_trim_leaves_empty() {
        for (value, blank) in [
            ("", true),
            (" \t\n\u{3000}\u{a0}", true),
            ("x", false),
            (" \u{1c} ", false),
            ("\u{200b}", false),
        ] {
            assert_eq!(super::is_blank(value), blank, "{value:?}");
            assert_eq!(value.trim().is_empty(), blank, "{value:?}");
        }
    }

    #[test]
    fn the_optional_phone_is_the_phone_or_nothing() {
        let phone = super::patterns::PHONE
            .trim_start_matches('^')
            .trim_end_matches('$');
        assert_eq!(super::patterns::OPTIONAL_PHONE, format!("^(?:{phone})?$"));
    }

    use super::*;

    fn check(rule: impl Fn(&mut FieldErrors, &str) -> String, value: &str) -> Option<String> {
        let mut errors = FieldErrors::new();
        rule(&mut errors, value);
        errors.remove("f")
    }

    #[test]
    fn text_must_have_something_besides_spaces_and_no_control_characters() {
        let t = |e: &mut FieldErrors, v: &str| text(e, "f", v, 5);
        assert_eq!(check(t, " Ada "), None);
        assert_eq!(check(t, "Ada\u{a0}"), None);
        assert!(check(t, " \t ").unwrap().contains("empty"));
        assert!(check(t, "").unwrap().contains("empty"));
        assert!(check(t, "Ad\u{7}a").unwrap().contains("control"));
        assert!(check(t, "Ad\u{85}a").unwrap().contains("control"));
        assert!(check(t, "abcdef").unwrap().contains("at most 5"));
        let mut errors = FieldErrors::new();
        assert_eq!(text(&mut errors, "f", "  Ada ", 10), "Ada");
    }

    #[test]
    fn e_mail_addresses_follow_the_pattern_and_are_lower_cased() {
        let e = |errs: &mut FieldErrors, v: &str| email(errs, "f", v);
        for good in ["ada@example.com", "A.Da+x@ex-ample.co.uk", "a%b@c.de"] {
            assert_eq!(check(e, good), None, "{good}");
        }
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@exa_mple.com",
            "ada@example..com",
            " ada@example.com",
            "adä@example.com",
        ] {
            assert!(check(e, bad).is_some(), "{bad}");
        }
        let mut errors = FieldErrors::new();
        assert_eq!(
            email(&mut errors, "f", "Ada@Example.COM"),
            "ada@example.com"
        );
    }

    #[test]
    fn phone_numbers_have_seven_to_fifteen_digits_and_few_separators_between() {
        let p = |e: &mut FieldErrors, v: &str| phone(e, "f", v);
        for good in [
            "+1 (555) 010-0199",
            "+44 20 7946 0958",
            "555.010.0199",
            "(020) 7946 0958",
            "5550100",
            "123456789012345",
        ] {
            assert_eq!(check(p, good), None, "{good}");
        }
        for bad in [
            "123456",
            "1234567890123456",
            "call me",
            "555---0100199",
            "++5550100199",
            "555 0100 199 x",
        ] {
            assert!(check(p, bad).is_some(), "{bad}");
        }
    }
}
