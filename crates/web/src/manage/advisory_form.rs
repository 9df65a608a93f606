//! What the advisory form holds, as stored or as typed, and what a
//! submitted one asks for: its fields, its affected ranges (one row each)
//! and its credits, read as the REST API would take them.

use entrepot_core::advisory::CREDIT_TYPES;
use entrepot_core::{
    Advisory, AdvisoryPackage, Credit, Ecosystem, Id, Package, Severity, Vulnerability,
};
use entrepot_service::ServiceError;
use entrepot_service::advisories::AdvisoryChanges;
use serde::Serialize;

use super::untrimmed;
use crate::session::Fields;

/// The most affected ranges a form takes.
const MAX_ROWS: usize = 50;

/// One affected range of the form.
#[derive(Serialize)]
struct RangeRow {
    index: usize,
    /// `kept` (a range of the advisory) or `extra` (a blank one to add,
    /// ignored while left blank).
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
            rows: vec![RangeRow {
                index: 0,
                kind: "kept",
                range: String::new(),
                patched: String::new(),
                functions: String::new(),
                removable: false,
            }],
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

/// The vulnerabilities a form names on `package`: its rows, less those
/// marked for removal and blank extra ones.
fn vulnerabilities_of(fields: &Fields, package: &Package) -> Vec<Vulnerability> {
    // A package without an ecosystem has no advisories: the service says so.
    let Some(ecosystem) = Ecosystem::of(package.package_type) else {
        return Vec::new();
    };
    let removed: Vec<&str> = fields.all("remove").collect();
    rows_of(fields)
        .into_iter()
        .filter(|r| !removed.contains(&r.index.to_string().as_str()))
        .filter(|r| {
            r.kind == "kept"
                || !(r.range.is_empty() && r.patched.is_empty() && r.functions.is_empty())
        })
        .map(|r| Vulnerability {
            package: AdvisoryPackage {
                ecosystem,
                name: package.name.clone(),
            },
            vulnerable_version_range: Some(r.range).filter(|s| !s.is_empty()),
            patched_versions: Some(r.patched).filter(|s| !s.is_empty()),
            vulnerable_functions: r
                .functions
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
        })
        .collect()
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
                    "`{line}`: write each credit as a login and a type ({})",
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
    let severity = match fields.get("severity").unwrap_or_default() {
        "" => None,
        s => Some(
            s.parse::<Severity>()
                .map_err(|_| ServiceError::Invalid(format!("`{s}` is not a severity")))?,
        ),
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
        vulnerabilities: Some(vulnerabilities_of(fields, package)),
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
