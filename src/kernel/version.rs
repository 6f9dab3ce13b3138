//! Kernel release numbers.
//!
//! Everything version-dependent in [`crate::kernel`] (GFP bit layouts, the
//! `%pGg` name table, the lockdep reclaim rules) is keyed by a
//! [`KernelVersion`]. Reports print the release in many shapes
//! (`4.15.0-rc9-backup-debug+`, `6.0.0-rc6-syzkaller-17742-gc194837ebb57`,
//! `4.4.96+`, or just `syzkaller` when the release string was replaced), so
//! [`KernelVersion::from_release`] is lenient and returns `None` rather than
//! guessing. [`str::parse`] is the stricter form for command lines and data
//! files (`4.15`, `v6.6`, `5.10.2`).
//!
//! A release candidate maps to its release: `4.16.0-rc1` is `4.16`. The
//! version tables are per release, and a fix merged late in a cycle (for
//! instance in `-rc4`) is therefore treated as present in every `-rc` of that
//! cycle; the callers that care say so in their output.

use std::fmt;
use std::str::FromStr;

/// A kernel release `major.minor.patch` (`4.15.0`, `6.6.9`).
///
/// Ordered numerically, so `4.9 < 4.10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KernelVersion {
    /// The major number (`4` of `4.15`).
    pub major: u32,
    /// The minor number (`15` of `4.15`).
    pub minor: u32,
    /// The stable patch level (`9` of `6.6.9`); 0 when the text had none.
    pub patch: u32,
}

/// Why a version string was rejected by [`str::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionError {
    /// The text that was rejected.
    pub input: String,
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a kernel version: {:?} (expected e.g. 4.15, v6.6 or 5.10.2)",
            self.input
        )
    }
}

impl std::error::Error for VersionError {}

/// Majors outside this range are not Linux releases (2.6 is the oldest the
/// tables could ever mention; the bound keeps dates like `2023.01` out).
const MAJOR_RANGE: std::ops::RangeInclusive<u32> = 2..=19;

impl KernelVersion {
    /// `major.minor.patch`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        KernelVersion {
            major,
            minor,
            patch,
        }
    }

    /// `major.minor` with patch 0, the granularity of every version table.
    pub const fn release(major: u32, minor: u32) -> Self {
        Self::new(major, minor, 0)
    }

    /// This version without its patch level (`6.6.9` -> `6.6`): the
    /// release it belongs to. In the 2.6 series the third number is the
    /// release (`2.6.32` is a release, `2.6.32.9` its stable update), so
    /// `2.6.x` versions are kept whole.
    pub fn without_patch(self) -> Self {
        if self.major == 2 {
            self
        } else {
            Self::release(self.major, self.minor)
        }
    }

    /// Parse the release as reports print it (utsname release, optionally
    /// with a `Linux version ` or `v` prefix), leniently: the first token
    /// that starts with `MAJOR.MINOR` wins, anything after the numbers
    /// (`-rc9`, `-syzkaller-...`, `+`, `.el8`) is ignored. Returns `None`
    /// when no such token exists (`syzkaller`, `#1`).
    ///
    /// ```
    /// use splatdec::kernel::version::KernelVersion;
    /// let v = KernelVersion::from_release("4.15.0-rc9-backup-debug+").unwrap();
    /// assert_eq!(v, KernelVersion::new(4, 15, 0));
    /// assert_eq!(KernelVersion::from_release("syzkaller"), None);
    /// ```
    pub fn from_release(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let at_token_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            if at_token_start {
                let mut start = i;
                if matches!(bytes[i], b'v' | b'V')
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                {
                    start = i + 1;
                }
                if bytes[start].is_ascii_digit() {
                    if let Some((v, _)) = parse_numbers(&bytes[start..]) {
                        return Some(v);
                    }
                }
            }
            i += 1;
        }
        None
    }
}

/// `MAJOR.MINOR[.PATCH]` at the start of `bytes`, followed by the end or a
/// non-digit, and how many bytes it took. The major must be a plausible
/// Linux major.
fn parse_numbers(bytes: &[u8]) -> Option<(KernelVersion, usize)> {
    let (major, rest) = number(bytes)?;
    let rest = rest.strip_prefix(b".")?;
    let (minor, rest) = number(rest)?;
    let (patch, rest) = match rest.strip_prefix(b".") {
        Some(r) => match number(r) {
            Some((p, r)) => (p, r),
            None => (0, rest),
        },
        None => (0, rest),
    };
    if rest.first().is_some_and(u8::is_ascii_digit) || !MAJOR_RANGE.contains(&major) {
        return None;
    }
    Some((
        KernelVersion::new(major, minor, patch),
        bytes.len() - rest.len(),
    ))
}

/// A run of at most 9 ASCII digits (so it fits a `u32`) and the rest.
fn number(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 || len > 9 {
        return None;
    }
    let n = std::str::from_utf8(&bytes[..len]).ok()?.parse().ok()?;
    Some((n, &bytes[len..]))
}

impl FromStr for KernelVersion {
    type Err = VersionError;

    /// The command-line / data-file form: optional `v`, then
    /// `MAJOR.MINOR[.PATCH]`, then at most a release suffix (`-rc3`, `+`,
    /// `-anything`). Unlike [`KernelVersion::from_release`], the string must
    /// start with the version.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionError {
            input: s.to_string(),
        };
        let t = s.trim();
        let t = t
            .strip_prefix('v')
            .or_else(|| t.strip_prefix('V'))
            .unwrap_or(t);
        if !t.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(err());
        }
        let (v, consumed) = parse_numbers(t.as_bytes()).ok_or_else(err)?;
        // Whatever follows the numbers must be a suffix, not more version.
        let tail = &t[consumed..];
        if tail.is_empty() || tail.starts_with('-') || tail.starts_with('+') {
            Ok(v)
        } else {
            Err(err())
        }
    }
}

/// Serialized as its [`Display`](fmt::Display) text (`4.15`, `6.6.9`).
impl serde::Serialize for KernelVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A kernel release as a report prints it (`4.15.0-rc9-backup-debug+`,
/// `syzkaller`), with the version it names read once
/// ([`KernelVersion::from_release`]). Derefs to the printed text and
/// serializes as it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelRelease {
    text: String,
    version: Option<KernelVersion>,
}

impl KernelRelease {
    /// The release printed as `text`.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let version = KernelVersion::from_release(&text);
        KernelRelease { text, version }
    }

    /// The text as printed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The version the release names; `None` when it names none
    /// (`syzkaller`).
    pub fn version(&self) -> Option<KernelVersion> {
        self.version
    }
}

impl std::ops::Deref for KernelRelease {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for KernelRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for KernelRelease {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl fmt::Display for KernelVersion {
    /// `4.15` for patch level 0 (the release), `4.15.1` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32, patch: u32) -> KernelVersion {
        KernelVersion::new(major, minor, patch)
    }

    #[test]
    fn lenient_release_strings() {
        let cases = [
            ("4.15.0-rc9-backup-debug+", Some(v(4, 15, 0))),
            ("6.0.0-rc6-syzkaller-17742-gc194837ebb57", Some(v(6, 0, 0))),
            ("5.10.2", Some(v(5, 10, 2))),
            ("4.4.96+", Some(v(4, 4, 96))),
            ("syzkaller", None),
            ("#1", None),
            ("", None),
            ("4.18.0-147.el8.x86_64", Some(v(4, 18, 0))),
            ("Linux version 6.6.9-arch1 (gcc)", Some(v(6, 6, 9))),
            ("v6.6", Some(v(6, 6, 0))),
            ("6.15.0-rc7-syzkaller-00152-g1", Some(v(6, 15, 0))),
            ("2023.01", None),
            ("4", None),
        ];
        for (text, want) in cases {
            assert_eq!(KernelVersion::from_release(text), want, "{text:?}");
        }
    }

    #[test]
    fn strict_parse() {
        assert_eq!("4.15".parse::<KernelVersion>().unwrap(), v(4, 15, 0));
        assert_eq!("v6.6".parse::<KernelVersion>().unwrap(), v(6, 6, 0));
        assert_eq!("V5.10.2".parse::<KernelVersion>().unwrap(), v(5, 10, 2));
        assert_eq!("4.16-rc2".parse::<KernelVersion>().unwrap(), v(4, 16, 0));
        assert_eq!("4.15.0".parse::<KernelVersion>().unwrap(), v(4, 15, 0));
        assert_eq!(" 6.1 ".parse::<KernelVersion>().unwrap(), v(6, 1, 0));
        for bad in [
            "",
            "syzkaller",
            "linux-4.15",
            "4",
            "4.x",
            "4.15a",
            "99.1",
            "4.15.1.2",
        ] {
            assert!(bad.parse::<KernelVersion>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ordering_is_numeric() {
        assert!(v(4, 9, 0) < v(4, 10, 0));
        assert!(v(4, 15, 1) > v(4, 15, 0));
        assert!(v(5, 0, 0) > v(4, 20, 17));
        assert_eq!(v(6, 6, 9).without_patch(), v(6, 6, 0));
        // 2.6.x: the third number is the release.
        assert_eq!(v(2, 6, 32).without_patch(), v(2, 6, 32));
        assert!(v(2, 6, 39) < v(3, 0, 0));
        assert_eq!(
            KernelVersion::from_release("2.6.32.9-generic"),
            Some(v(2, 6, 32))
        );
        assert_eq!(
            "2.6.32".parse::<KernelVersion>().unwrap().to_string(),
            "2.6.32"
        );
    }

    #[test]
    fn display_round_trips() {
        for s in ["4.15", "6.6.9", "5.10"] {
            let parsed: KernelVersion = s.parse().unwrap();
            assert_eq!(parsed.to_string(), s);
        }
        assert_eq!(v(4, 15, 0).to_string(), "4.15");
    }
}
