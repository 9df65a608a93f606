//! Times as GitHub writes them in its responses.

/// A time as GitHub writes it: RFC 3339 in UTC, to the second.
pub fn iso(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
