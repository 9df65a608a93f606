//! Package search in SQL: full-text matching (SQLite's FTS5, PostgreSQL's
//! `tsvector`), the caller's read scope as a condition, and paging, so a
//! list page costs two statements whatever the instance holds.
//!
//! The read condition is [`ReadScope`] written out; the conformance suite
//! checks it against `authorize` for every caller and package it builds.

use entrepot_core::{PackageType, ReadScope, RegistryKind, UserReads, Visibility};
use sqlx::Row as _;

use super::packages::package;
use super::rows::{Bind, all_rows, bind_all, parse, placeholders};
use super::{Dialect, SqlStore};
use crate::StoreResult;
use crate::meta::{Found, PackageSearch, SearchOrder, SearchPage};

mod tiers;

pub use tiers::PG_LABELS;

/// PostgreSQL's text of a package, weighted name, keywords, description,
/// and the start of the README (characters, so that the document stays
/// far below `tsvector`'s 1 MiB however wide they are); the same
/// expression as the index in migration 0021, which it must match word for
/// word for the index to serve (a test compares them). Bare column names:
/// it is queried on `packages` alone, in a subquery the index serves.
pub const PG_DOCUMENT: &str = "(setweight(to_tsvector('simple'::regconfig, coalesce(name, '')), 'A') || \
     setweight(to_tsvector('simple'::regconfig, coalesce(keywords, '')), 'B') || \
     setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'C') || \
     setweight(to_tsvector('simple'::regconfig, left(coalesce(readme, ''), 32768)), 'D'))";

/// What PostgreSQL ranks a match by: the document without its README, so
/// that ordering the matches never parses their READMEs again.
const PG_RANKED: &str = "(setweight(to_tsvector('simple'::regconfig, coalesce(p.name, '')), 'A') || \
     setweight(to_tsvector('simple'::regconfig, coalesce(p.keywords, '')), 'B') || \
     setweight(to_tsvector('simple'::regconfig, coalesce(p.description, '')), 'C'))";

/// Words searched for at most; more are ignored.
const MAX_WORDS: usize = 8;
/// Characters of one word kept.
const MAX_WORD_CHARS: usize = 64;

/// The visibility a reader meets: a repository-scoped package takes its
/// repository's.
fn effective_visibility() -> String {
    format!(
        "(CASE WHEN p.package_type IN ({}) AND r.visibility IS NOT NULL THEN r.visibility ELSE p.visibility END)",
        repository_scoped()
    )
}

/// The repository-scoped types.
fn repository_scoped_types() -> Vec<PackageType> {
    PackageType::ALL
        .iter()
        .copied()
        .filter(|t| t.registry_kind() == RegistryKind::RepositoryScoped)
        .collect()
}

/// The repository-scoped types, as an SQL list of literals.
fn repository_scoped() -> String {
    repository_scoped_types()
        .iter()
        .map(|t| format!("'{}'", t.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The lower-cased words of `text`, as both engines' tokenizers split it.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(|w| {
            w.chars()
                .take(MAX_WORD_CHARS)
                .flat_map(char::to_lowercase)
                .collect()
        })
        .collect()
}

pub(super) async fn search(store: &SqlStore, s: PackageSearch) -> StoreResult<SearchPage> {
    let words = words(&s.text);
    // Words across every owner: read from the indexes a bounded number of
    // matches at a time (see `tiers`), not every match counted and ranked.
    if !words.is_empty() && s.owner_id.is_none() && s.repository_id.is_none() {
        return tiers::search(store, &s, &words).await;
    }
    let mut binds = Vec::new();
    let visibility = effective_visibility();
    let mut conditions = scope(&s, &visibility, &mut binds);
    let found_by = if words.is_empty() {
        None
    } else {
        let (join, matched, relevance) = text_match(store.dialect, &s.text, &words, &mut binds);
        conditions.push(matched);
        Some((join, relevance))
    };
    let (join, relevance) = found_by.unwrap_or_default();
    let from = format!(
        "FROM packages p JOIN accounts a ON a.id = p.owner_id \
         LEFT JOIN repositories r ON r.id = p.repository_id{join} WHERE {}",
        conditions.join(" AND ")
    );
    let relevance = (!words.is_empty()).then_some(relevance.as_str());
    let order = order_by(s.order, relevance);
    // Every owner's packages (the home page): not counted, as the tiers
    // are not, but read one past the page; an index on the update time
    // (or the name) gives the page without visiting every package.
    let everyone = words.is_empty() && s.owner_id.is_none() && s.repository_id.is_none();
    let limit = s.limit.min(1000);
    // The page's ids first, sorting nothing but the keys (no window over
    // every match, no row read whole), then those rows and their downloads.
    let ids_sql = format!(
        "SELECT p.id AS id {from} ORDER BY {order} LIMIT {} OFFSET {}",
        limit + u64::from(everyone),
        s.offset.min(i64::MAX as u64)
    );
    let mut ids: Vec<i64> = all_rows(
        bind_all(sqlx::query(&ids_sql), binds.clone()),
        &store.reader,
        |row| Ok(row.try_get::<i64, _>("id")?),
    )
    .await?;
    let more = ids.len() as u64 > limit;
    ids.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    // Past the end, the count tells where the last page is.
    let (total, at_least) = if everyone && !(ids.is_empty() && s.offset > 0) {
        let read = s.offset.saturating_add(ids.len() as u64);
        (read + u64::from(more), more)
    } else if let Some(owner) = whole_owner(&s, &words) {
        (
            count(owner_count(store, owner, s.package_type).await?),
            false,
        )
    } else {
        let count_sql = format!("SELECT COUNT(*) AS n {from}");
        let n = bind_all(sqlx::query(&count_sql), binds)
            .fetch_one(&store.reader)
            .await?
            .try_get("n")?;
        (count(n), false)
    };
    let found = page_rows(store, &ids, &visibility).await?;
    Ok(SearchPage {
        total,
        at_least,
        found,
    })
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A package's downloads in all, as SQL on its id.
fn downloads(package: &str) -> String {
    format!(
        "(SELECT CAST(COALESCE(SUM(d.count), 0) AS BIGINT) FROM package_downloads d \
         WHERE d.package_id = {package})"
    )
}

/// `ORDER BY` for `order` on `p`; `relevance` orders by the words, when
/// there are words.
fn order_by(order: SearchOrder, relevance: Option<&str>) -> String {
    match (order, relevance) {
        (SearchOrder::Relevance, Some(relevance)) => {
            format!("{relevance}, p.updated_at DESC, p.id DESC")
        }
        // Both keys descending, as index packages_owner_updated_live walks
        // backwards.
        (SearchOrder::Relevance | SearchOrder::Updated, _) => {
            "p.updated_at DESC, p.id DESC".to_owned()
        }
        (SearchOrder::Downloads, _) => {
            format!("{} DESC, p.updated_at DESC, p.id DESC", downloads("p.id"))
        }
        (SearchOrder::Name, _) => "lower(p.name), p.id".to_owned(),
        (SearchOrder::Created, _) => "p.id".to_owned(),
    }
}

/// What every search keeps to: live packages the reader may read, of the
/// owner, repository, type and visibility asked for, as conditions on `p`
/// and `r` (see [`readable`]).
fn scope(s: &PackageSearch, visibility: &str, binds: &mut Vec<Bind>) -> Vec<String> {
    let mut conditions = vec!["p.deleted_at IS NULL".to_owned()];
    conditions.push(readable(&s.readable, visibility, binds));
    if let Some(owner) = s.owner_id {
        binds.push(Bind::Int(owner));
        conditions.push(format!("p.owner_id = ${}", binds.len()));
    }
    if let Some(repository) = s.repository_id {
        binds.push(Bind::Int(repository));
        conditions.push(format!("p.repository_id = ${}", binds.len()));
    }
    if let Some(t) = s.package_type {
        binds.push(Bind::Text(t.as_str().to_owned()));
        conditions.push(format!("p.package_type = ${}", binds.len()));
    }
    if let Some(v) = s.visibility {
        binds.push(Bind::Text(v.as_str().to_owned()));
        conditions.push(format!("{visibility} = ${}", binds.len()));
    }
    conditions
}

/// The owner whose every live package `s` finds, if that is all it asks
/// for: no words, no repository or visibility, and a reader who reads all
/// of the owner's packages (as [`non_public`] writes it out), or all but
/// the non-public repository-scoped ones (`false`: a token without `repo`).
fn whole_owner(s: &PackageSearch, words: &[String]) -> Option<(i64, bool)> {
    let owner = s.owner_id?;
    let ReadScope::User(reads) = &s.readable else {
        return None;
    };
    let reads_all = reads.non_public
        && !reads.sso_closed.contains(&owner)
        && (reads.everything || reads.owns.contains(&owner));
    (reads_all && words.is_empty() && s.repository_id.is_none() && s.visibility.is_none())
        .then_some((owner, reads.repository_scoped))
}

/// How many live packages `owner` has (of one type): the running counts
/// the triggers keep, instead of counting every row. Without
/// `repository_scoped`, only the public ones of the repository-scoped
/// types are counted, row by row (those types alone).
async fn owner_count(
    store: &SqlStore,
    (owner, repository_scoped): (i64, bool),
    package_type: Option<PackageType>,
) -> StoreResult<i64> {
    let scoped = repository_scoped_types();
    let of_type = |t: PackageType| {
        package_type.is_none_or(|wanted| wanted == t)
            && (repository_scoped || t.registry_kind() != RegistryKind::RepositoryScoped)
    };
    let counted: Vec<&str> = PackageType::ALL
        .iter()
        .filter(|t| of_type(**t))
        .map(|t| t.as_str())
        .collect();
    let public_scoped: Vec<&str> = scoped
        .iter()
        .filter(|t| !repository_scoped && package_type.is_none_or(|wanted| wanted == **t))
        .map(|t| t.as_str())
        .collect();
    let running = "SELECT CAST(COALESCE(SUM(live), 0) AS BIGINT) AS n FROM package_counts \
         WHERE owner_id = $1 AND package_type IN";
    let public = format!(
        "SELECT COUNT(*) AS n FROM packages p LEFT JOIN repositories r ON r.id = p.repository_id \
         WHERE p.owner_id = $1 AND p.deleted_at IS NULL AND {} = 'public' AND p.package_type IN",
        effective_visibility()
    );
    let mut total = 0;
    for (sql, types) in [(running, &counted), (public.as_str(), &public_scoped)] {
        if types.is_empty() {
            continue;
        }
        let sql = format!("{sql} ({})", placeholders(2, types.len()));
        let query = types
            .iter()
            .fold(sqlx::query(&sql).bind(owner), |q, t| q.bind(*t));
        total += query
            .fetch_one(&store.reader)
            .await?
            .try_get::<i64, _>("n")?;
    }
    Ok(total)
}

/// The rows of `ids`, in that order, with what a list shows of each; one
/// deleted since its id was found is left out.
async fn page_rows(store: &SqlStore, ids: &[i64], visibility: &str) -> StoreResult<Vec<Found>> {
    let downloads = downloads("p.id");
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = placeholders(1, ids.len());
    let sql = format!(
        "SELECT p.*, a.login AS owner_login, a.is_upstream AS owner_is_upstream, \
         {visibility} AS seen_visibility, {downloads} AS downloads_total \
         FROM packages p JOIN accounts a ON a.id = p.owner_id \
         LEFT JOIN repositories r ON r.id = p.repository_id \
         WHERE p.id IN ({list}) AND p.deleted_at IS NULL"
    );
    let query = ids.iter().fold(sqlx::query(&sql), |q, id| q.bind(*id));
    let mut found = all_rows(query, &store.reader, |row| {
        Ok(Found {
            package: package(row)?,
            visibility: parse::<Visibility>(row, "seen_visibility")?,
            downloads: row.try_get::<i64, _>("downloads_total")?,
        })
    })
    .await?;
    let place: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    found.sort_by_key(|f| place.get(&f.package.id).copied().unwrap_or(usize::MAX));
    Ok(found)
}

/// How `text` (as `words`) is found: a join, the condition, and a
/// relevance to order by, lowest first. An exact name comes first, then a
/// name that contains it, the owner's login included (`left-pad` is found by
/// `t-pa`, `@alice/hello` by itself), then the
/// engine's rank, which weighs the name over the description over the
/// README.
fn text_match(
    dialect: Dialect,
    text: &str,
    words: &[String],
    binds: &mut Vec<Bind>,
) -> (String, String, String) {
    // As people write a name: `@alice/hello`, `alice/tool`, `hello`.
    let text = text.trim().trim_start_matches('@').to_lowercase();
    let like = format!("%{}%", like_escaped(&text));
    let (join, matched, rank) = match dialect {
        Dialect::Sqlite => {
            binds.push(Bind::Text(text_query(dialect, words, true)));
            (
                format!(
                    " LEFT JOIN (SELECT rowid AS fts_id, bm25(packages_fts, 10.0, 6.0, 4.0, 1.0) AS fts_rank \
                     FROM packages_fts WHERE packages_fts MATCH ${}) m ON m.fts_id = p.id",
                    binds.len()
                ),
                "m.fts_id IS NOT NULL".to_owned(),
                "COALESCE(m.fts_rank, 0)".to_owned(),
            )
        }
        Dialect::Postgres => {
            let query = text_query(dialect, words, true);
            binds.push(Bind::Text(query.clone()));
            // A subquery on `packages` alone, which the GIN index serves.
            let matched = format!(
                "p.id IN (SELECT id FROM packages WHERE {PG_DOCUMENT} @@ to_tsquery('simple'::regconfig, ${}))",
                binds.len()
            );
            binds.push(Bind::Text(query));
            let rank = format!(
                "-ts_rank({PG_RANKED}, to_tsquery('simple'::regconfig, ${}))",
                binds.len()
            );
            (String::new(), matched, rank)
        }
    };
    // Each parameter is bound once for each place it is used.
    let full_name = "lower(a.login || '/' || p.name)";
    binds.push(Bind::Text(like.clone()));
    let matched = format!(
        "({matched} OR {full_name} LIKE ${} ESCAPE '\\')",
        binds.len()
    );
    binds.push(Bind::Text(text.clone()));
    let exact = binds.len();
    binds.push(Bind::Text(text));
    let exact_full = binds.len();
    binds.push(Bind::Text(like));
    let relevance = format!(
        "(CASE WHEN lower(p.name) = ${exact} OR {full_name} = ${exact_full} THEN -1000000 \
         WHEN {full_name} LIKE ${} ESCAPE '\\' THEN -1000 ELSE 0 END) + {rank}",
        binds.len()
    );
    (join, matched, relevance)
}

/// `words` as the engine's full-text query: every word, and the last also
/// as the start of a word when `prefix` (FTS5 `"a" "b"*`, a `tsquery`
/// `'a' & 'b':*`). They hold letters and digits only (see [`words`]), so
/// quoting them is all the escaping either engine needs.
fn text_query(dialect: Dialect, words: &[String], prefix: bool) -> String {
    let last = words.len() - 1;
    let terms: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| match (dialect, prefix && i == last) {
            (Dialect::Sqlite, false) => format!("\"{w}\""),
            (Dialect::Sqlite, true) => format!("\"{w}\"*"),
            (Dialect::Postgres, false) => format!("'{w}'"),
            (Dialect::Postgres, true) => format!("'{w}':*"),
        })
        .collect();
    terms.join(match dialect {
        Dialect::Sqlite => " ",
        Dialect::Postgres => " & ",
    })
}

/// `text` with LIKE's wildcards taken literally.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The packages `scope` reads, as a condition on `p` (the package), `r`
/// (its repository) and `visibility` (as the reader meets it).
fn readable(scope: &ReadScope, visibility: &str, binds: &mut Vec<Bind>) -> String {
    match scope {
        ReadScope::Nothing => "1 = 0".to_owned(),
        ReadScope::Public => format!("{visibility} = 'public'"),
        ReadScope::User(reads) => {
            let others = non_public(reads, visibility, binds);
            format!("({visibility} = 'public' OR {others})")
        }
    }
}

/// The non-public packages `reads` opens (see `effective_role`).
fn non_public(reads: &UserReads, visibility: &str, binds: &mut Vec<Bind>) -> String {
    if !reads.non_public {
        return "1 = 0".to_owned();
    }
    let scoped = repository_scoped();
    let mut gates = Vec::new();
    if !reads.sso_closed.is_empty() {
        gates.push(format!(
            "p.owner_id NOT IN ({})",
            ids(&reads.sso_closed, binds)
        ));
    }
    if !reads.repository_scoped {
        gates.push(format!("p.package_type NOT IN ({scoped})"));
    }
    let opened = if reads.everything {
        "1 = 1".to_owned()
    } else {
        let owns = ids(&reads.owns, binds);
        let related: Vec<_> = reads.owns.iter().chain(&reads.member_of).copied().collect();
        let related_owner = ids(&related, binds);
        let scoped_through_repository = through_repository(reads.user, &related, binds);
        binds.push(Bind::Int(reads.user));
        let granted = format!(
            "p.id IN (SELECT package_id FROM package_roles WHERE user_id = ${})",
            binds.len()
        );
        let through_repository = through_repository(reads.user, &related, binds);
        format!(
            "({visibility} = 'internal' \
             OR p.owner_id IN ({owns}) \
             OR (p.package_type IN ({scoped}) AND (p.owner_id IN ({related_owner}) OR {scoped_through_repository})) \
             OR (p.package_type NOT IN ({scoped}) AND ({granted} \
                 OR (p.inherit_access = TRUE AND p.repository_id IS NOT NULL AND {through_repository}))))"
        )
    };
    gates.push(opened);
    format!("({})", gates.join(" AND "))
}

/// A role on the package's repository: its owner is `related` (a member
/// reads every repository of the organization) or `user` collaborates.
fn through_repository(
    user: entrepot_core::Id,
    related: &[entrepot_core::Id],
    binds: &mut Vec<Bind>,
) -> String {
    let owners = ids(related, binds);
    binds.push(Bind::Int(user));
    format!(
        "(r.owner_id IN ({owners}) OR p.repository_id IN \
         (SELECT repo_id FROM repo_collaborators WHERE user_id = ${}))",
        binds.len()
    )
}

/// `ids` as a list of parameters, or a list that matches nothing.
fn ids(ids: &[entrepot_core::Id], binds: &mut Vec<Bind>) -> String {
    if ids.is_empty() {
        return "NULL".to_owned();
    }
    ids.iter()
        .map(|id| {
            binds.push(Bind::Int(*id));
            format!("${}", binds.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_queries_the_expression_its_index_is_built_on() {
        let squeezed = |text: &str| text.split_whitespace().collect::<String>();
        for (migration, expression, name) in [
            (
                include_str!("../../../migrations/postgres/0021_package_search.sql"),
                PG_DOCUMENT,
                "PG_DOCUMENT and the index in 0021",
            ),
            (
                include_str!("../../../migrations/postgres/0025_search_names.sql"),
                PG_LABELS,
                "PG_LABELS and the index in 0025",
            ),
        ] {
            assert!(
                squeezed(migration).contains(&squeezed(expression)),
                "{name} differ"
            );
        }
    }

    #[test]
    fn words_are_split_bounded_and_quoted() {
        assert_eq!(words("Left-Pad  util"), ["left", "pad", "util"]);
        assert_eq!(words("\"x\" OR y*"), ["x", "or", "y"]);
        assert_eq!(words(&"a ".repeat(20)).len(), MAX_WORDS);
        let left_pa = words("left pa");
        assert_eq!(
            text_query(Dialect::Sqlite, &left_pa, true),
            "\"left\" \"pa\"*"
        );
        assert_eq!(
            text_query(Dialect::Postgres, &left_pa, true),
            "'left' & 'pa':*"
        );
        assert_eq!(like_escaped("50%_a\\"), "50\\%\\_a\\\\");
    }
}
