//! The package page's Details panel: what the version's manifest says
//! (licence, home page, the code, keywords, authors, dependencies) next to
//! what the registry knows (size, versions, last published, publishers).

use entrepot_http::format::Details;
use minijinja::context;

use crate::render::LinkBase;

/// Where the code is, as a link a browser can follow: the connected
/// repository's code URL if it has one, else the manifest's, made a web
/// URL (`git+https://…/r.git` → `https://…/r`, `github:o/r` → GitHub).
pub(crate) fn source_url(code_url: Option<&str>, details: &Details) -> Option<String> {
    if let Some(url) = code_url {
        return Some(url.to_owned());
    }
    let source = details.source.as_deref()?;
    if let Some(base) = LinkBase::of_repository(source, None) {
        return Some(base.home().to_owned());
    }
    let web = source.strip_prefix("git+").unwrap_or(source);
    let web = web.strip_suffix(".git").unwrap_or(web);
    let lower = web.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| web.to_owned())
}

/// Where a README's relative links lead: into the connected repository's
/// code, else into the manifest's source (in the package's folder there).
pub(crate) fn link_base(code_url: Option<&str>, details: &Details) -> Option<LinkBase> {
    code_url
        .and_then(|url| LinkBase::of_repository(url, None))
        .or_else(|| {
            LinkBase::of_repository(
                details.source.as_deref()?,
                details.source_directory.as_deref(),
            )
        })
}

/// The panel's context; `facts` are the registry's own (size, count…).
/// `paths` are the pages of the dependencies found here, by their place.
pub(crate) fn panel(
    details: &Details,
    paths: &std::collections::HashMap<usize, String>,
    source: Option<&str>,
    facts: &minijinja::Value,
) -> minijinja::Value {
    let mut kinds: Vec<(&str, Vec<minijinja::Value>)> = Vec::new();
    for (i, d) in details.dependencies.iter().enumerate() {
        let row = context! { name => d.name, requirement => d.requirement, path => paths.get(&i) };
        match kinds.iter_mut().find(|(kind, _)| *kind == d.kind) {
            Some((_, rows)) => rows.push(row),
            None => kinds.push((&d.kind, vec![row])),
        }
    }
    let dependencies: Vec<_> = kinds
        .into_iter()
        .map(|(kind, rows)| context! { kind => kind, count => rows.len(), rows => rows })
        .collect();
    context! {
        license => details.license,
        homepage => details.homepage,
        source => source,
        keywords => details.keywords,
        authors => details.authors,
        dependencies => dependencies,
        dependency_count => details.dependencies.len(),
        facts => facts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_linked_where_a_browser_can_follow() {
        let manifest = |source: &str| Details {
            source: Some(source.into()),
            ..Details::default()
        };
        assert_eq!(
            source_url(None, &manifest("git+https://github.com/acme/tool.git")).as_deref(),
            Some("https://github.com/acme/tool")
        );
        assert_eq!(
            source_url(None, &manifest("git+https://git.example.com/tool.git")).as_deref(),
            Some("https://git.example.com/tool")
        );
        assert_eq!(source_url(None, &manifest("javascript:alert(1)")), None);
        assert_eq!(
            source_url(Some("https://code.example/x"), &manifest("github:a/b")).as_deref(),
            Some("https://code.example/x"),
            "the connected repository's code first"
        );
        let monorepo = Details {
            source: Some("https://github.com/acme/mono".into()),
            source_directory: Some("packages/a".into()),
            ..Details::default()
        };
        assert_eq!(
            link_base(None, &monorepo).unwrap().link("x.md"),
            "https://github.com/acme/mono/blob/HEAD/packages/a/x.md"
        );
    }
}
