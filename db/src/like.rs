//! Text search by `LIKE` that takes the searched text literally.

/// A `LIKE` pattern matching `text` anywhere, lower case, with `%`, `_` and `\` taken
/// literally; the statement says `ESCAPE '\'` after it. Compare it with a lower-cased
/// column.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn a_like_pattern_takes_the_text_literally_and_lower_case() {
        assert_eq!(like_pattern("Rejected"), "%rejected%");
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
        assert_eq!(like_pattern(""), "%%");
    }
}
