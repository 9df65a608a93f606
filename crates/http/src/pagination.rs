//! GitHub-style pagination: `page` and `per_page` query parameters and a
//! `Link` header with `next`, `prev`, `first` and `last`.

use serde::Deserialize;

pub const DEFAULT_PER_PAGE: usize = 30;
pub const MAX_PER_PAGE: usize = 100;

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PageQuery {
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based, as GitHub counts.
    pub page: usize,
    pub per_page: usize,
}

impl From<PageQuery> for Page {
    fn from(q: PageQuery) -> Self {
        Page {
            page: q.page.unwrap_or(1).max(1),
            per_page: q
                .per_page
                .unwrap_or(DEFAULT_PER_PAGE)
                .clamp(1, MAX_PER_PAGE),
        }
    }
}

impl Page {
    /// How many items come before this page, for SQL's `OFFSET`.
    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page) as u64
    }

    /// The slice of `items` this page covers.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.page - 1)
            .saturating_mul(self.per_page)
            .min(items.len());
        let end = start.saturating_add(self.per_page).min(items.len());
        &items[start..end]
    }

    /// GitHub refuses to page past the 10,000th item of a list.
    pub fn within_limit(&self) -> bool {
        self.page.saturating_mul(self.per_page) <= 10_000
    }

    /// The `Link` header for a list of `total` items at `url` (which may
    /// carry other query parameters, but not `page` or `per_page`), or
    /// `None` when everything fits on one page.
    pub fn link_header(&self, url: &str, total: usize) -> Option<String> {
        let last = total.div_ceil(self.per_page).max(1);
        if last == 1 && self.page == 1 {
            return None;
        }
        let sep = if url.contains('?') { '&' } else { '?' };
        let link = |page: usize, rel: &str| {
            format!(
                "<{url}{sep}page={page}&per_page={}>; rel=\"{rel}\"",
                self.per_page
            )
        };
        let mut links = Vec::new();
        if self.page > 1 {
            links.push(link(self.page - 1, "prev"));
        }
        if self.page < last {
            links.push(link(self.page + 1, "next"));
            links.push(link(last, "last"));
        }
        if self.page > 1 {
            links.push(link(1, "first"));
        }
        Some(links.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_slice_and_link_like_github() {
        let items: Vec<u32> = (0..65).collect();
        let p = Page::from(PageQuery {
            page: Some(2),
            per_page: Some(30),
        });
        assert_eq!(p.slice(&items), &items[30..60]);
        assert_eq!(
            p.link_header("http://x/api", items.len()).unwrap(),
            "<http://x/api?page=1&per_page=30>; rel=\"prev\", <http://x/api?page=3&per_page=30>; rel=\"next\", \
             <http://x/api?page=3&per_page=30>; rel=\"last\", <http://x/api?page=1&per_page=30>; rel=\"first\""
        );
        assert!(
            Page::from(PageQuery {
                page: None,
                per_page: None
            })
            .link_header("u", 10)
            .is_none()
        );
        assert_eq!(
            Page::from(PageQuery {
                page: Some(0),
                per_page: Some(1000)
            }),
            Page {
                page: 1,
                per_page: 100
            }
        );
        assert!(
            Page {
                page: 9,
                per_page: 30
            }
            .slice(&items)
            .is_empty()
        );
        assert!(
            Page {
                page: 100,
                per_page: 100
            }
            .within_limit()
        );
        assert!(
            !Page {
                page: 101,
                per_page: 100
            }
            .within_limit()
        );
        let with_query = Page {
            page: 1,
            per_page: 30,
        }
        .link_header("http://x/api?package_type=npm", 65)
        .unwrap();
        assert!(
            with_query
                .starts_with("<http://x/api?package_type=npm&page=2&per_page=30>; rel=\"next\""),
            "{with_query}"
        );
    }
}
