//! The API's list shape (docs/api.md "Lists"): `{items: [...], next_cursor}` with
//! `?limit=&cursor=`. The cursor names the last item of the previous page (opaque to
//! clients); the next page starts after it in the list's own stable order, so an item added
//! or removed meanwhile does not shift the pages the way an offset would. The long lists
//! (`GET /orders`, the review queue) page in the store by keyset (their cursor is the
//! order column's value and the id, see `beian_store::orders::Keyset`); short lists page in
//! memory with [`PageQuery::page`] (their cursor is the last item's id).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// The default page size, and the most one page may hold.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// `?limit=&cursor=`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Items per page: 1 to 200, 50 by default.
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl PageQuery {
    /// The page size asked for (default 50); outside 1 to 200: 422 `limit`.
    pub fn limit(&self) -> Result<usize, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field("limit", "api.field.limit"));
        }
        Ok(limit)
    }

    /// The page of `all` (in its stable order) this query asks for; `id` names an item. A
    /// cursor that names no item is 422 `cursor`.
    pub fn page<T>(&self, all: Vec<T>, id: impl Fn(&T) -> &str) -> Result<Page<T>, ApiError> {
        let limit = self.limit()?;
        let start = match self.cursor.as_deref() {
            None | Some("") => 0,
            Some(cursor) => {
                all.iter()
                    .position(|item| id(item) == cursor)
                    .ok_or_else(|| ApiError::field("cursor", "api.field.cursor"))?
                    + 1
            }
        };
        let mut items: Vec<T> = all.into_iter().skip(start).collect();
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if more {
            items.last().map(|item| id(item).to_owned())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("o{i}")).collect()
    }

    #[test]
    fn pages_follow_the_cursor_to_the_end() {
        let mut query = PageQuery {
            limit: Some(2),
            cursor: None,
        };
        let mut seen = Vec::new();
        loop {
            let page = query.page(ids(5), |s| s.as_str()).unwrap();
            seen.extend(page.items);
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, ids(5));
    }

    #[test]
    fn a_bad_limit_or_cursor_is_refused() {
        for query in [
            PageQuery {
                limit: Some(0),
                cursor: None,
            },
            PageQuery {
                limit: Some(MAX_LIMIT + 1),
                cursor: None,
            },
            PageQuery {
                limit: None,
                cursor: Some("nope".into()),
            },
        ] {
            assert!(query.page(ids(3), |s| s.as_str()).is_err(), "{query:?}");
        }
    }

    #[test]
    fn an_exact_last_page_has_no_cursor() {
        let query = PageQuery {
            limit: Some(3),
            cursor: None,
        };
        let page = query.page(ids(3), |s| s.as_str()).unwrap();
        assert_eq!(page.items.len(), 3);
        assert_eq!(page.next_cursor, None);
    }
}
