//! What the advisory form holds, as stored or as typed, and what a
//! submitted one asks for: its fields, its affected ranges (one row each)
//! and its credits, read as the REST API would take them.
//!
//! A row with neither a range nor a patched version is left out: a blank
//! one, or an existing range emptied (as if its "Remove" box were ticked).
//! A row with a patched version but no range covers every version, as
//! does leaving every row empty when the advisory has at most one range.

use entrepot_core::advisory::CREDIT_TYPES;
use entrepot_core::{
    Advisory, AdvisoryPackage, Credit, Ecosystem, Id, Package, Severity, Vulnerability,
};
use entrepot_service::ServiceError;
use entrepot_service::advisories::{AdvisoryChanges, check_range};
use serde::Serialize;

use super::untrimmed;
use crate::session::Fields;

/// The most affected ranges a form takes.
const MAX_ROWS: usize = 50;
/// The range rows of a new draft's form: several may be entered at once.
const NEW_ROWS: usize = 3;

/// One affected range of the form.
#[derive(Serialize)]
struct RangeRow {
    index: usize,
    /// `kept` (a range of the advisory, or a new draft's first) or `extra`
    /// (one more to add, optional).
    kind: &'static str,
    range: String,
    patched: String,
    functions: String,
    removable: bool,
}

/// The fields of the advisory form, as stored or as typed.
#[derive(Serialize)]
pub(super) struct AdvisoryForm {
    summary: String,
    description: String,
    severity: String,
    cvss: String,
    cve_id: String,
    cwe_ids: String,
    credits: String,
    package: Option<Id>,
    rows: Vec<RangeRow>,
}

impl AdvisoryForm {
    pub(super) fn blank() -> Self {
        AdvisoryForm {
            summary: String::new(),
            description: String::new(),
            severity: String::new(),
            cvss: String::new(),
            cve_id: String::new(),
            cwe_ids: String::new(),
            credits: String::new(),
            package: None,
            rows: (0..NEW_ROWS)
                .map(|index| RangeRow {
                    index,
                    kind: if index == 0 { "kept" } else { "extra" },
                    range: String::new(),
                    patched: String::new(),
                    functions: String::new(),
                    removable: false,
                })
                .collect(),
        }
    }

    pub(super) fn of(a: &Advisory) -> Self {
        let kept = a.vulnerabilities.len();
        let mut rows: Vec<RangeRow> = a
            .vulnerabilities
            .iter()
            .enumerate()
            .map(|(index, v)| RangeRow {
                index,
                kind: "kept",
                range: v.vulnerable_version_range.clone().unwrap_or_default(),
                patched: v.patched_versions.clone().unwrap_or_default(),
                functions: v.vulnerable_functions.join(", "),
                removable: kept > 1,
            })
            .collect();
        rows.push(RangeRow {
            index: kept,
            kind: "extra",
            range: String::new(),
            patched: String::new(),
            functions: String::new(),
            removable: false,
        });
        AdvisoryForm {
            summary: a.summary.clone(),
            description: a.description.clone(),
            severity: a.severity.map_or("", Severity::as_str).to_owned(),
            cvss: a.cvss_vector.clone().unwrap_or_default(),
            cve_id: a.cve_id.clone().unwrap_or_default(),
            cwe_ids: a.cwe_ids.join(", "),
            credits: a
                .credits
                .iter()
                .map(|c| format!("{} {}", c.login, c.credit_type))
                .collect::<Vec<_>>()
                .join("\n"),
            package: Some(a.package_id),
            rows,
        }
    }

    pub(super) fn typed(fields: &Fields) -> Self {
        let text = |name: &str| fields.get(name).unwrap_or_default().to_owned();
        AdvisoryForm {
            summary: text("summary"),
            description: description_of(fields),
            severity: text("severity"),
            cvss: text("cvss_vector_string"),
            cve_id: text("cve_id"),
            cwe_ids: text("cwe_ids"),
            credits: text("credits"),
            package: fields.get("package").and_then(|p| p.parse().ok()),
            rows: rows_of(fields),
        }
    }
}

/// The description as typed (untrimmed: Markdown may start indented),
/// with the browser's line ends made plain.
fn description_of(fields: &Fields) -> String {
    untrimmed(fields, "description")
        .map(|v| v.replace("\r\n", "\n"))
        .unwrap_or_default()
}

/// The affected ranges of a submitted form, in order: each row sends a
/// `row` kind and its three fields.
fn rows_of(fields: &Fields) -> Vec<RangeRow> {
    let column =
        |name: &str| -> Vec<String> { fields.all(name).map(|v| v.trim().to_owned()).collect() };
    let (ranges, patched, functions) = (column("range"), column("patched"), column("functions"));
    let cell = |list: &[String], i: usize| list.get(i).cloned().unwrap_or_default();
    let kinds: Vec<&str> = fields.all("row").take(MAX_ROWS).collect();
    let kept = kinds.iter().filter(|k| **k != "extra").count();
    kinds
        .iter()
        .enumerate()
        .map(|(index, kind)| RangeRow {
            index,
            kind: if *kind == "extra" { "extra" } else { "kept" },
            range: cell(&ranges, index),
            patched: cell(&patched, index),
            functions: cell(&functions, index),
            removable: *kind != "extra" && kept > 1,
        })
        .collect()
}

/// Comma- (or space-) separated words, such as CWE ids.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The rows a form keeps: less those marked for removal and those with
/// neither a range nor a patched version; but if that leaves none, nothing
/// was marked and the advisory had at most one range, its first row
/// (every version).
fn kept_rows(fields: &Fields) -> Vec<RangeRow> {
    let removed: Vec<&str> = fields.all("remove").collect();
    let rows = rows_of(fields);
    let existing = rows.iter().filter(|r| r.kind == "kept").count();
    let mut kept = Vec::new();
    let mut first = None;
    for row in rows {
        if removed.contains(&row.index.to_string().as_str()) {
            continue;
        }
        if !row.range.is_empty() || !row.patched.is_empty() {
            kept.push(row);
        } else if first.is_none() {
            first = Some(row);
        }
    }
    if kept.is_empty() && removed.is_empty() && existing <= 1 {
        kept.extend(first);
    }
    kept
}

/// The vulnerabilities a form names on `package` (see [`kept_rows`]),
/// each checked as the service checks them, its refusal naming the row.
fn vulnerabilities_of(
    fields: &Fields,
    package: &Package,
) -> Result<Vec<Vulnerability>, ServiceError> {
    // A package without an ecosystem has no advisories: the service says so.
    let Some(ecosystem) = Ecosystem::of(package.package_type) else {
        return Ok(Vec::new());
    };
    let rows = kept_rows(fields);
    if rows.is_empty() {
        return Err(ServiceError::Invalid(
            "Affected versions: keep at least one range (a single empty one covers every version)."
                .into(),
        ));
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let range = Some(r.range).filter(|s| !s.is_empty());
        let patched = Some(r.patched).filter(|s| !s.is_empty());
        check_range(ecosystem, range.as_deref(), patched.as_deref()).map_err(|problem| {
            ServiceError::Invalid(format!("Affected range {}: {problem}", r.index + 1))
        })?;
        out.push(Vulnerability {
            package: AdvisoryPackage {
                ecosystem,
                name: package.name.clone(),
            },
            vulnerable_version_range: range,
            patched_versions: patched,
            vulnerable_functions: r
                .functions
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
        });
    }
    Ok(out)
}

/// Credits, one a line: a login and a credit type.
fn credits_of(fields: &Fields) -> Result<Vec<Credit>, ServiceError> {
    let mut credits = Vec::new();
    for line in fields
        .get("credits")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
    {
        let mut parts = line.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => {}
            (Some(login), Some(kind), None) => credits.push(Credit {
                login: login.trim_start_matches('@').to_owned(),
                credit_type: kind.to_owned(),
            }),
            _ => {
                return Err(ServiceError::Invalid(format!(
                    "Credits: `{line}` is not a login and a credit type; write one a line, such as `octocat finder` (types: {}).",
                    CREDIT_TYPES.join(", ")
                )));
            }
        }
    }
    Ok(credits)
}

/// What a submitted form asks for on `package`: every field, as the REST
/// API's `PATCH` with the whole advisory would (empty clears).
pub(super) fn changes_of(
    fields: &Fields,
    package: &Package,
) -> Result<AdvisoryChanges, ServiceError> {
    let severity =
        match fields.get("severity").unwrap_or_default() {
            "" => None,
            s => Some(s.parse::<Severity>().map_err(|_| {
                ServiceError::Invalid(format!("Severity: `{s}` is not a severity."))
            })?),
        };
    let filled = |name: &str| {
        fields
            .get(name)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(AdvisoryChanges {
        summary: Some(fields.get("summary").unwrap_or_default().to_owned()),
        description: Some(description_of(fields)),
        cve_id: Some(filled("cve_id")),
        vulnerabilities: Some(vulnerabilities_of(fields, package)?),
        cwe_ids: Some(words(fields.get("cwe_ids").unwrap_or_default())),
        credits: Some(credits_of(fields)?),
        severity: Some(severity),
        cvss_vector_string: Some(filled("cvss_vector_string")),
        state: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_rows_are_read_in_order() {
        let fields = Fields(
            [
                ("row", "kept"),
                ("range", "< 1.2.0"),
                ("patched", "1.2.0"),
                ("functions", "a.b, c"),
                ("row", "kept"),
                ("range", ">= 2.0.0"),
                ("patched", ""),
                ("functions", ""),
                ("row", "extra"),
                ("range", ""),
                ("patched", ""),
                ("functions", ""),
                ("remove", "1"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        );
        let rows = rows_of(&fields);
        assert_eq!(rows.len(), 3);
        assert!(rows[0].removable && !rows[2].removable);
        assert_eq!(words("CWE-79, CWE-89 CWE-1"), ["CWE-79", "CWE-89", "CWE-1"]);
    }

    fn form(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// The fields of one range row.
    fn row<'a>(kind: &'a str, range: &'a str, patched: &'a str) -> [(&'a str, &'a str); 4] {
        [
            ("row", kind),
            ("range", range),
            ("patched", patched),
            ("functions", ""),
        ]
    }

    #[test]
    fn rows_without_a_range_or_a_fix_are_left_out() {
        // An existing range emptied is removed; a blank extra row ignored.
        let fields = form(
            &[
                row("kept", "< 1.0.1", "1.0.1"),
                row("kept", "", ""),
                row("extra", "", ""),
                row("extra", ">= 2.0.0, < 2.0.3", "2.0.3"),
            ]
            .concat(),
        );
        let kept = kept_rows(&fields);
        assert_eq!(
            kept.iter().map(|r| r.range.as_str()).collect::<Vec<_>>(),
            ["< 1.0.1", ">= 2.0.0, < 2.0.3"]
        );
        // A patched version without a range: every version.
        let fields = form(&[row("kept", "< 1.0.1", "1.0.1"), row("extra", "", "2.0.0")].concat());
        assert_eq!(kept_rows(&fields).len(), 2);
        // A new draft's rows all left empty: one range, every version.
        let fields = form(
            &[
                row("kept", "", ""),
                row("extra", "", ""),
                row("extra", "", ""),
            ]
            .concat(),
        );
        let kept = kept_rows(&fields);
        assert_eq!(kept.len(), 1);
        assert!(kept[0].range.is_empty() && kept[0].index == 0);
        // Two ranges emptied, or removed: none is kept (the form says so).
        let emptied = form(&[row("kept", "", ""), row("kept", "", "")].concat());
        assert!(kept_rows(&emptied).is_empty());
        let mut removed = form(&[row("kept", "< 1.0.1", ""), row("kept", "< 2.0.0", "")].concat());
        removed.0.push(("remove".into(), "0".into()));
        removed.0.push(("remove".into(), "1".into()));
        assert!(kept_rows(&removed).is_empty());
    }

    #[test]
    fn credits_are_a_login_and_a_type_a_line() {
        let fields = |text: &str| Fields(vec![("credits".to_owned(), text.to_owned())]);
        let credits = credits_of(&fields("@alice finder\n\nbob reporter\n")).unwrap();
        assert_eq!(credits.len(), 2);
        assert_eq!(credits[0].login, "alice");
        assert_eq!(credits[1].credit_type, "reporter");
        assert!(credits_of(&fields("alice")).is_err());
    }
}
