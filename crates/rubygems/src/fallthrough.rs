//! An owner's gems falling through to an upstream (`admin owner
//! fallthrough OWNER --format rubygems --upstream NAME`): `/info/NAME`,
//! gem files and quick specs of gems the owner does not have come from the
//! upstream, and `/versions` and `/names` are the upstream's with the
//! owner's gems in place of any of the same name, since Bundler reads
//! `/info` only of names `/versions` lists. A gem the owner has (or had,
//! or keeps by a pattern) never comes from the upstream; one whose file
//! was served from it is kept for it.

use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use entrepot_core::PackageType;
use entrepot_http::upstream::{Fallthrough, mark};
use entrepot_service::proxy::Fetched;

use crate::respond::{GemError, Result};
use crate::upstream::{self, Mirrored};
use crate::view::View;
use crate::{compact_index, download, legacy_index};

/// Whether a local answer leaves room for the upstream: the gem is not
/// there, or not for this caller (who is then asked to sign in, unless
/// the upstream has it).
fn missing(answer: &Result<Response>) -> bool {
    matches!(answer, Err(e) if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::UNAUTHORIZED)
}

async fn of(view: &View<'_>) -> Result<Option<Fallthrough>> {
    Ok(Fallthrough::of(view.state, view.actor, view.owner, PackageType::Rubygems).await?)
}

/// The upstream's answer, or the local one when the upstream does not have
/// it either (a 401 stays a 401).
fn or_local(upstream: Result<Response>, local: GemError) -> Result<Response> {
    match upstream {
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(local),
        answered => answered,
    }
}

/// `/info/NAME`: the owner's, else the upstream's as it sent it.
pub async fn info(view: &View<'_>, mirrored: &Mirrored, name: &str) -> Result<Response> {
    let local = compact_index::info(view, name).await;
    if !missing(&local) {
        return local;
    }
    let Err(local) = local else { return local };
    let Some(fallthrough) = of(view).await? else {
        return Err(local);
    };
    if fallthrough.takes(name) || !crate::spec::is_valid_name(name) {
        return Err(local);
    }
    let path = format!("info/{name}");
    let answer = upstream::compact(
        view.state,
        mirrored,
        fallthrough.upstream(),
        path,
        view.headers,
        view.head,
    )
    .await;
    or_local(answer, local)
}

/// `gems/STEM.gem` (or with `quick`, its quick spec): the owner's, else
/// the upstream's, checked and kept, and its name kept for the upstream.
pub async fn gem(view: &View<'_>, stem: &str, quick: bool) -> Result<Response> {
    let local = if quick {
        legacy_index::quick_spec(view, stem).await
    } else {
        download::gem(view, stem).await
    };
    if !missing(&local) {
        return local;
    }
    let Err(local) = local else { return local };
    let Some(fallthrough) = of(view).await? else {
        return Err(local);
    };
    // Longest first, and none shorter than a name the owner takes: the
    // stem is never read as another gem's odd version.
    let names: Vec<&str> = upstream::candidate_names(stem)
        .into_iter()
        .take_while(|n| !fallthrough.takes(n))
        .collect();
    let up = fallthrough.upstream();
    let (name, found) = match upstream::find_gem(view.state, up, stem, &names).await {
        Ok(found) => found,
        Err(e) => return or_local(Err(e), local),
    };
    let answer = if quick {
        upstream::quick_spec(view.state, up, found, view.head).await?
    } else {
        upstream::gem(view.state, up, found, view.headers, view.head).await?
    };
    fallthrough
        .keep(view.state, PackageType::Rubygems, &name)
        .await?;
    Ok(answer)
}

/// `/versions` (or `/names` with `names`): the upstream's without the
/// owner's names, then the owner's as the caller sees them; merged once
/// per change of either. While the upstream cannot be reached and nothing
/// of it is kept, the owner's alone.
pub async fn list(view: &View<'_>, mirrored: &Mirrored, names: bool) -> Result<Response> {
    let Some(fallthrough) = of(view).await? else {
        return compact_index::list(view, names).await;
    };
    let path = if names { "names" } else { "versions" };
    let up = fallthrough.upstream().clone();
    let up = &up;
    let theirs = view
        .state
        .registry
        .upstreams()
        .rendered(up, path, "compact", |fetched: Fetched| {
            Ok(Bytes::from(fetched.body))
        })
        .await;
    let theirs = match theirs {
        Ok(theirs) => theirs,
        Err(e) => {
            tracing::warn!(upstream = %up.name, error = %e, "serving the owner's /{path} alone");
            return compact_index::list(view, names).await;
        }
    };
    let rendered = view.rendered().await?;
    let ours = if names {
        rendered
            .names
            .get_or_init(|| compact_index::CompactFile::new(rendered.index.names().into()))
    } else {
        rendered
            .versions
            .get_or_init(|| compact_index::CompactFile::new(rendered.index.versions().into()))
    };
    let tag = format!("{} {:x}", theirs.etag, fallthrough.names_key());
    // One per view of the owner's gems (anonymous, members…).
    let key = (
        fallthrough.owner.id,
        format!("fallthrough {path} {}", ours.etag()),
    );
    let (their_bytes, our_bytes) = (theirs.body.clone(), ours.bytes().clone());
    let file = upstream::made_from(mirrored, key, tag, move || {
        let takes = |name: &str| fallthrough.takes(name);
        Bytes::from(if names {
            merge_names(&their_bytes, &our_bytes, &takes)
        } else {
            merge_versions(&their_bytes, &our_bytes, &takes)
        })
    })
    .await?;
    let response = file.respond(view.headers, view.head).await;
    Ok(mark(response, &up.name, theirs.stale))
}

/// A compact index file's header (up to and including its `---` line) and
/// its lines; a file without one has an empty header.
fn split_header(body: &[u8]) -> (&[u8], &[u8]) {
    if body.starts_with(b"---\n") {
        return body.split_at(4);
    }
    match body.windows(5).position(|w| w == b"\n---\n") {
        Some(at) => body.split_at(at + 5),
        None => (&[], body),
    }
}

/// The lines of `body`, each without its newline, empty ones left out.
fn lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|b| *b == b'\n').filter(|l| !l.is_empty())
}

/// The upstream's header, the owner's lines, then the upstream's lines
/// without those of names the owner takes (so no name has lines from
/// both): what the upstream appends stays an append, which Bundler
/// fetches with `Range` alone.
fn merge_versions(theirs: &[u8], ours: &[u8], takes: &dyn Fn(&str) -> bool) -> Vec<u8> {
    let (header, their_lines) = split_header(theirs);
    let mut out = Vec::with_capacity(theirs.len() + ours.len() + 4);
    out.extend_from_slice(if header.is_empty() { b"---\n" } else { header });
    for line in lines(split_header(ours).1) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    for line in lines(their_lines) {
        let name = line.split(|b| *b == b' ').next().unwrap_or_default();
        if std::str::from_utf8(name).is_ok_and(|n| !takes(n)) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

/// The upstream's `/names` without the owner's, with the owner's, sorted.
fn merge_names(theirs: &[u8], ours: &[u8], takes: &dyn Fn(&str) -> bool) -> Vec<u8> {
    let mut names: Vec<&[u8]> = lines(split_header(theirs).1)
        .filter(|n| std::str::from_utf8(n).is_ok_and(|n| !takes(n)))
        .chain(lines(split_header(ours).1))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::with_capacity(theirs.len() + ours.len() + 4);
    out.extend_from_slice(b"---\n");
    for name in names {
        out.extend_from_slice(name);
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(name: &str) -> bool {
        entrepot_core::names::pep503(name) == "my-gem"
    }

    #[test]
    fn the_owners_lines_replace_the_upstreams_of_the_same_name() {
        let theirs = b"created_at: 2024-01-01T00:00:00Z\n---\nrack 1.0,2.0 aaa\nMy_Gem 9.9 bbb\nrake 13.0 ccc\nrack 3.0 ddd\n";
        let ours = b"created_at: 2025-01-01T00:00:00Z\n---\nmy-gem 1.0 eee\n";
        let merged = merge_versions(theirs, ours, &local);
        assert_eq!(
            String::from_utf8(merged).unwrap(),
            "created_at: 2024-01-01T00:00:00Z\n---\nmy-gem 1.0 eee\nrack 1.0,2.0 aaa\nrake 13.0 ccc\nrack 3.0 ddd\n"
        );
        let merged = merge_versions(b"rack 1.0 aaa", b"---\n", &local);
        assert_eq!(merged, b"---\nrack 1.0 aaa\n", "a header is always there");
    }

    #[test]
    fn names_are_merged_sorted_without_the_upstreams_twins() {
        let merged = merge_names(
            b"---\nMy_Gem\nrack\nzeitwerk\n",
            b"---\nmy-gem\nactive\n",
            &local,
        );
        assert_eq!(
            String::from_utf8(merged).unwrap(),
            "---\nactive\nmy-gem\nrack\nzeitwerk\n"
        );
    }
}
