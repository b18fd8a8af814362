//! Score and lexicographic ranges, as ZRANGEBYSCORE and ZRANGEBYLEX parse them.

use std::cmp::Ordering;

use bytes::Bytes;

use super::score;

/// A score interval, as ZRANGEBYSCORE's `min` and `max` give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// `(min`: the lower bound is excluded.
    pub min_excluded: bool,
    /// `(max`: the upper bound is excluded.
    pub max_excluded: bool,
}

impl ScoreRange {
    /// Parses `min` and `max` as Redis's `zslParseRange`: a number, optionally after `(`.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let (min, min_excluded) = Self::parse_bound(min)?;
        let (max, max_excluded) = Self::parse_bound(max)?;
        Some(ScoreRange {
            min,
            max,
            min_excluded,
            max_excluded,
        })
    }

    fn parse_bound(arg: &[u8]) -> Option<(f64, bool)> {
        match arg.strip_prefix(b"(") {
            Some(rest) => Some((score::parse_bound(rest)?, true)),
            None => Some((score::parse_bound(arg)?, false)),
        }
    }

    /// True if `score` is not below the lower bound.
    pub fn above_min(&self, score: f64) -> bool {
        if self.min_excluded {
            score > self.min
        } else {
            score >= self.min
        }
    }

    /// True if `score` is not above the upper bound.
    pub fn below_max(&self, score: f64) -> bool {
        if self.max_excluded {
            score < self.max
        } else {
            score <= self.max
        }
    }

    /// True if no score can be in the range.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_excluded || self.max_excluded))
    }
}

/// One end of a lexicographic range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every member.
    Lowest,
    /// `+`: above every member.
    Highest,
    /// `[member`: inclusive.
    Included(Bytes),
    /// `(member`: exclusive.
    Excluded(Bytes),
}

impl LexBound {
    /// Parses `-`, `+`, `[member` or `(member` as Redis's `zslParseLexRangeItem`.
    pub fn parse(arg: &[u8]) -> Option<LexBound> {
        match arg {
            b"-" => Some(LexBound::Lowest),
            b"+" => Some(LexBound::Highest),
            [b'[', rest @ ..] => Some(LexBound::Included(Bytes::copy_from_slice(rest))),
            [b'(', rest @ ..] => Some(LexBound::Excluded(Bytes::copy_from_slice(rest))),
            _ => None,
        }
    }

    /// `-` and `+` count as exclusive, as in Redis.
    fn excluded(&self) -> bool {
        !matches!(self, LexBound::Included(_))
    }

    /// Compares a member with this bound.
    fn cmp_member(&self, member: &[u8]) -> Ordering {
        match self {
            LexBound::Lowest => Ordering::Greater,
            LexBound::Highest => Ordering::Less,
            LexBound::Included(b) | LexBound::Excluded(b) => member.cmp(b),
        }
    }

    /// Compares two bounds (Redis's `sdscmplex`).
    fn cmp_bound(&self, other: &LexBound) -> Ordering {
        use LexBound::*;
        match (self, other) {
            (Lowest, Lowest) | (Highest, Highest) => Ordering::Equal,
            (Lowest, _) | (_, Highest) => Ordering::Less,
            (Highest, _) | (_, Lowest) => Ordering::Greater,
            (Included(a) | Excluded(a), Included(b) | Excluded(b)) => a.cmp(b),
        }
    }
}

/// A lexicographic range, as ZRANGEBYLEX's `min` and `max` give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexRange {
    /// Lower end.
    pub min: LexBound,
    /// Upper end.
    pub max: LexBound,
}

impl LexRange {
    /// Parses both ends; `None` if either is not a valid range item.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        Some(LexRange {
            min: LexBound::parse(min)?,
            max: LexBound::parse(max)?,
        })
    }

    /// True if `member` is not below the lower end.
    pub fn above_min(&self, member: &[u8]) -> bool {
        match self.min.cmp_member(member) {
            Ordering::Greater => true,
            Ordering::Equal => !self.min.excluded(),
            Ordering::Less => false,
        }
    }

    /// True if `member` is not above the upper end.
    pub fn below_max(&self, member: &[u8]) -> bool {
        match self.max.cmp_member(member) {
            Ordering::Less => true,
            Ordering::Equal => !self.max.excluded(),
            Ordering::Greater => false,
        }
    }

    /// True if no member can be in the range.
    pub fn is_empty(&self) -> bool {
        match self.min.cmp_bound(&self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.min.excluded() || self.max.excluded(),
            Ordering::Less => false,
        }
    }
}
