//! Words searched across every owner, in time bounded by the page asked
//! for rather than by how many packages match: a common word matches a
//! tenth of a large registry, and counting and ranking every match grew
//! the search a hundredfold from a thousand versions to a million.
//!
//! Matches come in tiers, best first, each read from an index newest first
//! and only as far as the page needs (at most [`SEARCH_READS`] of each):
//!
//! 1. the exact name (`hello`, `alice/hello`, `@alice/hello`);
//! 2. a name that contains the text (three characters or more, from a
//!    trigram index), within the owner when the text names one;
//! 3. the packages of the owner the text names (`alice`);
//! 4. every word in the name or keywords;
//! 5. every word anywhere (description, README);
//! 6. the last word as the start of a word (three characters or more),
//!    read only when the tiers before it do not fill the page.
//!
//! The read rule and the search's filters are then applied to the
//! candidates in that order, a few at a time, by the same conditions as
//! every other search ([`super::scope`]).

use std::collections::{HashMap, HashSet};

use sqlx::Row as _;

use super::{PG_DOCUMENT, effective_visibility, order_by, page_rows, scope, text_query};
use crate::StoreResult;
use crate::meta::{PackageSearch, SEARCH_READS, SearchOrder, SearchPage};
use crate::sql::rows::{Bind, all_rows, bind_all, placeholders};
use crate::sql::{Dialect, SqlStore};

/// PostgreSQL's words of a package's name and keywords: the expression of
/// index `packages_labels` (migration 0025), word for word.
pub const PG_LABELS: &str =
    "(to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || coalesce(keywords, '')))";

/// Characters a name's text needs to be looked for inside names, and a
/// last word to be taken as the start of words: shorter, they are in
/// nearly every name, and the indexes cannot narrow them.
const INSIDE_FROM: usize = 3;
/// Characters of the longest name looked for inside others: no format's
/// names are longer (npm's are 214 at most), and each character is one
/// more trigram to look up.
const LONGEST_NAME: usize = 256;
/// Candidates checked against the read rule in one statement at most.
const CHECKED_AT_ONCE: usize = 500;

/// One tier: a `SELECT` of `id` and `k` (its order within the tier,
/// lowest first), with `{n}` where the number to read goes.
struct Tier {
    sql: String,
    binds: Vec<Bind>,
}

/// Where the candidates stand after the tiers were read at one depth.
struct Candidates {
    /// Ids in order, each once, at its best tier.
    ids: Vec<i64>,
    /// Whether some tier had more than was read.
    more: bool,
}

pub(super) async fn search(
    store: &SqlStore,
    s: &PackageSearch,
    words: &[String],
) -> StoreResult<SearchPage> {
    let relevance = s.order == SearchOrder::Relevance;
    let limit = usize::try_from(s.limit.min(1000)).unwrap_or(1000);
    let offset = usize::try_from(s.offset).unwrap_or(usize::MAX);
    // One past the page tells whether there is more.
    let wanted = offset.saturating_add(limit).saturating_add(1);
    let (first, then) = tiers(store.dialect, &s.text, words);
    let mut checked: HashMap<i64, bool> = HashMap::new();
    let mut found: Vec<i64> = Vec::new();
    let mut more = false;
    for group in [first, then] {
        if group.is_empty() || (relevance && found.len() >= wanted) {
            continue;
        }
        // Read deeper only while the page is not full and a tier has more.
        let mut depth = if relevance {
            wanted.saturating_mul(2).max(32)
        } else {
            SEARCH_READS
        }
        .min(SEARCH_READS);
        loop {
            let candidates = read(store, &group, depth).await?;
            check(store, s, &candidates.ids, &mut checked).await?;
            let known: HashSet<i64> = found.iter().copied().collect();
            let readable: Vec<i64> = candidates
                .ids
                .iter()
                .copied()
                .filter(|id| checked.get(id) == Some(&true) && !known.contains(id))
                .collect();
            let full = relevance && found.len() + readable.len() >= wanted;
            if full || !candidates.more || depth >= SEARCH_READS {
                more |= candidates.more;
                found.extend(readable);
                break;
            }
            depth = depth.saturating_mul(4).min(SEARCH_READS);
        }
    }
    let at_least = more || (relevance && found.len() >= wanted);
    let total = found.len() as u64;
    let page: Vec<i64> = if relevance {
        found.into_iter().skip(offset).take(limit).collect()
    } else {
        ordered(store, s.order, &found, offset, limit).await?
    };
    let visibility = effective_visibility();
    Ok(SearchPage {
        total,
        at_least,
        found: page_rows(store, &page, &visibility).await?,
    })
}

/// The tiers for `text` (its `words`): those read first, and the prefix
/// tier, read after them only if they fall short.
fn tiers(dialect: Dialect, text: &str, words: &[String]) -> (Vec<Tier>, Vec<Tier>) {
    // As people write a name: `@alice/hello`, `alice/hello`, `hello`.
    let text = text.trim().trim_start_matches('@').to_lowercase();
    let (owner, name) = match text.split_once('/') {
        Some((owner, name)) => (Some(owner.to_owned()), name.to_owned()),
        None => (None, text.clone()),
    };
    let mut first = Vec::new();
    if !name.is_empty() {
        first.push(exact_name(owner.as_deref(), &name));
    }
    if (INSIDE_FROM..=LONGEST_NAME).contains(&name.chars().count()) {
        first.push(inside_name(dialect, owner.as_deref(), &name));
    }
    if owner.is_none() && !text.is_empty() {
        first.push(owners_packages(&text));
    }
    first.push(words_tier(dialect, words, Match::NameOrKeywords));
    first.push(words_tier(dialect, words, Match::Anywhere));
    let mut then = Vec::new();
    if words
        .last()
        .is_some_and(|w| w.chars().count() >= INSIDE_FROM)
    {
        then.push(words_tier(dialect, words, Match::Prefix));
    }
    (first, then)
}

/// The owner's id from a login, as SQL bound at `$i`.
fn owner_id(i: usize) -> String {
    format!("(SELECT id FROM accounts WHERE lower(login) = ${i})")
}

fn exact_name(owner: Option<&str>, name: &str) -> Tier {
    let mut binds = vec![Bind::Text(name.to_owned())];
    let within = owner.map_or(String::new(), |owner| {
        binds.push(Bind::Text(owner.to_owned()));
        format!(" AND owner_id = {}", owner_id(2))
    });
    Tier {
        sql: format!(
            "SELECT id, -id AS k FROM packages WHERE lower(name) = $1 AND deleted_at IS NULL{within} \
             ORDER BY id DESC LIMIT {{n}}"
        ),
        binds,
    }
}

fn inside_name(dialect: Dialect, owner: Option<&str>, name: &str) -> Tier {
    let mut binds = Vec::new();
    let within = owner.map_or(String::new(), |owner| {
        binds.push(Bind::Text(owner.to_owned()));
        format!(" AND p.owner_id = {}", owner_id(1))
    });
    let sql = match dialect {
        Dialect::Sqlite => {
            // A trigram phrase matches where its text appears, any case.
            binds.push(Bind::Text(format!("\"{}\"", name.replace('"', "\"\""))));
            format!(
                "SELECT f.rowid AS id, -f.rowid AS k FROM package_names f \
                 JOIN packages p ON p.id = f.rowid \
                 WHERE package_names MATCH ${}{within} ORDER BY f.rowid DESC LIMIT {{n}}",
                binds.len()
            )
        }
        Dialect::Postgres => {
            binds.push(Bind::Text(format!("%{}%", super::like_escaped(name))));
            // `OFFSET 0` keeps the match in the trigram index: ordered by
            // id alone, the planner would walk the primary key instead and
            // test every row.
            format!(
                "SELECT id, -id AS k FROM (SELECT p.id FROM packages p \
                 WHERE lower(p.name) LIKE ${} ESCAPE '\\' AND p.deleted_at IS NULL{within} OFFSET 0) m \
                 ORDER BY id DESC LIMIT {{n}}",
                binds.len()
            )
        }
    };
    Tier { sql, binds }
}

fn owners_packages(login: &str) -> Tier {
    // Numbered after the limit, not before: a window over the owner's
    // every package would cost as many rows as the owner has.
    Tier {
        sql: format!(
            "SELECT id, row_number() OVER (ORDER BY u DESC, id DESC) AS k FROM \
             (SELECT p.id AS id, p.updated_at AS u FROM packages p \
              WHERE p.owner_id = {} AND p.deleted_at IS NULL \
              ORDER BY p.updated_at DESC, p.id DESC LIMIT {{n}}) o",
            owner_id(1)
        ),
        binds: vec![Bind::Text(login.to_owned())],
    }
}

/// Where words are looked for.
#[derive(Clone, Copy)]
enum Match {
    NameOrKeywords,
    Anywhere,
    /// Anywhere, the last word as the start of a word.
    Prefix,
}

fn words_tier(dialect: Dialect, words: &[String], how: Match) -> Tier {
    let query = text_query(dialect, words, matches!(how, Match::Prefix));
    let sql = match dialect {
        Dialect::Sqlite => {
            // Names and keywords have a table of their own: a column
            // filter on packages_fts reads the word's every row.
            let table = match how {
                Match::NameOrKeywords => "package_labels",
                Match::Anywhere | Match::Prefix => "packages_fts",
            };
            format!(
                "SELECT rowid AS id, -rowid AS k FROM {table} \
                 WHERE {table} MATCH $1 ORDER BY rowid DESC LIMIT {{n}}"
            )
        }
        Dialect::Postgres => {
            let document = match how {
                Match::NameOrKeywords => PG_LABELS,
                Match::Anywhere | Match::Prefix => PG_DOCUMENT,
            };
            format!(
                "SELECT id, -id AS k FROM (SELECT id FROM packages \
                 WHERE {document} @@ to_tsquery('simple'::regconfig, $1) AND deleted_at IS NULL OFFSET 0) m \
                 ORDER BY id DESC LIMIT {{n}}"
            )
        }
    };
    Tier {
        sql,
        binds: vec![Bind::Text(query)],
    }
}

/// The candidates of `tiers`, `depth` of each at most, in one statement.
async fn read(store: &SqlStore, tiers: &[Tier], depth: usize) -> StoreResult<Candidates> {
    // One more than the depth tells whether a tier has more.
    let n = depth + 1;
    let mut binds = Vec::new();
    let mut arms = Vec::new();
    for (i, tier) in tiers.iter().enumerate() {
        // Each tier's parameters are numbered after those before it.
        let sql = renumbered(&tier.sql.replace("{n}", &n.to_string()), binds.len());
        binds.extend(tier.binds.iter().cloned());
        arms.push(format!("SELECT id, {i} AS tier, k FROM ({sql}) t{i}"));
    }
    let sql = arms.join(" UNION ALL ");
    let mut rows: Vec<(i64, i64, i64)> =
        all_rows(bind_all(sqlx::query(&sql), binds), &store.reader, |row| {
            Ok((
                row.try_get::<i64, _>("tier")?,
                row.try_get::<i64, _>("k")?,
                row.try_get::<i64, _>("id")?,
            ))
        })
        .await?;
    let mut per_tier = vec![0usize; tiers.len()];
    for (tier, _, _) in &rows {
        per_tier[usize::try_from(*tier).unwrap_or(0)] += 1;
    }
    let more = per_tier.iter().any(|count| *count >= n);
    rows.sort_unstable();
    let mut kept = vec![0usize; tiers.len()];
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(rows.len());
    for (tier, _, id) in rows {
        let kept = &mut kept[usize::try_from(tier).unwrap_or(0)];
        // The extra row only told there is more.
        if *kept == depth {
            continue;
        }
        *kept += 1;
        if seen.insert(id) {
            ids.push(id);
        }
    }
    Ok(Candidates { ids, more })
}

/// `sql` with each parameter `$i` written `$(i + by)`.
fn renumbered(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(i) => out.push_str(&(i + by).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// Records which of `ids` not yet checked the search keeps: live, readable
/// by its reader, and of its type and visibility.
async fn check(
    store: &SqlStore,
    s: &PackageSearch,
    ids: &[i64],
    checked: &mut HashMap<i64, bool>,
) -> StoreResult<()> {
    let fresh: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !checked.contains_key(id))
        .collect();
    let visibility = effective_visibility();
    for chunk in fresh.chunks(CHECKED_AT_ONCE) {
        let mut binds = Vec::new();
        let mut conditions = scope(s, &visibility, &mut binds);
        conditions.push(format!(
            "p.id IN ({})",
            placeholders(binds.len() + 1, chunk.len())
        ));
        binds.extend(chunk.iter().map(|id| Bind::Int(*id)));
        let sql = format!(
            "SELECT p.id AS id FROM packages p LEFT JOIN repositories r ON r.id = p.repository_id \
             WHERE {}",
            conditions.join(" AND ")
        );
        let kept: HashSet<i64> =
            all_rows(bind_all(sqlx::query(&sql), binds), &store.reader, |row| {
                Ok(row.try_get::<i64, _>("id")?)
            })
            .await?
            .into_iter()
            .collect();
        for id in chunk {
            checked.insert(*id, kept.contains(id));
        }
    }
    Ok(())
}

/// One page of `ids` in an order other than relevance.
async fn ordered(
    store: &SqlStore,
    order: SearchOrder,
    ids: &[i64],
    offset: usize,
    limit: usize,
) -> StoreResult<Vec<i64>> {
    if ids.is_empty() || offset >= ids.len() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT p.id AS id FROM packages p WHERE p.id IN ({}) ORDER BY {} LIMIT {limit} OFFSET {offset}",
        placeholders(1, ids.len()),
        order_by(order, None)
    );
    let query = ids.iter().fold(sqlx::query(&sql), |q, id| q.bind(*id));
    all_rows(query, &store.reader, |row| Ok(row.try_get::<i64, _>("id")?)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered_whole() {
        assert_eq!(
            renumbered("a = $1 AND b = $12 OR $", 10),
            "a = $11 AND b = $22 OR $"
        );
    }

    #[test]
    fn short_text_is_not_looked_for_inside_names() {
        let (first, then) = tiers(Dialect::Sqlite, "ab", &["ab".to_owned()]);
        assert!(first.iter().all(|t| !t.sql.contains("package_names")));
        assert!(then.is_empty(), "no prefix of two letters");
        let (first, then) = tiers(
            Dialect::Sqlite,
            "@alice/left-pa",
            &["alice".to_owned(), "left".to_owned(), "pa".to_owned()],
        );
        assert!(first.iter().any(|t| t.sql.contains("package_names")));
        assert!(
            first.iter().all(|t| !t.sql.contains("row_number")),
            "an owner named: no owner tier"
        );
        assert!(then.is_empty());
    }
}
