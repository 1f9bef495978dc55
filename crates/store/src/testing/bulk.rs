//! Bulk synthetic orders for benches (`scripts/bench reads`): many orders of one account in
//! a few large transactions, by multi-row `INSERT`s straight into the tables (no audit
//! records, no timeline: the data is synthetic and the point is to have 100,000 rows in
//! seconds, not to exercise the write path). Never used by the product.

use crate::db::{Store, new_id};
use crate::error::Result;

/// Rows per multi-row `INSERT` (13 parameters a row, under either backend's limit).
const CHUNK: usize = 500;
/// Rows per transaction.
const PER_TX: usize = 20_000;

/// Inserts `n` orders of `account_id` in `state` (kind `first_filing`, province `33`), each
/// with its working-data row, created one millisecond apart ending now. Returns their ids.
pub async fn bulk_orders(
    store: &Store,
    account_id: &str,
    n: usize,
    state: &str,
) -> Result<Vec<String>> {
    let now = store.now_ms();
    let ids: Vec<String> = (0..n).map(|_| new_id()).collect();
    let mut done = 0;
    while done < n {
        let end = (done + PER_TX).min(n);
        let mut tx = store.begin().await?;
        let mut start = done;
        while start < end {
            let stop = (start + CHUNK).min(end);
            let rows = stop - start;
            let mut sql = String::from(
                "INSERT INTO orders (id, account_id, sponsor_id, website_id, kind, state, \
                 province, version, deadlines, return_reasons, created_at, updated_at, \
                 state_entered_at) VALUES ",
            );
            let mut wf =
                String::from("INSERT INTO order_workflow (order_id, registry, updated_at) VALUES ");
            for i in 0..rows {
                let b = i * 5;
                if i > 0 {
                    sql.push_str(", ");
                    wf.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, NULL, NULL, 'first_filing', ${}, '33', 1, '{{}}', '[]', \
                     ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 4,
                    b + 5
                ));
                wf.push_str(&format!("(${}, '{{}}', ${})", 2 * i + 1, 2 * i + 2));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            let mut w = sqlx::query(sqlx::AssertSqlSafe(wf));
            for (j, id) in ids[start..stop].iter().enumerate() {
                let at = now - (n - (start + j)) as i64;
                q = q
                    .bind(id.as_str())
                    .bind(account_id)
                    .bind(state)
                    .bind(at)
                    .bind(at);
                w = w.bind(id.as_str()).bind(at);
            }
            q.execute(tx.conn()).await?;
            w.execute(tx.conn()).await?;
            start = stop;
        }
        tx.commit().await?;
        done = end;
    }
    Ok(ids)
}
