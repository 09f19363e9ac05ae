//! The report builder in SQL: a checked [`Plan`] becomes one statement for the backend.
//! Identifiers come only from the plan (table and column names fixed in the core's catalogue,
//! aliases made here, custom field keys validated to `[a-z][a-z0-9_]*`); every value is a
//! bound parameter. The viewer's scope is part of the same statement.
//!
//! Grouped reports read the filtered, scoped records once into a CTE `b` (group keys `g0`,
//! `g1`, measures `m0..`), group it, and write each result row as a JSON array in the
//! database. Medians: PostgreSQL's `percentile_cont(0.5)`; on SQLite the average of the
//! middle one or two values found by `ROW_NUMBER()` over each group (the same definition).
//! Date buckets follow the report's zone: `AT TIME ZONE` on PostgreSQL; on SQLite the
//! zone's UTC offsets (from the IANA database) as a search tree of `CASE`s over Unix time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use clientele_core::authz::Scope;
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::custom_field::FieldType;
use clientele_core::domain::report_builder::{
    AggFn, Bucket, Kind, MINOR_DIVISORS, Plan, PlanFilter, ReportResult, Resolved, SortTarget, Source, Tz,
    bucket_label, has_parent_deal, table, utc_offsets,
};
use clientele_core::store::{ReportBuilderStore, ReportScope, SavedReport};
use clientele_core::{Error, Result};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::db::{Backend, Params};
use crate::filter_sql::{FilterSql, deal_scope_sql, scope_on, scope_sql};
use crate::platform::insert_audit;
use crate::{SqlStore, args, db_err};

struct Sql {
    backend: Backend,
}

impl Sql {
    fn custom(&self, alias: &str, key: &str, t: FieldType) -> String {
        match (self.backend, t) {
            (Backend::Sqlite, FieldType::Number) => {
                format!("CAST(json_extract({alias}.custom_fields, '$.\"{key}\"') AS REAL)")
            }
            (Backend::Postgres, FieldType::Number) => format!("(({alias}.custom_fields->>'{key}')::double precision)"),
            (Backend::Sqlite, FieldType::Money) => {
                format!("CAST(json_extract({alias}.custom_fields, '$.\"{key}\".amount') AS REAL)")
            }
            (Backend::Postgres, FieldType::Money) => {
                format!("(({alias}.custom_fields->'{key}'->>'amount')::double precision)")
            }
            (Backend::Postgres, FieldType::Boolean) => format!("(({alias}.custom_fields->>'{key}')::boolean)"),
            (Backend::Postgres, FieldType::Date) => format!("(({alias}.custom_fields->>'{key}')::date)"),
            (Backend::Postgres, FieldType::Datetime) => format!("(({alias}.custom_fields->>'{key}')::timestamptz)"),
            (Backend::Sqlite, FieldType::MultiSelect) => format!("json_extract({alias}.custom_fields, '$.\"{key}\"')"),
            (Backend::Postgres, FieldType::MultiSelect) => format!("({alias}.custom_fields->'{key}')::text"),
            (Backend::Sqlite, _) => format!("json_extract({alias}.custom_fields, '$.\"{key}\"')"),
            (Backend::Postgres, _) => format!("({alias}.custom_fields->>'{key}')"),
        }
    }

    /// The value of a field, as stored (money in major units).
    fn value(&self, r: &Resolved) -> String {
        let a = &r.alias;
        match &r.source {
            Source::Col(c) => format!("{a}.{c}"),
            Source::DecimalText(c) => match self.backend {
                Backend::Sqlite => format!("CAST({a}.{c} AS REAL)"),
                Backend::Postgres => format!("CAST({a}.{c} AS numeric)"),
            },
            Source::Money { minor, currency, currency_alias } => {
                let arms: String =
                    MINOR_DIVISORS.iter().map(|(code, d)| format!(" WHEN '{code}' THEN {d}")).collect::<String>();
                let num = match self.backend {
                    Backend::Sqlite => format!("({a}.{minor} * 1.0)"),
                    Backend::Postgres => format!("CAST({a}.{minor} AS numeric)"),
                };
                format!("({num} / (CASE {currency_alias}.{currency}{arms} ELSE 100 END))")
            }
            Source::Custom { key, field_type } => self.custom(a, key, *field_type),
        }
    }

    /// A number fit for aggregates and medians.
    fn measure(&self, r: &Resolved) -> String {
        let v = self.value(r);
        match (self.backend, r.kind) {
            (Backend::Sqlite, Kind::Time) => format!("strftime('%Y-%m-%dT%H:%M:%fZ', {v})"),
            _ => v,
        }
    }

    /// Local wall-clock time of a UTC time expression in `tz`, as SQLite text.
    fn sqlite_local(&self, v: &str, tz: Tz) -> String {
        let segs = utc_offsets(tz);
        if segs.len() == 1 && segs[0].1 == 0 {
            return format!("datetime({v})");
        }
        let e = format!("unixepoch({v})");
        fn tree(e: &str, segs: &[(i64, i32)]) -> String {
            if segs.len() == 1 {
                return segs[0].1.to_string();
            }
            let mid = segs.len() / 2;
            format!("CASE WHEN {e} < {} THEN {} ELSE {} END", segs[mid].0, tree(e, &segs[..mid]), tree(e, &segs[mid..]))
        }
        format!("datetime({e} + ({}), 'unixepoch')", tree(&e, &segs))
    }

    /// The first day (`YYYY-MM-DD`) of the bucket holding a time or date.
    fn bucket(&self, p: &mut Params, r: &Resolved, b: Bucket, tz: Tz) -> String {
        let v = self.value(r);
        match self.backend {
            Backend::Postgres => {
                let local = match r.kind {
                    Kind::Time => format!("({v} AT TIME ZONE {})", p.push(tz.name())),
                    _ => format!("CAST({v} AS timestamp)"),
                };
                format!("to_char(date_trunc('{}', {local}), 'YYYY-MM-DD')", b.as_str())
            }
            Backend::Sqlite => {
                let l = match r.kind {
                    Kind::Time => self.sqlite_local(&v, tz),
                    _ => format!("date({v})"),
                };
                match b {
                    Bucket::Day => format!("date({l})"),
                    Bucket::Week => format!("date({l}, '-6 days', 'weekday 1')"),
                    Bucket::Month => format!("strftime('%Y-%m-01', {l})"),
                    Bucket::Year => format!("strftime('%Y-01-01', {l})"),
                    Bucket::Quarter => format!(
                        "printf('%s-%02d-01', strftime('%Y', {l}), ((CAST(strftime('%m', {l}) AS INTEGER) - 1) / 3) * 3 + 1)"
                    ),
                }
            }
        }
    }

    fn filter(&self, p: &mut Params, f: &PlanFilter) -> String {
        match f {
            PlanFilter::And(parts) if parts.is_empty() => "1 = 1".into(),
            PlanFilter::Or(parts) if parts.is_empty() => "1 = 0".into(),
            PlanFilter::And(parts) => {
                format!("({})", parts.iter().map(|x| self.filter(p, x)).collect::<Vec<_>>().join(" AND "))
            }
            PlanFilter::Or(parts) => {
                format!("({})", parts.iter().map(|x| self.filter(p, x)).collect::<Vec<_>>().join(" OR "))
            }
            PlanFilter::Cond { alias, checked } => FilterSql { backend: self.backend, alias }.sql(p, checked),
        }
    }

    fn json_array(&self, items: &[String]) -> String {
        match self.backend {
            Backend::Sqlite => format!("json_array({})", items.join(", ")),
            Backend::Postgres => format!("CAST(json_build_array({}) AS text)", items.join(", ")),
        }
    }

    fn same(&self, a: &str, b: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("{a} IS {b}"),
            Backend::Postgres => format!("{a} IS NOT DISTINCT FROM {b}"),
        }
    }
}

/// `FROM ... JOIN ... WHERE <live rows> AND <scope>` of the plan's object.
fn from_where(sql: &Sql, p: &mut Params, plan: &Plan, scope: &ReportScope) -> String {
    let e = plan.entity;
    let mut from = format!("{} a", table(e));
    if has_parent_deal(e) {
        from.push_str(" JOIN deals d0 ON d0.id = a.deal_id");
    }
    for j in &plan.joins {
        from.push_str(&format!(" LEFT JOIN {} {} ON {}.id = {}.{}", j.table, j.alias, j.alias, j.from, j.col));
    }
    let mut conds: Vec<String> = Vec::new();
    match e {
        "line_item" | "payment" | "invoice" => {
            conds.push("d0.deleted_at IS NULL".into());
            if e == "invoice" {
                conds.push("a.kind = 'invoice'".into());
            }
            conds.push(deal_scope_sql(p, &scope.scope, "d0"));
        }
        "deal" => {
            conds.push("a.deleted_at IS NULL".into());
            conds.push(deal_scope_sql(p, &scope.scope, "a"));
        }
        "activity" => {
            conds.push("a.deleted_at IS NULL".into());
            conds.push(scope_on(p, &scope.scope, "a.created_by"));
        }
        "task" => {
            conds.push("a.deleted_at IS NULL".into());
            let me = p.push(scope.me);
            let scoped = scope_on(p, &scope.scope, "a.assignee_id");
            conds.push(format!("(a.assignee_id = {me} OR a.created_by = {me} OR {scoped})"));
        }
        "product" => {
            conds.push("a.deleted_at IS NULL".into());
            if scope.scope == Scope::Nothing {
                conds.push("1 = 0".into());
            }
        }
        _ => {
            conds.push("a.deleted_at IS NULL".into());
            conds.push(scope_sql(p, &scope.scope, "a"));
        }
    }
    if let Some(f) = &plan.filter {
        conds.push(sql.filter(p, f));
    }
    format!("{from} WHERE {}", conds.join(" AND "))
}

fn order_term(expr: &str, desc: bool) -> String {
    // Empty values last in both directions, on both databases.
    format!("({expr}) IS NULL, {expr}{}", if desc { " DESC" } else { "" })
}

/// The statement of a plan, with its parameters.
pub(crate) fn report_sql(backend: Backend, plan: &Plan, scope: &ReportScope) -> (String, Params) {
    let sql = Sql { backend };
    let mut p = Params::default();
    let limit = i64::from(plan.limit) + 1;
    if !plan.grouped() {
        let cols: Vec<String> = plan.columns.iter().map(|c| sql.measure(c)).collect();
        let fw = from_where(&sql, &mut p, plan, scope);
        let mut order: Vec<String> = plan
            .sort
            .iter()
            .map(|(t, desc)| match t {
                SortTarget::Output(i) => order_term(&cols[*i], *desc),
                SortTarget::Field(r) => order_term(&sql.measure(r), *desc),
            })
            .collect();
        order.push("a.id".into());
        let text =
            format!("SELECT {} FROM {fw} ORDER BY {} LIMIT {}", sql.json_array(&cols), order.join(", "), p.push(limit));
        return (text, p);
    }

    // Grouped: the CTE of keys and measures.
    let mut b_cols: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for (i, g) in plan.groups.iter().enumerate() {
        let e = match g.bucket {
            Some(bk) => sql.bucket(&mut p, &g.field, bk, plan.tz),
            None => sql.value(&g.field),
        };
        b_cols.push(format!("{e} AS g{i}"));
        keys.push(format!("g{i}"));
    }
    for (i, a) in plan.aggregates.iter().enumerate() {
        let m = match &a.field {
            Some(r) => sql.measure(r),
            None => "1".into(),
        };
        b_cols.push(format!("{m} AS m{i}"));
    }
    let fw = from_where(&sql, &mut p, plan, scope);
    let group_by = if keys.is_empty() { String::new() } else { format!(" GROUP BY {}", keys.join(", ")) };
    let mut inner: Vec<String> = keys.clone();
    let mut outputs: Vec<String> = keys.iter().map(|k| format!("g.{k}")).collect();
    let mut median_joins = String::new();
    for (i, a) in plan.aggregates.iter().enumerate() {
        let m = format!("m{i}");
        let agg = match (a.func, &a.field) {
            (AggFn::Count, None) => Some("COUNT(*)".to_owned()),
            (AggFn::Count, Some(_)) => Some(format!("COUNT({m})")),
            (AggFn::Sum, _) => Some(format!("SUM({m})")),
            (AggFn::Avg, _) => Some(format!("AVG({m})")),
            (AggFn::Min, _) => Some(format!("MIN({m})")),
            (AggFn::Max, _) => Some(format!("MAX({m})")),
            (AggFn::Median, _) if backend == Backend::Postgres => {
                Some(format!("percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST({m} AS double precision))"))
            }
            (AggFn::Median, _) => None,
        };
        match agg {
            Some(x) => {
                inner.push(format!("{x} AS v{i}"));
                outputs.push(format!("g.v{i}"));
            }
            None => {
                // SQLite: the middle value(s) of each group by rank.
                let part = if keys.is_empty() { String::new() } else { format!("PARTITION BY {} ", keys.join(", ")) };
                let sel = if keys.is_empty() { String::new() } else { format!("{}, ", keys.join(", ")) };
                let on = if keys.is_empty() {
                    "1 = 1".to_owned()
                } else {
                    keys.iter()
                        .map(|k| sql.same(&format!("md{i}.{k}"), &format!("g.{k}")))
                        .collect::<Vec<_>>()
                        .join(" AND ")
                };
                median_joins.push_str(&format!(
                    " LEFT JOIN (SELECT {sel}AVG(x) AS v FROM (SELECT {sel}{m} AS x, \
                     ROW_NUMBER() OVER ({part}ORDER BY {m}) AS rn, COUNT(*) OVER ({}) AS n \
                     FROM b WHERE {m} IS NOT NULL) r WHERE rn IN ((n + 1) / 2, (n + 2) / 2){group_by}) md{i} ON {on}",
                    part.trim_end()
                ));
                outputs.push(format!("md{i}.v"));
            }
        }
    }
    let mut order: Vec<String> = plan
        .sort
        .iter()
        .map(|(t, desc)| match t {
            SortTarget::Output(i) => order_term(&outputs[*i], *desc),
            SortTarget::Field(r) => order_term(&sql.value(r), *desc),
        })
        .collect();
    for k in &keys {
        order.push(order_term(&format!("g.{k}"), false));
    }
    let order_by = if order.is_empty() { String::new() } else { format!(" ORDER BY {}", order.join(", ")) };
    let text = format!(
        "WITH b AS (SELECT {} FROM {fw}) SELECT {} FROM (SELECT {} FROM b{group_by}) g{median_joins}{order_by} LIMIT {}",
        b_cols.join(", "),
        sql.json_array(&outputs),
        inner.join(", "),
        p.push(limit)
    );
    (text, p)
}

/// A cell as the API shows it.
fn cell(v: Value, kind: &str, integer: bool, tz: Tz, bucket: Option<Bucket>) -> Value {
    if v.is_null() {
        return v;
    }
    if let Some(b) = bucket {
        return match v.as_str() {
            Some(s) => Value::String(bucket_label(b, s)),
            None => v,
        };
    }
    match kind {
        "number" => {
            let n = v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match n {
                Some(n) if integer => Value::from(n.round() as i64),
                // Six decimals: money sums in floating point on SQLite lose nothing visible.
                Some(n) => {
                    serde_json::Number::from_f64((n * 1e6).round() / 1e6).map(Value::Number).unwrap_or(Value::Null)
                }
                None => v,
            }
        }
        "boolean" => match &v {
            Value::Number(n) => Value::Bool(n.as_i64().unwrap_or(0) != 0),
            _ => v,
        },
        "time" => match v.as_str().and_then(parse_time) {
            Some(t) => Value::String(t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()),
            None => v,
        },
        "date" => match v.as_str() {
            Some(s) => Value::String(s.get(0..10).unwrap_or(s).to_owned()),
            None => v,
        },
        _ => match v {
            Value::String(_) => v,
            other => Value::String(other.to_string()),
        },
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z").ok())
        .or_else(|| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%#z").ok())
        .map(|t| t.with_timezone(&Utc))
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: Uuid,
    version: i64,
    name: String,
    owner_id: Uuid,
    shared: bool,
    definition: Json<Value>,
    schedule: Option<Json<Value>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ReportRow {
    fn into_report(self) -> Option<SavedReport> {
        Some(SavedReport {
            id: self.id,
            version: self.version,
            name: self.name,
            owner_id: self.owner_id,
            shared: self.shared,
            definition: serde_json::from_value(self.definition.0).ok()?,
            schedule: self.schedule.and_then(|s| serde_json::from_value(s.0).ok()),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const REPORT_COLS: &str = "id, version, name, owner_id, shared, entity, definition, schedule, created_at, updated_at";
const REPORT_READ: &str = "id, version, name, owner_id, shared, definition, schedule, created_at, updated_at";

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[async_trait]
impl ReportBuilderStore for SqlStore {
    async fn run_report(&self, plan: &Plan, scope: &ReportScope) -> Result<ReportResult> {
        let (text, p) = report_sql(self.db.backend(), plan, scope);
        let rows: Vec<(String,)> = self.db.fetch_all(&text, p.0).await.map_err(db_err("running a report"))?;
        let columns = plan.headers();
        let buckets: Vec<Option<Bucket>> = if plan.grouped() {
            plan.groups.iter().map(|g| g.bucket).chain(plan.aggregates.iter().map(|_| None)).collect()
        } else {
            plan.columns.iter().map(|_| None).collect()
        };
        // Whole numbers: counts, and integer fields as they are (min and max of them too).
        let integers: Vec<bool> = if plan.grouped() {
            plan.groups
                .iter()
                .map(|g| g.field.kind == Kind::Int)
                .chain(plan.aggregates.iter().map(|a| match (a.func, &a.field) {
                    (AggFn::Count, _) => true,
                    (AggFn::Min | AggFn::Max, Some(f)) => f.kind == Kind::Int,
                    _ => false,
                }))
                .collect()
        } else {
            plan.columns.iter().map(|c| c.kind == Kind::Int).collect()
        };
        let truncated = rows.len() > plan.limit as usize;
        let mut out = Vec::with_capacity(rows.len().min(plan.limit as usize));
        for (json,) in rows.into_iter().take(plan.limit as usize) {
            let values: Vec<Value> = serde_json::from_str(&json)
                .map_err(|e| Error::Internal(anyhow::anyhow!("a report row is not JSON: {e}")))?;
            out.push(
                values
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let kind = columns.get(i).map(|c| c.kind.as_str()).unwrap_or("text");
                        let int = integers.get(i).copied().unwrap_or(false);
                        cell(v, kind, int, plan.tz, buckets.get(i).copied().flatten())
                    })
                    .collect(),
            );
        }
        Ok(ReportResult { columns, rows: out, truncated, time_zone: plan.tz.name().to_owned() })
    }

    async fn list_saved_reports(&self, user_id: Uuid) -> Result<Vec<SavedReport>> {
        let rows: Vec<ReportRow> = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {REPORT_READ} FROM saved_reports WHERE owner_id = $1 OR shared = $2 ORDER BY name, id"
                ),
                args![user_id, true],
            )
            .await
            .map_err(db_err("listing reports"))?;
        Ok(rows.into_iter().filter_map(ReportRow::into_report).collect())
    }

    async fn get_saved_report(&self, id: Uuid) -> Result<Option<SavedReport>> {
        let row: Option<ReportRow> = self
            .db
            .fetch_optional(&format!("SELECT {REPORT_READ} FROM saved_reports WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a report"))?;
        Ok(row.and_then(ReportRow::into_report))
    }

    async fn insert_saved_report(&self, r: &SavedReport, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        tx.execute(
            &format!("INSERT INTO saved_reports ({REPORT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
            args![
                r.id,
                r.version,
                r.name.clone(),
                r.owner_id,
                r.shared,
                r.definition.entity.clone(),
                to_json(&r.definition),
                r.schedule.as_ref().map(to_json),
                r.created_at,
                r.updated_at
            ],
        )
        .await
        .map_err(db_err("saving a report"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn update_saved_report(&self, r: &SavedReport, expected: i64, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute(
                "UPDATE saved_reports SET version = $1, name = $2, shared = $3, entity = $4, definition = $5, \
                 schedule = $6, updated_at = $7 WHERE id = $8 AND version = $9",
                args![
                    r.version,
                    r.name.clone(),
                    r.shared,
                    r.definition.entity.clone(),
                    to_json(&r.definition),
                    r.schedule.as_ref().map(to_json),
                    r.updated_at,
                    r.id,
                    expected
                ],
            )
            .await
            .map_err(db_err("updating a report"))?;
        if n == 0 {
            let cur: Option<(i64,)> = tx
                .fetch_optional("SELECT version FROM saved_reports WHERE id = $1", args![r.id])
                .await
                .map_err(db_err("reading"))?;
            return Err(match cur {
                Some((c,)) => Error::PreconditionFailed { current: c },
                None => Error::NotFound("report"),
            });
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_saved_report(&self, id: Uuid, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute("DELETE FROM saved_reports WHERE id = $1", args![id])
            .await
            .map_err(db_err("deleting a report"))?;
        if n == 0 {
            return Err(Error::NotFound("report"));
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }
}
