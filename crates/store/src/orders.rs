//! Orders (备案订单) with optimistic concurrency, their timeline, and materials metadata.
//!
//! An order row carries a `version`. [`Tx::transition_order`] writes only
//! `WHERE id = … AND version = expected`; if another transaction moved the order first, no row
//! matches and the caller gets [`StoreError::Conflict`] (HTTP 409). The state is the
//! snake_case text of the core state machine's states (API.md); the store does not judge
//! transitions, the core does.

use serde_json::{Value, json};
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::crypto::Field;
use crate::db::{Backend, Store, Tx, new_id};
use crate::error::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder<'a> {
    pub account_id: &'a str,
    pub sponsor_id: Option<&'a str>,
    pub website_id: Option<&'a str>,
    /// `beian_core::kind::FilingKind::as_str()`.
    pub kind: &'a str,
    pub state: &'a str,
    /// GB/T 2260 province code.
    pub province: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: String,
    pub account_id: String,
    pub sponsor_id: Option<String>,
    pub website_id: Option<String>,
    pub kind: String,
    pub state: String,
    pub province: String,
    pub version: i64,
    pub deadlines: Value,
    pub return_reasons: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an order of the account's list files: its website's domain, or its APP's name (an
/// APP's order has no website). The APP's name is the one on its record: as checked until the
/// bureau files it, then as filed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderService {
    pub domain: Option<String>,
    pub app_name: Option<String>,
}

/// A timeline event recorded with a transition. `note` must hold no personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    /// `account:<id>`, `system`, `bureau`, …
    pub actor: String,
    /// e.g. `submit`, `approve`, `return`.
    pub event: String,
    pub note: Value,
}

impl TimelineEvent {
    pub fn new(actor: &str, event: &str) -> TimelineEvent {
        TimelineEvent {
            actor: actor.to_string(),
            event: event.to_string(),
            note: json!({}),
        }
    }
}

/// A stored timeline entry, its note parsed ([`Value`]) or, in an order's view
/// ([`RecentEntry`]), kept as stored. (It reads from a JSON array of its fields in order.)
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct TimelineEntry<N = Value> {
    pub at: i64,
    pub actor: String,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub version: i64,
    pub note: N,
}

/// A timeline entry of an order's view: its note stays the stored JSON text, passed through
/// to the answer without being parsed into a [`Value`] and written out again.
pub type RecentEntry = TimelineEntry<Note>;

/// The same entry read whole ([`Store::order_timeline`]): its note equal as JSON.
impl PartialEq<TimelineEntry> for RecentEntry {
    fn eq(&self, e: &TimelineEntry) -> bool {
        let TimelineEntry {
            at,
            actor,
            event,
            from_state,
            to_state,
            version,
            note,
        } = e;
        self.at == *at
            && self.actor == *actor
            && self.event == *event
            && self.from_state == *from_state
            && self.to_state == *to_state
            && self.version == *version
            && self.note.value() == *note
    }
}

/// A timeline entry's note as stored: a JSON object's text, checked to be JSON when read.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Note(Box<serde_json::value::RawValue>);

impl Note {
    /// The note as a JSON value.
    pub fn value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }
}

impl PartialEq for Note {
    fn eq(&self, other: &Note) -> bool {
        self.0.get() == other.0.get()
    }
}

/// What a transition may also change besides the state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransitionExtras {
    pub deadlines: Option<Value>,
    pub return_reasons: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMaterial<'a> {
    pub order_id: &'a str,
    /// API.md material kind, e.g. `sponsor_id_front`.
    pub kind: &'a str,
    /// The object store key (random, never from the user's file name).
    pub object_key: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256_hex: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    pub id: String,
    pub order_id: String,
    pub kind: String,
    pub object_key: String,
    pub content_type: String,
    pub size: i64,
    pub sha256_hex: String,
    pub created_at: i64,
}

const ORDER_COLS: &str = "id, account_id, sponsor_id, website_id, kind, state, province, \
    version, deadlines, return_reasons, created_at, updated_at";

/// [`ORDER_COLS`] of the table aliased `o`.
pub(crate) const ORDER_COLS_O: &str = "o.id, o.account_id, o.sponsor_id, o.website_id, o.kind, o.state, \
    o.province, o.version, o.deadlines, o.return_reasons, o.created_at, o.updated_at";

/// Where a keyset page starts: after the row with this instant (the list's order column,
/// Unix ms) and id. Its text form (the API's cursor) is `<instant>.<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub at: i64,
    pub id: String,
}

impl Keyset {
    /// The text form of a cursor.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at, self.id)
    }

    /// Parses a cursor made by [`Keyset::encode`]; `None` if it is not one.
    pub fn decode(s: &str) -> Option<Keyset> {
        let (at, id) = s.split_once('.')?;
        let at = at.parse::<i64>().ok()?;
        let ok = !id.is_empty()
            && id.len() <= 64
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        ok.then(|| Keyset {
            at,
            id: id.to_owned(),
        })
    }

    fn bounds(after: Option<&Keyset>) -> (i64, String) {
        match after {
            Some(k) => (k.at, k.id.clone()),
            // Before every row: instants are never negative and ids never empty.
            None => (i64::MIN, String::new()),
        }
    }
}

/// Which review queue [`Store::queue_page`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFilter<'a> {
    pub state: &'a str,
    /// GB/T 2260 province code.
    pub province: Option<&'a str>,
    /// `FilingKind::as_str()`.
    pub kind: Option<&'a str>,
}

/// One row of a review queue page. `Debug` leaves the forms out (they hold personal data).
#[derive(Clone, PartialEq)]
pub struct QueueRow {
    pub order: Order,
    /// When the order entered its state (Unix ms).
    pub entered_at: i64,
    /// The order's forms (opened), if any were saved.
    pub forms: Option<Value>,
}

impl std::fmt::Debug for QueueRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueRow")
            .field("order", &self.order)
            .field("entered_at", &self.entered_at)
            .field("forms", &self.forms.as_ref().map(|_| "<sealed>"))
            .finish()
    }
}

fn json_col(row: &sqlx::any::AnyRow, col: &'static str) -> Result<Value> {
    let s: String = row.try_get(col)?;
    serde_json::from_str(&s).map_err(|_| StoreError::Corrupt(col))
}

fn order_from_row(row: &sqlx::any::AnyRow) -> Result<Order> {
    Ok(Order {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        sponsor_id: row.try_get("sponsor_id")?,
        website_id: row.try_get("website_id")?,
        kind: row.try_get("kind")?,
        state: row.try_get("state")?,
        province: row.try_get("province")?,
        version: row.try_get("version")?,
        deadlines: json_col(row, "deadlines")?,
        return_reasons: json_col(row, "return_reasons")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Tx {
    /// Creates an order at version 1, with its first timeline entry and audit record.
    pub async fn insert_order(&mut self, actor: &str, o: &NewOrder<'_>) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO orders (id, account_id, sponsor_id, website_id, kind, state, province, \
             version, deadlines, return_reasons, created_at, updated_at, state_entered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, '{}', '[]', $8, $8, $8)",
        )
        .bind(&id)
        .bind(o.account_id)
        .bind(o.sponsor_id)
        .bind(o.website_id)
        .bind(o.kind)
        .bind(o.state)
        .bind(o.province)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.insert_event(&id, None, o.state, 1, &TimelineEvent::new(actor, "create"))
            .await?;
        self.append_audit(
            AuditEntry::new(actor, "order.create", format!("order:{id}")).after(json!({
                "kind": o.kind, "state": o.state, "province": o.province, "version": 1,
            })),
        );
        Ok(id)
    }

    async fn insert_event(
        &mut self,
        order_id: &str,
        from: Option<&str>,
        to: &str,
        version: i64,
        ev: &TimelineEvent,
    ) -> Result<()> {
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO order_events (id, order_id, at, actor, event, from_state, to_state, \
             version, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new_id())
        .bind(order_id)
        .bind(now)
        .bind(&ev.actor)
        .bind(&ev.event)
        .bind(from)
        .bind(to)
        .bind(version)
        .bind(ev.note.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Moves the order to `new_state` if its version is still `expected_version`; returns the
    /// new version. `Conflict` when the version moved (before or during this call),
    /// `NotFound` when there is no such order. Records the timeline event and an audit record.
    pub async fn transition_order(
        &mut self,
        order_id: &str,
        expected_version: i64,
        new_state: &str,
        event: &TimelineEvent,
    ) -> Result<i64> {
        self.transition_order_with(
            order_id,
            expected_version,
            new_state,
            event,
            &TransitionExtras::default(),
        )
        .await
    }

    /// [`Tx::transition_order`] that also replaces deadlines and/or return reasons.
    pub async fn transition_order_with(
        &mut self,
        order_id: &str,
        expected_version: i64,
        new_state: &str,
        event: &TimelineEvent,
        extras: &TransitionExtras,
    ) -> Result<i64> {
        let now = self.store.now_ms();
        let new_version = expected_version + 1;
        // Two statements: the timeline entry is copied from the order row as it stands at
        // the expected version (which also yields the state it leaves), then the row moves.
        let from: Option<String> = sqlx::query_scalar(
            "INSERT INTO order_events (id, order_id, at, actor, event, from_state, to_state, \
             version, note) SELECT $1, id, $2, $3, $4, state, $5, $6, $7 FROM orders \
             WHERE id = $8 AND version = $9 RETURNING from_state",
        )
        .bind(new_id())
        .bind(now)
        .bind(&event.actor)
        .bind(&event.event)
        .bind(new_state)
        .bind(new_version)
        .bind(event.note.to_string())
        .bind(order_id)
        .bind(expected_version)
        .fetch_optional(self.conn())
        .await
        .map_err(|e| match StoreError::from(e) {
            // A concurrent transition took this version first (PostgreSQL).
            StoreError::Unique {
                constraint: "order_events_version_key",
            } => StoreError::Conflict { what: "order" },
            other => other,
        })?;
        let Some(from) = from else {
            // Only the failure path pays for telling a missing order from a moved one.
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT version FROM orders WHERE id = $1")
                    .bind(order_id)
                    .fetch_optional(self.conn())
                    .await?;
            return Err(match exists {
                None => StoreError::NotFound { what: "order" },
                Some(_) => StoreError::Conflict { what: "order" },
            });
        };
        let res = sqlx::query(
            "UPDATE orders SET state_entered_at = CASE WHEN state = $1 THEN state_entered_at \
             ELSE $3 END, state = $1, version = $2, updated_at = $3, \
             deadlines = COALESCE($4, deadlines), return_reasons = COALESCE($5, return_reasons) \
             WHERE id = $6 AND version = $7",
        )
        .bind(new_state)
        .bind(new_version)
        .bind(now)
        .bind(extras.deadlines.as_ref().map(Value::to_string))
        .bind(extras.return_reasons.as_ref().map(Value::to_string))
        .bind(order_id)
        .bind(expected_version)
        .execute(self.conn())
        .await?;
        if res.rows_affected() != 1 {
            return Err(StoreError::Conflict { what: "order" });
        }
        self.append_audit(
            AuditEntry::new(
                &event.actor,
                "order.transition",
                format!("order:{order_id}"),
            )
            .before(json!({"state": from, "version": expected_version}))
            .after(json!({"state": new_state, "version": new_version, "event": event.event})),
        );
        Ok(new_version)
    }

    /// Records an uploaded material's metadata (the bytes are in the object store).
    pub async fn insert_material(&mut self, actor: &str, m: &NewMaterial<'_>) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO materials (id, order_id, kind, object_key, content_type, size, sha256, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(m.order_id)
        .bind(m.kind)
        .bind(m.object_key)
        .bind(m.content_type)
        .bind(m.size)
        .bind(m.sha256_hex)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "material.add", format!("order:{}", m.order_id)).after(
                json!({"material": id, "kind": m.kind, "content_type": m.content_type, "size": m.size,
                       "sha256": m.sha256_hex}),
            ),
        );
        Ok(id)
    }

    /// Marks a material deleted (e.g. a raw face photo after the decision).
    pub async fn delete_material(&mut self, actor: &str, id: &str) -> Result<()> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE materials SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "material" });
        }
        self.append_audit(AuditEntry::new(
            actor,
            "material.delete",
            format!("material:{id}"),
        ));
        Ok(())
    }

    /// The order as it stands, read in this transaction (e.g. after a lock that orders this
    /// transaction after a concurrent transition).
    pub async fn order_now(&mut self, id: &str) -> Result<Order> {
        let row = sqlx::query(sql!("SELECT {ORDER_COLS} FROM orders WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound { what: "order" })?;
        order_from_row(&row)
    }
}

impl Store {
    pub async fn order(&self, id: &str) -> Result<Order> {
        let row = sqlx::query(sql!("SELECT {ORDER_COLS} FROM orders WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "order" })?;
        order_from_row(&row)
    }

    pub async fn orders_of_account(&self, account_id: &str) -> Result<Vec<Order>> {
        let rows = sqlx::query(sql!(
            "SELECT {ORDER_COLS} FROM orders WHERE account_id = $1 ORDER BY created_at"
        ))
        .bind(account_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(order_from_row).collect()
    }

    pub async fn orders_in_state(&self, state: &str, limit: i64) -> Result<Vec<Order>> {
        let rows = sqlx::query(sql!(
            "SELECT {ORDER_COLS} FROM orders WHERE state = $1 ORDER BY updated_at LIMIT $2"
        ))
        .bind(state)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(order_from_row).collect()
    }

    /// Up to `limit` orders in `state` with the instant (Unix ms) each entered it (the
    /// stored `state_entered_at`, set by the transition into the state), earliest entry first
    /// (then id), read from the index on (state, state_entered_at, id).
    pub async fn orders_in_state_by_entry(
        &self,
        state: &str,
        limit: i64,
    ) -> Result<Vec<(Order, i64)>> {
        let rows = sqlx::query(sql!(
            "SELECT {ORDER_COLS}, state_entered_at FROM orders WHERE state = $1 \
             ORDER BY state_entered_at, id LIMIT $2"
        ))
        .bind(state)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((order_from_row(r)?, r.try_get("state_entered_at")?)))
            .collect()
    }

    /// One keyset page of an account's orders, oldest first (`created_at`, then id), each
    /// with its website's domain, or for an APP's order (issue 18) its APP's name: one query,
    /// whatever the page or the account's size.
    pub async fn orders_of_account_page(
        &self,
        account_id: &str,
        after: Option<&Keyset>,
        limit: i64,
    ) -> Result<Vec<(Order, OrderService)>> {
        let (at, id) = Keyset::bounds(after);
        let rows = sqlx::query(sql!(
            "SELECT {ORDER_COLS_O}, w.domain AS website_domain, a.name AS app_name FROM orders o \
             LEFT JOIN websites w ON w.id = o.website_id \
             LEFT JOIN apps a ON a.id = o.app_id \
             WHERE o.account_id = $1 AND (o.created_at, o.id) > ($2, $3) \
             ORDER BY o.created_at, o.id LIMIT $4"
        ))
        .bind(account_id)
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    order_from_row(r)?,
                    OrderService {
                        domain: r.try_get("website_domain")?,
                        app_name: r.try_get("app_name")?,
                    },
                ))
            })
            .collect()
    }

    /// One keyset page of a review queue: the orders in `filter.state` (and province and
    /// kind, when given), earliest entry into the state first (then id), each with its entry
    /// instant and its forms (opened). One query on the index (state, state_entered_at, id).
    pub async fn queue_page(
        &self,
        filter: &QueueFilter<'_>,
        after: Option<&Keyset>,
        limit: i64,
    ) -> Result<Vec<QueueRow>> {
        let (at, id) = Keyset::bounds(after);
        let mut extra = String::new();
        let mut n = 4;
        if filter.province.is_some() {
            n += 1;
            extra.push_str(&format!(" AND o.province = ${n}"));
        }
        if filter.kind.is_some() {
            n += 1;
            extra.push_str(&format!(" AND o.kind = ${n}"));
        }
        let mut q = sqlx::query(sql!(
            "SELECT {ORDER_COLS_O}, o.state_entered_at AS entered_at, wf.forms_ct AS forms_ct \
             FROM orders o LEFT JOIN order_workflow wf ON wf.order_id = o.id \
             WHERE o.state = $1 AND (o.state_entered_at, o.id) > ($2, $3){extra} \
             ORDER BY o.state_entered_at, o.id LIMIT $4"
        ))
        .bind(filter.state)
        .bind(at)
        .bind(id)
        .bind(limit);
        if let Some(p) = filter.province {
            q = q.bind(p);
        }
        if let Some(k) = filter.kind {
            q = q.bind(k);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let forms_ct: Option<Vec<u8>> = r.try_get("forms_ct")?;
                let forms = match forms_ct {
                    Some(ct) => {
                        let text = self.crypto().open_str(Field::Outbox, &ct)?;
                        Some(
                            serde_json::from_str(&text)
                                .map_err(|_| StoreError::Corrupt("order_workflow.forms"))?,
                        )
                    }
                    None => None,
                };
                Ok(QueueRow {
                    order: order_from_row(r)?,
                    entered_at: r.try_get("entered_at")?,
                    forms,
                })
            })
            .collect()
    }

    /// The order's timeline, oldest first.
    pub async fn order_timeline(&self, order_id: &str) -> Result<Vec<TimelineEntry>> {
        let rows = sqlx::query(
            "SELECT at, actor, event, from_state, to_state, version, note FROM order_events \
             WHERE order_id = $1 ORDER BY version",
        )
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TimelineEntry {
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    event: r.try_get("event")?,
                    from_state: r.try_get("from_state")?,
                    to_state: r.try_get("to_state")?,
                    version: r.try_get("version")?,
                    note: json_col(r, "note")?,
                })
            })
            .collect()
    }

    /// The newest `limit` entries of the order's timeline, oldest first, and how many
    /// entries it has in all. One statement answering one row (the entries aggregated into a
    /// JSON array by the database), so an order's view costs the same however long its
    /// history grew, and the entries do not cross sqlx's SQLite worker channel row by row.
    pub async fn order_timeline_recent(
        &self,
        order_id: &str,
        limit: i64,
    ) -> Result<(Vec<RecentEntry>, i64)> {
        // The limit is written into the statement: bound, it made SQLite prepare the
        // statement again on every run. The notes go into the array as JSON, not as strings
        // of JSON, so that they are read without a second parse.
        let recent = format!(
            "SELECT at, actor, event, from_state, to_state, version, note \
             FROM order_events WHERE order_id = $2 ORDER BY version DESC LIMIT {}",
            limit.max(0)
        );
        let sql = match self.backend() {
            Backend::Sqlite => format!(
                "SELECT (SELECT COUNT(*) FROM order_events WHERE order_id = $1) AS total, \
                 (SELECT json_group_array(json_array(at, actor, event, from_state, to_state, \
                 version, json(note))) FROM ({recent}) AS e) AS entries"
            ),
            Backend::Postgres => format!(
                "SELECT (SELECT COUNT(*) FROM order_events WHERE order_id = $1) AS total, \
                 COALESCE((SELECT json_agg(json_build_array(at, actor, event, from_state, \
                 to_state, version, note::json))::text FROM ({recent}) AS e), '[]') AS entries"
            ),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(order_id)
            .bind(order_id)
            .fetch_one(self.pool())
            .await?;
        let total: i64 = row.try_get("total")?;
        let text: String = row.try_get("entries")?;
        // Each entry is the array of its fields, in the struct's order.
        let mut entries: Vec<RecentEntry> = serde_json::from_str(&text)
            .map_err(|_| StoreError::Corrupt("order_events (aggregated)"))?;
        entries.sort_by_key(|e| e.version);
        Ok((entries, total))
    }

    /// The order's materials that are not deleted.
    pub async fn materials(&self, order_id: &str) -> Result<Vec<Material>> {
        let rows = sqlx::query(
            "SELECT id, order_id, kind, object_key, content_type, size, sha256, created_at \
             FROM materials WHERE order_id = $1 AND deleted_at IS NULL ORDER BY created_at",
        )
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Material {
                    id: r.try_get("id")?,
                    order_id: r.try_get("order_id")?,
                    kind: r.try_get("kind")?,
                    object_key: r.try_get("object_key")?,
                    content_type: r.try_get("content_type")?,
                    size: r.try_get("size")?,
                    sha256_hex: r.try_get("sha256")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}
