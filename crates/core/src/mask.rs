//! Masking of personal data for display and for `Debug` output (DESIGN.md §8): keep a few
//! characters at each end and replace the rest with `*`, so `330106199001011234` shows as
//! `3301**********1234`.

/// `value` with all but the first `head` and the last `tail` characters replaced by `*`.
/// A value too short to keep both ends is masked whole.
pub fn mask(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out = String::with_capacity(value.len());
    out.extend(&chars[..head]);
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// A certificate or account number for display and logs: the first and last four characters
/// stay (`3301**********1234`); a value of eight characters or fewer is masked whole.
pub fn mask_number(value: &str) -> String {
    mask(value, 4, 4)
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masks_the_middle() {
        let cases = [
            ("330106199001011234", 4, 4, "3301**********1234"),
            ("13812345678", 3, 4, "138****5678"),
            ("abc", 2, 2, "***"),
            ("", 1, 1, ""),
        ];
        for (value, head, tail, want) in cases {
            assert_eq!(mask(value, head, tail), want, "{value}");
        }
        assert_eq!(
            super::mask_number("330106199001011234"),
            "3301**********1234"
        );
        assert_eq!(super::mask_number("12345678"), "********");
    }
}
