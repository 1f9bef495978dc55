//! Pagination of the pages' lists, one reusable piece: the page number in the query
//! (`?page=2`, or a list's own name when a page shows two lists, e.g. `?sites=2`), a bounded
//! page size (`?per=N`, 1 to [`MAX_PER`], [`PER`] when absent), and the pager under the list
//! ("上一页 · 第 2 / 5 页 · 下一页"): plain links that work without JavaScript and keep the
//! rest of the query. A page number past the end shows the last page.
//!
//! The lists come from the platform's services whole (an account's orders and API keys, the
//! review queue bounded by the service); the portal shows one page of them.

use crate::portal::i18n::Arg;
use crate::portal::page::{Block, Ctx};

/// Rows per page when the query names none.
pub const PER: usize = 20;
/// The most rows a page shows, whatever the query asks.
pub const MAX_PER: usize = 100;

/// Which page of a list the request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based.
    pub page: usize,
    pub per: usize,
}

/// The value of `name` in the query of `path_and_query` (its last occurrence).
fn query_value<'a>(path_and_query: &'a str, name: &str) -> Option<&'a str> {
    let (_, query) = path_and_query.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .next_back()
}

impl PageRequest {
    /// The page asked for by `param` (and `per`) in the request's query; bad numbers count
    /// as absent.
    pub fn of(path_and_query: &str, param: &str) -> PageRequest {
        let number = |name: &str| {
            query_value(path_and_query, name)
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0)
        };
        PageRequest {
            page: number(param).unwrap_or(1),
            per: number("per").map_or(PER, |n| n.min(MAX_PER)),
        }
    }
}

/// One page of a list, and where the others are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    /// 1-based, within `1..=pages`.
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    /// The links to the previous and next pages.
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// `path_and_query` with `param` set to `page` (other parameters kept, in order).
fn link(path_and_query: &str, param: &str, page: usize) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split_once('=').map_or(*p, |(k, _)| k) != param)
        .map(str::to_owned)
        .collect();
    pairs.push(format!("{param}={page}"));
    format!("{path}?{}", pairs.join("&"))
}

/// Cuts `all` to the page `param` asks for in `path_and_query`: the rows of that page, and
/// the pager (`None` when everything fits on one page).
pub fn paginate<T>(all: Vec<T>, path_and_query: &str, param: &str) -> (Vec<T>, Option<Pager>) {
    let want = PageRequest::of(path_and_query, param);
    let total = all.len();
    let pages = total.div_ceil(want.per).max(1);
    let page = want.page.min(pages);
    let rows: Vec<T> = all
        .into_iter()
        .skip((page - 1) * want.per)
        .take(want.per)
        .collect();
    if pages == 1 {
        return (rows, None);
    }
    let pager = Pager {
        page,
        pages,
        total,
        prev: (page > 1).then(|| link(path_and_query, param, page - 1)),
        next: (page < pages).then(|| link(path_and_query, param, page + 1)),
    };
    (rows, Some(pager))
}

impl Ctx {
    /// One page of `all` (by the query's `param`) and, when there is more than one page,
    /// the pager block to put under it.
    pub fn paginate<T>(&self, all: Vec<T>, param: &str) -> (Vec<T>, Option<Block>) {
        let (rows, pager) = paginate(all, &self.path, param);
        let block = pager.map(|p| Block::Pager {
            label: self.t_args(
                "pager-position",
                &[
                    ("page", Arg::N(p.page as i64)),
                    ("pages", Arg::N(p.pages as i64)),
                    ("total", Arg::N(p.total as i64)),
                ],
            ),
            prev: p.prev.map(|href| (self.t("pager-prev"), href)),
            next: p.next.map(|href| (self.t("pager-next"), href)),
        });
        (rows, block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_size_come_from_the_query_within_bounds() {
        assert_eq!(
            PageRequest::of("/filings", "page"),
            PageRequest { page: 1, per: PER }
        );
        assert_eq!(
            PageRequest::of("/filings?page=3&per=5", "page"),
            PageRequest { page: 3, per: 5 }
        );
        assert_eq!(
            PageRequest::of("/filings?page=0&per=100000", "page"),
            PageRequest {
                page: 1,
                per: MAX_PER
            }
        );
        assert_eq!(
            PageRequest::of("/filings?page=x&per=-2", "page"),
            PageRequest { page: 1, per: PER }
        );
        assert_eq!(PageRequest::of("/filings?sites=2", "sites").page, 2);
        assert_eq!(PageRequest::of("/filings?sites=2", "page").page, 1);
    }

    #[test]
    fn a_list_is_cut_into_pages_with_links_that_keep_the_query() {
        let all: Vec<u32> = (1..=7).collect();
        let (rows, pager) = paginate(all.clone(), "/filings?per=3&sites=2", "page");
        assert_eq!(rows, vec![1, 2, 3]);
        let pager = pager.unwrap();
        assert_eq!((pager.page, pager.pages, pager.total), (1, 3, 7));
        assert_eq!(pager.prev, None);
        assert_eq!(pager.next.as_deref(), Some("/filings?per=3&sites=2&page=2"));

        let (rows, pager) = paginate(all.clone(), "/filings?page=3&per=3", "page");
        assert_eq!(rows, vec![7]);
        let pager = pager.unwrap();
        assert_eq!(pager.prev.as_deref(), Some("/filings?per=3&page=2"));
        assert_eq!(pager.next, None);

        // Past the end: the last page.
        let (rows, pager) = paginate(all.clone(), "/filings?page=99&per=3", "page");
        assert_eq!((rows, pager.unwrap().page), (vec![7], 3));
        // Everything on one page: no pager.
        let (rows, pager) = paginate(all, "/filings", "page");
        assert_eq!((rows.len(), pager), (7, None));
        let (rows, pager) = paginate(Vec::<u32>::new(), "/filings?page=2", "page");
        assert_eq!((rows.len(), pager), (0, None));
    }
}
