//! `dataSequence` (§3-3-1-3): every upload is numbered, starting at 1 and going up by one per
//! accepted upload. A bureau refuses a number that skips ahead with code 14, naming the
//! missing numbers; the provider's side persists the last accepted number.

use std::fmt;

use super::codes::ReturnCode;

/// How many missing numbers a code-14 return lists at most.
pub const MAX_LISTED_GAPS: u32 = 1000;

/// An upload's sequence number: 1 or more, fits in four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DataSequence(u32);

/// Why a sequence number is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequenceError {
    #[error("not a data sequence number: {0:?}")]
    Invalid(String),
    #[error("sequence {got} skips {missing_from}..={missing_to}")]
    Gap {
        got: u32,
        missing_from: u32,
        missing_to: u32,
    },
    #[error("sequence {got} was already used (last accepted {last})")]
    AlreadyUsed { got: u32, last: u32 },
}

impl SequenceError {
    pub fn return_code(&self) -> ReturnCode {
        match self {
            SequenceError::Gap { .. } => ReturnCode::SequenceGap,
            SequenceError::Invalid(_) | SequenceError::AlreadyUsed { .. } => ReturnCode::Other,
        }
    }

    /// The missing numbers of a gap (at most [`MAX_LISTED_GAPS`]), for `dataSequences`.
    pub fn missing(&self) -> Vec<u32> {
        match self {
            SequenceError::Gap {
                missing_from,
                missing_to,
                ..
            } => (*missing_from..=*missing_to)
                .take(MAX_LISTED_GAPS as usize)
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl DataSequence {
    pub const FIRST: DataSequence = DataSequence(1);

    pub fn new(n: u32) -> Result<DataSequence, SequenceError> {
        if n == 0 {
            Err(SequenceError::Invalid(n.to_string()))
        } else {
            Ok(DataSequence(n))
        }
    }

    /// Parses the decimal number a request carries.
    pub fn parse(s: &str) -> Result<DataSequence, SequenceError> {
        s.trim()
            .parse::<u32>()
            .map_err(|_| SequenceError::Invalid(s.chars().take(32).collect()))
            .and_then(DataSequence::new)
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// The number after this one; `None` once four bytes are exhausted.
    pub fn next(self) -> Option<DataSequence> {
        self.0.checked_add(1).map(DataSequence)
    }

    /// The number to use after `last` accepted (none accepted yet: 1).
    pub fn after(last: Option<DataSequence>) -> Option<DataSequence> {
        match last {
            None => Some(DataSequence::FIRST),
            Some(s) => s.next(),
        }
    }

    /// Receiving side: whether `self` may follow `last` accepted.
    pub fn check_follows(self, last: Option<DataSequence>) -> Result<(), SequenceError> {
        let last = last.map_or(0, DataSequence::get);
        let expected = last.saturating_add(1);
        if self.0 == expected {
            Ok(())
        } else if self.0 > expected {
            Err(SequenceError::Gap {
                got: self.0,
                missing_from: expected,
                missing_to: self.0 - 1,
            })
        } else {
            Err(SequenceError::AlreadyUsed { got: self.0, last })
        }
    }
}

impl fmt::Display for DataSequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(n: u32) -> DataSequence {
        DataSequence::new(n).unwrap()
    }

    #[test]
    fn parse_cases() {
        let cases: &[(&str, Option<u32>)] = &[
            ("1", Some(1)),
            (" 501 ", Some(501)),
            ("4294967295", Some(u32::MAX)),
            ("0", None),
            ("-1", None),
            ("4294967296", None),
            ("abc", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                DataSequence::parse(input).ok().map(DataSequence::get),
                *want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn follows_gap_and_reuse() {
        assert_eq!(seq(1).check_follows(None), Ok(()));
        assert_eq!(seq(501).check_follows(Some(seq(500))), Ok(()));
        // The spec's example: last 500, this one 502 → 14, upload 501 first.
        let gap = seq(502).check_follows(Some(seq(500))).unwrap_err();
        assert_eq!(gap.return_code(), ReturnCode::SequenceGap);
        assert_eq!(gap.missing(), vec![501]);
        let first_gap = seq(3).check_follows(None).unwrap_err();
        assert_eq!(first_gap.missing(), vec![1, 2]);
        let reuse = seq(500).check_follows(Some(seq(500))).unwrap_err();
        assert_eq!(reuse.return_code(), ReturnCode::Other);
        let huge = seq(u32::MAX).check_follows(None).unwrap_err();
        assert_eq!(huge.missing().len(), MAX_LISTED_GAPS as usize);
        assert_eq!(DataSequence::after(None), Some(DataSequence::FIRST));
        assert_eq!(DataSequence::after(Some(seq(u32::MAX))), None);
    }
}
