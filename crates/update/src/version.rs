// SPDX-License-Identifier: Apache-2.0
//! Release versions: dot-separated numbers (`2026.12.1`, `0.1.0.1795347584`),
//! compared number by number; a missing number counts as 0.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A release version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(Vec<u64>);

impl FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts = s
            .split('.')
            .map(|p| p.parse::<u64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| format!("version {s:?}: expected numbers separated by dots"))?;
        if parts.is_empty() {
            return Err(format!("version {s:?} is empty"));
        }
        Ok(Version(parts))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&s.join("."))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.0.len().max(other.0.len());
        (0..n)
            .map(|i| {
                let a = self.0.get(i).copied().unwrap_or(0);
                let b = other.0.get(i).copied().unwrap_or(0);
                a.cmp(&b)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn numbers_compare_as_numbers() {
        assert!(v("2026.12.10") > v("2026.12.9"));
        assert!(v("0.1.0.20") > v("0.1.0"));
        assert_eq!(v("1.0"), v("1.0"));
        assert_eq!(v("1.0").cmp(&v("1")), Ordering::Equal);
        assert!("1.x".parse::<Version>().is_err());
        assert_eq!(v("2026.12.1").to_string(), "2026.12.1");
    }
}
