//! Reports: every figure is added up in the database (GROUP BY, window functions for
//! medians), within the viewer's reach; the core's report maths turns the totals into
//! percentages and groups. Sales plans and channel costs are stored here too.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use clientele_core::domain::audit::AuditEntry;
use clientele_core::domain::dashboard::{Dashboard, Widget};
use clientele_core::domain::deal::StageKind;
use clientele_core::domain::money::format_minor;
use clientele_core::domain::report::{ChannelCost, ReachBucket, SalesPlan};
use clientele_core::store::{
    ActivityFacts, ChurnFacts, FunnelCohortRow, FunnelFacts, FunnelQuery, FunnelStageRow, GroupSum, ItemBucketSum,
    PaymentSum, PlanFact, ReportFilter, ReportStore, SalesFacts, SegmentRow, SeriesFacts, Slice, StuckDeal,
};
use clientele_core::{Error, Result};
use uuid::Uuid;

use crate::db::{Backend, Params};
use crate::filter_sql::{deal_scope_sql, scope_on};
use crate::platform::{insert_audit, version_conflict};
use crate::{SqlStore, args, db_err};

/// Seconds from `b` to `a` (two timestamp columns) as a double.
fn secs(backend: Backend, a: &str, b: &str) -> String {
    match backend {
        Backend::Sqlite => format!("((julianday({a}) - julianday({b})) * 86400.0)"),
        Backend::Postgres => format!("CAST(EXTRACT(EPOCH FROM ({a} - {b})) AS DOUBLE PRECISION)"),
    }
}

/// An id column as text (`None` stays NULL), parsed back with `Uuid::parse_str`.
fn uuid_text(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Sqlite => format!("(CASE WHEN {col} IS NULL THEN NULL ELSE lower(hex({col})) END)"),
        Backend::Postgres => format!("CAST({col} AS TEXT)"),
    }
}

fn json_text(backend: Backend, col: &str, key: &str) -> String {
    match backend {
        Backend::Sqlite => format!("CAST(json_extract({col}, '$.\"{key}\"') AS TEXT)"),
        Backend::Postgres => format!("({col}->>'{key}')"),
    }
}

/// The deals of `a` a report covers: live, within reach, and the request's filters.
fn deal_filter(p: &mut Params, f: &ReportFilter) -> String {
    let mut w = vec!["a.deleted_at IS NULL".to_owned(), deal_scope_sql(p, &f.scope, "a")];
    if let Some(pl) = f.pipeline_id {
        w.push(format!("a.pipeline_id = {}", p.push(pl)));
    }
    if let Some(o) = f.owner_id {
        w.push(format!("a.owner_id = {}", p.push(o)));
    }
    if !f.team_ids.is_empty() {
        let ts: Vec<String> = f.team_ids.iter().map(|t| p.push(*t)).collect();
        w.push(format!("a.owner_id IN (SELECT id FROM users WHERE team_id IN ({}))", ts.join(", ")));
    }
    w.join(" AND ")
}

/// The joins and the expression naming a deal's segment (of deals `a`).
fn segment_sql(backend: Backend, slice: &Slice) -> (String, String) {
    match slice {
        Slice::None => (String::new(), "CAST(NULL AS TEXT)".into()),
        Slice::Source => (String::new(), "NULLIF(LOWER(TRIM(a.source)), '')".into()),
        Slice::Manager => (String::new(), uuid_text(backend, "a.owner_id")),
        Slice::ClientAge => (
            String::new(),
            "(CASE WHEN EXISTS (SELECT 1 FROM deals e WHERE e.deleted_at IS NULL AND e.status = 'won' \
             AND e.closed_at < a.created_at AND ((a.company_id IS NOT NULL AND e.company_id = a.company_id) \
             OR (a.company_id IS NULL AND a.contact_id IS NOT NULL AND e.contact_id = a.contact_id))) \
             THEN 'existing' ELSE 'new' END)"
                .into(),
        ),
        Slice::Product => (
            " LEFT JOIN (SELECT DISTINCT deal_id, name FROM deal_items) di ON di.deal_id = a.id".into(),
            "di.name".into(),
        ),
        Slice::Tag => {
            (" LEFT JOIN record_tags rt ON rt.entity_id = a.id AND rt.entity_type = 'deal'".into(), "rt.tag".into())
        }
        Slice::Region => (
            " LEFT JOIN companies co ON co.id = a.company_id LEFT JOIN contacts ct ON ct.id = a.contact_id".into(),
            format!(
                "COALESCE(NULLIF({}, ''), NULLIF({}, ''))",
                json_text(backend, "co.address", "region"),
                json_text(backend, "ct.address", "region")
            ),
        ),
        Slice::Field(key) => (String::new(), format!("NULLIF({}, '')", json_text(backend, "a.custom_fields", key))),
    }
}

/// `SELECT keys, COUNT(v), AVG(v), median(v)` over `source` (a CTE body with the columns
/// `keys` and `v`), with the median taken by row numbers inside each group (both databases
/// have window functions; neither is asked to sort more than the group).
fn median_sql(source: &str, keys: &str) -> String {
    format!(
        "SELECT {keys}, COUNT(*), AVG(v), AVG(CASE WHEN rn = (n + 1) / 2 OR rn = (n + 2) / 2 THEN v END) FROM \
         (SELECT {keys}, v, ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY v) AS rn, \
         COUNT(*) OVER (PARTITION BY {keys}) AS n FROM ({source}) src WHERE v IS NOT NULL) ranked GROUP BY {keys}"
    )
}

/// A correlated margin of deal `a`: its lines without tax less their products' costs (in the
/// deal's currency), or its amount when it has no lines.
fn margin_sql(backend: Backend) -> String {
    let real = match backend {
        Backend::Sqlite => "REAL",
        Backend::Postgres => "DOUBLE PRECISION",
    };
    format!(
        "COALESCE((SELECT CAST(SUM(i.line_total_minor) - SUM(COALESCE(CAST(ROUND(CAST(i.quantity AS {real}) * \
         pr.cost_minor) AS BIGINT), 0)) AS BIGINT) FROM deal_items i LEFT JOIN products pr ON pr.id = i.product_id \
         AND pr.cost_currency = a.currency WHERE i.deal_id = a.id), a.amount_minor)"
    )
}

fn group_sums(rows: Vec<(Option<String>, String, i64, i64)>) -> Vec<GroupSum> {
    rows.into_iter().map(|(key, currency, count, sum_minor)| GroupSum { key, currency, count, sum_minor }).collect()
}

/// `(VALUES (0, $1, $2), (1, $3, $4), ...)` of the buckets.
fn buckets_sql(p: &mut Params, buckets: &[(DateTime<Utc>, DateTime<Utc>)]) -> String {
    let rows: Vec<String> =
        buckets.iter().enumerate().map(|(i, (s, e))| format!("({i}, {}, {})", p.push(*s), p.push(*e))).collect();
    format!("b(i, s, e) AS (VALUES {})", rows.join(", "))
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: Uuid,
    version: i64,
    period_start: NaiveDate,
    period_end: NaiveDate,
    user_id: Option<Uuid>,
    team_id: Option<Uuid>,
    currency: String,
    amount_minor: i64,
    deal_count: i64,
    margin_minor: i64,
    note: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<PlanRow> for SalesPlan {
    fn from(r: PlanRow) -> Self {
        SalesPlan {
            id: r.id,
            version: r.version,
            period_start: r.period_start,
            period_end: r.period_end,
            user_id: r.user_id,
            team_id: r.team_id,
            amount: format_minor(r.amount_minor, &r.currency),
            margin: format_minor(r.margin_minor, &r.currency),
            currency: r.currency,
            amount_minor: r.amount_minor,
            deal_count: r.deal_count,
            margin_minor: r.margin_minor,
            note: r.note,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CostRow {
    id: Uuid,
    version: i64,
    channel: String,
    kind: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
    currency: String,
    amount_minor: i64,
    note: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<CostRow> for ChannelCost {
    fn from(r: CostRow) -> Self {
        ChannelCost {
            id: r.id,
            version: r.version,
            channel: r.channel,
            kind: r.kind,
            period_start: r.period_start,
            period_end: r.period_end,
            amount: format_minor(r.amount_minor, &r.currency),
            currency: r.currency,
            amount_minor: r.amount_minor,
            note: r.note,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const PLAN_COLS: &str = "id, version, period_start, period_end, user_id, team_id, currency, amount_minor, deal_count, \
                         margin_minor, note, created_at, updated_at";
const COST_COLS: &str =
    "id, version, channel, kind, period_start, period_end, currency, amount_minor, note, created_at, updated_at";

type StageTuple = (Option<String>, Uuid, i64, i64, i64, i64, i64, i64, i64);
type MedianTuple = (Option<String>, Uuid, i64, Option<f64>, Option<f64>);

#[async_trait]
impl ReportStore for SqlStore {
    async fn funnel_facts(&self, q: &FunnelQuery) -> Result<FunnelFacts> {
        let backend = self.db.backend();
        let (join, seg) = segment_sql(backend, &q.slice);
        // The cohort: deals of the pipeline created in the period, one row per segment.
        let cohort = |p: &mut Params| {
            let filter = deal_filter(p, &q.filter);
            format!(
                "c AS (SELECT a.id AS deal_id, {seg} AS seg, a.status, a.created_at, a.closed_at FROM deals a{join} \
                 WHERE {filter} AND a.pipeline_id = {} AND a.created_at >= {} AND a.created_at < {})",
                p.push(q.pipeline_id),
                p.push(q.from),
                p.push(q.to)
            )
        };
        let e = || db_err("adding up the funnel");

        // Stays per stage and where each went next.
        let mut p = Params::default();
        let sql = format!(
            "WITH {}, h AS (SELECT c.seg, c.deal_id, x.to_stage_id, \
             LEAD(x.to_stage_id) OVER (PARTITION BY c.seg, c.deal_id ORDER BY x.entered_at, x.id) AS next_stage \
             FROM c JOIN deal_stage_history x ON x.deal_id = c.deal_id) \
             SELECT h.seg, h.to_stage_id, COUNT(DISTINCT h.deal_id), COUNT(*), \
             SUM(CASE WHEN n.pipeline_id = s.pipeline_id AND n.kind = 'open' AND n.position > s.position THEN 1 ELSE 0 END), \
             SUM(CASE WHEN n.pipeline_id = s.pipeline_id AND n.kind = 'open' AND n.position < s.position THEN 1 ELSE 0 END), \
             SUM(CASE WHEN n.pipeline_id = s.pipeline_id AND n.kind = 'won' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN n.pipeline_id = s.pipeline_id AND n.kind = 'lost' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN n.pipeline_id <> s.pipeline_id THEN 1 ELSE 0 END) \
             FROM h JOIN stages s ON s.id = h.to_stage_id LEFT JOIN stages n ON n.id = h.next_stage \
             GROUP BY h.seg, h.to_stage_id",
            cohort(&mut p)
        );
        let stage_rows: Vec<StageTuple> = self.db.fetch_all(&sql, p.0).await.map_err(e())?;

        // Completed stays: mean and median duration per stage.
        let mut p = Params::default();
        let source = format!(
            "SELECT c.seg, x.to_stage_id, {} AS v FROM c JOIN deal_stage_history x ON x.deal_id = c.deal_id \
             WHERE x.left_at IS NOT NULL",
            secs(backend, "x.left_at", "x.entered_at")
        );
        let sql = format!("WITH {} {}", cohort(&mut p), median_sql(&source, "seg, to_stage_id"));
        let durations: Vec<MedianTuple> = self.db.fetch_all(&sql, p.0).await.map_err(e())?;

        let mut stages: Vec<FunnelStageRow> = stage_rows
            .into_iter()
            .map(|(segment, stage_id, entries, visits, fw, bw, won, lost, other)| FunnelStageRow {
                segment,
                stage_id,
                entries,
                visits,
                to_forward: fw,
                to_backward: bw,
                to_won: won,
                to_lost: lost,
                to_other: other,
                stays: 0,
                mean_seconds: None,
                median_seconds: None,
            })
            .collect();
        for (segment, stage_id, n, mean, median) in durations {
            if let Some(s) = stages.iter_mut().find(|s| s.segment == segment && s.stage_id == stage_id) {
                s.stays = n;
                s.mean_seconds = mean;
                s.median_seconds = median;
            }
        }

        // How far each deal got: the furthest open stage of the pipeline it entered.
        let mut p = Params::default();
        let c = cohort(&mut p);
        let pl = p.push(q.pipeline_id);
        let sql = format!(
            "WITH {c}, m AS (SELECT c.seg, c.deal_id, c.status, MAX(CASE WHEN s.kind = 'open' AND s.pipeline_id = {pl} \
             AND s.deleted_at IS NULL THEN s.position END) AS maxpos FROM c LEFT JOIN deal_stage_history x \
             ON x.deal_id = c.deal_id LEFT JOIN stages s ON s.id = x.to_stage_id GROUP BY c.seg, c.deal_id, c.status) \
             SELECT seg, CAST(maxpos AS BIGINT), CASE WHEN status = 'won' THEN 1 ELSE 0 END, COUNT(*) FROM m \
             GROUP BY seg, maxpos, CASE WHEN status = 'won' THEN 1 ELSE 0 END"
        );
        let reach_rows: Vec<(Option<String>, Option<i64>, i32, i64)> =
            self.db.fetch_all(&sql, p.0).await.map_err(e())?;
        let reach = reach_rows
            .into_iter()
            .map(|(seg, maxpos, won, deals)| {
                (seg, ReachBucket { max_position: maxpos.map(|m| m as i32), won: won == 1, deals })
            })
            .collect();

        // The cohort's size, outcomes and funnel length (creation to closing).
        let mut p = Params::default();
        let c = cohort(&mut p);
        let counts_sql = format!(
            "WITH {c} SELECT seg, COUNT(*), SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END) FROM c GROUP BY seg"
        );
        let counts: Vec<(Option<String>, i64, i64, i64)> = self.db.fetch_all(&counts_sql, p.0).await.map_err(e())?;
        let mut p = Params::default();
        let source = format!(
            "SELECT seg, {} AS v FROM c WHERE status IN ('won', 'lost') AND closed_at IS NOT NULL",
            secs(backend, "closed_at", "created_at")
        );
        let sql = format!("WITH {} {}", cohort(&mut p), median_sql(&source, "seg"));
        let lengths: Vec<(Option<String>, i64, Option<f64>, Option<f64>)> =
            self.db.fetch_all(&sql, p.0).await.map_err(e())?;
        let cohorts = counts
            .into_iter()
            .map(|(segment, deals, won, lost)| {
                let l = lengths.iter().find(|l| l.0 == segment);
                FunnelCohortRow {
                    deals,
                    won,
                    lost,
                    closed: l.map_or(0, |l| l.1),
                    length_mean: l.and_then(|l| l.2),
                    length_median: l.and_then(|l| l.3),
                    segment,
                }
            })
            .collect();
        stages.sort_by(|a, b| a.segment.cmp(&b.segment));
        Ok(FunnelFacts { stages, cohorts, reach })
    }

    async fn sales_facts(&self, f: &ReportFilter, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<SalesFacts> {
        let backend = self.db.backend();
        let e = || db_err("adding up sales");
        let mut out = SalesFacts::default();

        let mut p = Params::default();
        let sql = format!(
            "SELECT a.status, a.currency, COUNT(*), CAST(SUM(a.amount_minor) AS BIGINT) FROM deals a WHERE {} \
             AND a.created_at >= {} AND a.created_at < {} GROUP BY a.status, a.currency",
            deal_filter(&mut p, f),
            p.push(from),
            p.push(to)
        );
        out.created_by_status = group_sums(self.db.fetch_all(&sql, p.0).await.map_err(e())?);
        out.created_won =
            out.created_by_status.iter().filter(|g| g.key.as_deref() == Some("won")).map(|g| g.count).sum();

        // Closed in the period: won by source, lost by reason.
        let closed = |p: &mut Params, status: &str| {
            format!(
                "{} AND a.status = '{status}' AND a.closed_at >= {} AND a.closed_at < {}",
                deal_filter(p, f),
                p.push(from),
                p.push(to)
            )
        };
        let mut p = Params::default();
        let sql = format!(
            "SELECT NULLIF(LOWER(TRIM(a.source)), ''), a.currency, COUNT(*), CAST(SUM(a.amount_minor) AS BIGINT) \
             FROM deals a WHERE {} GROUP BY NULLIF(LOWER(TRIM(a.source)), ''), a.currency",
            closed(&mut p, "won")
        );
        out.by_source = group_sums(self.db.fetch_all(&sql, p.0).await.map_err(e())?);
        for g in &out.by_source {
            match out.won.iter_mut().find(|w| w.currency == g.currency) {
                Some(w) => {
                    w.count += g.count;
                    w.sum_minor += g.sum_minor;
                }
                None => out.won.push(GroupSum { key: None, ..g.clone() }),
            }
        }
        let mut p = Params::default();
        let reason = uuid_text(backend, "a.loss_reason_id");
        let sql = format!(
            "SELECT {reason}, a.currency, COUNT(*), CAST(SUM(a.amount_minor) AS BIGINT) FROM deals a WHERE {} \
             GROUP BY {reason}, a.currency",
            closed(&mut p, "lost")
        );
        out.loss_reasons = group_sums(self.db.fetch_all(&sql, p.0).await.map_err(e())?);
        out.lost_count = out.loss_reasons.iter().map(|g| g.count).sum();

        // The sales cycle of the deals won in the period.
        let mut p = Params::default();
        let source = format!(
            "SELECT CAST(1 AS BIGINT) AS k, {} AS v FROM deals a WHERE {}",
            secs(backend, "a.closed_at", "a.created_at"),
            closed(&mut p, "won")
        );
        let cycle: Option<(i64, i64, Option<f64>, Option<f64>)> =
            self.db.fetch_optional(&median_sql(&source, "k"), p.0).await.map_err(e())?;
        if let Some((_, n, mean, median)) = cycle {
            (out.cycle_count, out.cycle_mean, out.cycle_median) = (n, mean, median);
        }

        // Clients acquired: the first won deal of the client (company, else contact) closed in
        // the period, by that deal's source.
        let mut p = Params::default();
        let filter = deal_filter(&mut p, f);
        let sql = format!(
            "SELECT src, COUNT(*) FROM (SELECT NULLIF(LOWER(TRIM(a.source)), '') AS src, a.closed_at, \
             ROW_NUMBER() OVER (PARTITION BY COALESCE(a.company_id, a.contact_id) ORDER BY a.closed_at, a.id) AS rn \
             FROM deals a WHERE {filter} AND a.status = 'won' AND a.closed_at IS NOT NULL \
             AND COALESCE(a.company_id, a.contact_id) IS NOT NULL) w \
             WHERE rn = 1 AND closed_at >= {} AND closed_at < {} GROUP BY src",
            p.push(from),
            p.push(to)
        );
        out.acquired_by_source = self.db.fetch_all(&sql, p.0).await.map_err(e())?;
        Ok(out)
    }

    async fn sales_series(&self, f: &ReportFilter, buckets: &[(DateTime<Utc>, DateTime<Utc>)]) -> Result<SeriesFacts> {
        if buckets.is_empty() {
            return Ok(SeriesFacts::default());
        }
        let e = || db_err("adding up a sales series");
        let run = |col: &'static str, won: bool| {
            let mut p = Params::default();
            let b = buckets_sql(&mut p, buckets);
            let status = if won { " AND a.status = 'won'" } else { "" };
            let sql = format!(
                "WITH {b} SELECT CAST(b.i AS TEXT), a.currency, COUNT(*), CAST(SUM(a.amount_minor) AS BIGINT) \
                 FROM b JOIN deals a ON a.{col} >= b.s AND a.{col} < b.e WHERE {}{status} GROUP BY b.i, a.currency",
                deal_filter(&mut p, f)
            );
            (sql, p)
        };
        let (sql, p) = run("closed_at", true);
        let won = group_sums(self.db.fetch_all(&sql, p.0).await.map_err(e())?);
        let (sql, p) = run("created_at", false);
        let created = group_sums(self.db.fetch_all(&sql, p.0).await.map_err(e())?);
        Ok(SeriesFacts { won, created })
    }

    async fn open_pipeline(&self, f: &ReportFilter) -> Result<Vec<GroupSum>> {
        let mut p = Params::default();
        let stage = uuid_text(self.db.backend(), "a.stage_id");
        let sql = format!(
            "SELECT {stage}, a.currency, COUNT(*), CAST(SUM(a.amount_minor) AS BIGINT) FROM deals a \
             WHERE {} AND a.status = 'open' GROUP BY a.stage_id, a.currency",
            deal_filter(&mut p, f)
        );
        Ok(group_sums(self.db.fetch_all(&sql, p.0).await.map_err(db_err("adding up the pipeline"))?))
    }

    async fn payment_sums(
        &self,
        f: &ReportFilter,
        kind: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PaymentSum>> {
        let mut p = Params::default();
        let filter = deal_filter(&mut p, f);
        let sql = format!(
            "SELECT a.owner_id, a.currency, COUNT(*), CAST(SUM(pm.amount_minor) AS BIGINT) FROM deal_payments pm \
             JOIN deals a ON a.id = pm.deal_id WHERE {filter} AND pm.kind = {} AND pm.date >= {} AND pm.date <= {} \
             GROUP BY a.owner_id, a.currency",
            p.push(kind.to_owned()),
            p.push(from),
            p.push(to)
        );
        let rows: Vec<(Option<Uuid>, String, i64, i64)> =
            self.db.fetch_all(&sql, p.0).await.map_err(db_err("adding up payments"))?;
        Ok(rows
            .into_iter()
            .map(|(owner_id, currency, count, sum_minor)| PaymentSum { owner_id, currency, count, sum_minor })
            .collect())
    }

    async fn activity_facts(
        &self,
        users: &clientele_core::authz::Scope,
        user_ids: &[Uuid],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ActivityFacts>> {
        let e = || db_err("adding up activity");
        let only = |p: &mut Params, col: &str| {
            if user_ids.is_empty() {
                String::new()
            } else {
                let ids: Vec<String> = user_ids.iter().map(|u| p.push(*u)).collect();
                format!(" AND {col} IN ({})", ids.join(", "))
            }
        };
        let mut p = Params::default();
        let scoped = scope_on(&mut p, users, "a.created_by");
        let restrict = only(&mut p, "a.created_by");
        let out_call = "a.kind = 'call' AND (a.direction IS NULL OR a.direction <> 'inbound')";
        let in_call = "a.kind = 'call' AND a.direction = 'inbound'";
        let sql = format!(
            "SELECT a.created_by, SUM(CASE WHEN {out_call} THEN 1 ELSE 0 END), \
             CAST(SUM(CASE WHEN {out_call} THEN COALESCE(a.duration_seconds, 0) ELSE 0 END) AS BIGINT), \
             SUM(CASE WHEN {in_call} THEN 1 ELSE 0 END), \
             CAST(SUM(CASE WHEN {in_call} THEN COALESCE(a.duration_seconds, 0) ELSE 0 END) AS BIGINT), \
             SUM(CASE WHEN a.kind = 'email' THEN 1 ELSE 0 END), SUM(CASE WHEN a.kind = 'meeting' THEN 1 ELSE 0 END) \
             FROM activities a WHERE a.deleted_at IS NULL AND a.created_by IS NOT NULL AND {scoped}{restrict} \
             AND a.occurred_at >= {} AND a.occurred_at < {} GROUP BY a.created_by",
            p.push(from),
            p.push(to)
        );
        let acts: Vec<(Uuid, i64, i64, i64, i64, i64, i64)> = self.db.fetch_all(&sql, p.0).await.map_err(e())?;
        let mut p = Params::default();
        let scoped = scope_on(&mut p, users, "t.assignee_id");
        let restrict = only(&mut p, "t.assignee_id");
        let sql = format!(
            "SELECT t.assignee_id, SUM(CASE WHEN t.status = 'done' AND t.completed_at >= {} AND t.completed_at < {} \
             THEN 1 ELSE 0 END), SUM(CASE WHEN t.status = 'open' AND t.due_at < {} THEN 1 ELSE 0 END) FROM tasks t \
             WHERE t.deleted_at IS NULL AND {scoped}{restrict} GROUP BY t.assignee_id",
            p.push(from),
            p.push(to),
            p.push(now)
        );
        let tasks: Vec<(Uuid, i64, i64)> = self.db.fetch_all(&sql, p.0).await.map_err(e())?;
        let mut out: Vec<ActivityFacts> = acts
            .into_iter()
            .map(|(user_id, co, cos, ci, cis, em, me)| ActivityFacts {
                user_id,
                calls_out: co,
                calls_out_seconds: cos,
                calls_in: ci,
                calls_in_seconds: cis,
                emails: em,
                meetings: me,
                ..Default::default()
            })
            .collect();
        for (user_id, done, overdue) in tasks {
            if done == 0 && overdue == 0 {
                continue;
            }
            match out.iter_mut().find(|a| a.user_id == user_id) {
                Some(a) => (a.tasks_done, a.tasks_overdue) = (done, overdue),
                None => {
                    out.push(ActivityFacts { user_id, tasks_done: done, tasks_overdue: overdue, ..Default::default() })
                }
            }
        }
        Ok(out)
    }

    async fn plan_fact(
        &self,
        f: &ReportFilter,
        owners: Option<&[Uuid]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<PlanFact> {
        let mut p = Params::default();
        let mut filter = deal_filter(&mut p, f);
        if let Some(owners) = owners {
            if owners.is_empty() {
                return Ok(PlanFact::default());
            }
            let ids: Vec<String> = owners.iter().map(|u| p.push(*u)).collect();
            filter.push_str(&format!(" AND a.owner_id IN ({})", ids.join(", ")));
        }
        let sql = format!(
            "SELECT currency, COUNT(*), CAST(SUM(amount_minor) AS BIGINT), CAST(SUM(margin) AS BIGINT) FROM \
             (SELECT a.currency, a.amount_minor, {} AS margin FROM deals a WHERE {filter} AND a.status = 'won' \
             AND a.closed_at >= {} AND a.closed_at < {}) d GROUP BY currency",
            margin_sql(self.db.backend()),
            p.push(from),
            p.push(to)
        );
        let rows: Vec<(String, i64, i64, i64)> =
            self.db.fetch_all(&sql, p.0).await.map_err(db_err("adding up a plan's fact"))?;
        let mut out = PlanFact::default();
        for (cur, n, amount, margin) in rows {
            out.count += n;
            out.amounts.push((cur.clone(), amount));
            out.margins.push((cur, margin));
        }
        Ok(out)
    }

    async fn item_revenue(
        &self,
        f: &ReportFilter,
        products: bool,
        buckets: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<Vec<ItemBucketSum>> {
        if buckets.is_empty() {
            return Ok(vec![]);
        }
        let mut p = Params::default();
        let b = buckets_sql(&mut p, buckets);
        let filter = deal_filter(&mut p, f);
        let sql = if products {
            format!(
                "WITH {b} SELECT i.product_id, pr.name, CAST(b.i AS BIGINT), a.currency, CAST(SUM(i.line_total_minor) AS BIGINT) \
                 FROM b JOIN deals a ON a.closed_at >= b.s AND a.closed_at < b.e JOIN deal_items i ON i.deal_id = a.id \
                 JOIN products pr ON pr.id = i.product_id WHERE {filter} AND a.status = 'won' \
                 GROUP BY i.product_id, pr.name, b.i, a.currency"
            )
        } else {
            format!(
                "WITH {b} SELECT COALESCE(a.company_id, a.contact_id), COALESCE(co.name, ct.display_name), CAST(b.i AS BIGINT), \
                 a.currency, CAST(SUM(a.amount_minor) AS BIGINT) FROM b JOIN deals a ON a.closed_at >= b.s \
                 AND a.closed_at < b.e LEFT JOIN companies co ON co.id = a.company_id \
                 LEFT JOIN contacts ct ON ct.id = a.contact_id WHERE {filter} AND a.status = 'won' \
                 AND COALESCE(a.company_id, a.contact_id) IS NOT NULL \
                 GROUP BY COALESCE(a.company_id, a.contact_id), COALESCE(co.name, ct.display_name), b.i, a.currency"
            )
        };
        let rows: Vec<(Uuid, Option<String>, i64, String, i64)> =
            self.db.fetch_all(&sql, p.0).await.map_err(db_err("adding up revenue per item"))?;
        Ok(rows
            .into_iter()
            .map(|(id, name, bucket, currency, sum_minor)| ItemBucketSum {
                id,
                name: name.unwrap_or_default(),
                bucket,
                currency,
                sum_minor,
            })
            .collect())
    }

    async fn churn_facts(
        &self,
        f: &ReportFilter,
        before: (DateTime<Utc>, DateTime<Utc>),
        now: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<ChurnFacts> {
        let mut p = Params::default();
        let filter = deal_filter(&mut p, f);
        let (b0, b1, n0, n1) = (p.push(before.0), p.push(before.1), p.push(now.0), p.push(now.1));
        let sql = format!(
            "SELECT CAST(SUM(bf) AS BIGINT), CAST(SUM(CASE WHEN bf = 1 AND nw = 1 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN bf = 1 AND nw = 0 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN nw = 1 AND first_won >= {n0} THEN 1 ELSE 0 END) AS BIGINT) FROM \
             (SELECT COALESCE(a.company_id, a.contact_id) AS cl, \
             MAX(CASE WHEN a.closed_at >= {b0} AND a.closed_at < {b1} THEN 1 ELSE 0 END) AS bf, \
             MAX(CASE WHEN a.closed_at >= {n0} AND a.closed_at < {n1} THEN 1 ELSE 0 END) AS nw, \
             MIN(a.closed_at) AS first_won FROM deals a WHERE {filter} AND a.status = 'won' \
             AND a.closed_at < {n1} AND COALESCE(a.company_id, a.contact_id) IS NOT NULL \
             GROUP BY COALESCE(a.company_id, a.contact_id)) w"
        );
        let row: Option<(Option<i64>, Option<i64>, Option<i64>, Option<i64>)> =
            self.db.fetch_optional(&sql, p.0).await.map_err(db_err("adding up churn"))?;
        let (a, r, c, n) = row.unwrap_or_default();
        Ok(ChurnFacts {
            active_before: a.unwrap_or(0),
            retained: r.unwrap_or(0),
            churned: c.unwrap_or(0),
            new_clients: n.unwrap_or(0),
        })
    }

    async fn segment_rows(
        &self,
        f: &ReportFilter,
        slice: &Slice,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SegmentRow>> {
        let backend = self.db.backend();
        let (join, seg) = segment_sql(backend, slice);
        let mut p = Params::default();
        let filter = deal_filter(&mut p, f);
        let sql = format!(
            "SELECT seg, currency, COUNT(*), SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), \
             CAST(SUM(CASE WHEN status = 'won' THEN amount_minor ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN status = 'won' THEN margin ELSE 0 END) AS BIGINT) FROM \
             (SELECT {seg} AS seg, a.currency, a.status, a.amount_minor, \
             CASE WHEN a.status = 'won' THEN {} ELSE 0 END AS margin FROM deals a{join} \
             WHERE {filter} AND a.created_at >= {} AND a.created_at < {}) d GROUP BY seg, currency",
            margin_sql(backend),
            p.push(from),
            p.push(to)
        );
        let rows: Vec<(Option<String>, String, i64, i64, i64, i64)> =
            self.db.fetch_all(&sql, p.0).await.map_err(db_err("adding up segments"))?;
        Ok(rows
            .into_iter()
            .map(|(segment, currency, deals, won, revenue_minor, margin_minor)| SegmentRow {
                segment,
                currency,
                deals,
                won,
                revenue_minor,
                margin_minor,
            })
            .collect())
    }

    async fn list_plans(&self) -> Result<Vec<SalesPlan>> {
        let rows: Vec<PlanRow> = self
            .db
            .fetch_all(&format!("SELECT {PLAN_COLS} FROM sales_plans ORDER BY period_start DESC, id"), vec![])
            .await
            .map_err(db_err("reading sales plans"))?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn get_plan(&self, id: Uuid) -> Result<Option<SalesPlan>> {
        let row: Option<PlanRow> = self
            .db
            .fetch_optional(&format!("SELECT {PLAN_COLS} FROM sales_plans WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a sales plan"))?;
        Ok(row.map(Into::into))
    }

    async fn save_plan(&self, s: &SalesPlan, expected: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("saving a sales plan");
        let values = args![
            s.id,
            s.version,
            s.period_start,
            s.period_end,
            s.user_id,
            s.team_id,
            s.currency.clone(),
            s.amount_minor,
            s.deal_count,
            s.margin_minor,
            s.note.clone(),
            s.created_at,
            s.updated_at
        ];
        match expected {
            None => {
                tx.execute(
                    &format!(
                        "INSERT INTO sales_plans ({PLAN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                    ),
                    values,
                )
                .await
                .map_err(e())?;
            }
            Some(v) => {
                let n = tx
                    .execute(
                        "UPDATE sales_plans SET version = $2, period_start = $3, period_end = $4, user_id = $5, \
                         team_id = $6, currency = $7, amount_minor = $8, deal_count = $9, margin_minor = $10, note = $11, \
                         updated_at = $12 WHERE id = $1 AND version = $13",
                        args![
                            s.id,
                            s.version,
                            s.period_start,
                            s.period_end,
                            s.user_id,
                            s.team_id,
                            s.currency.clone(),
                            s.amount_minor,
                            s.deal_count,
                            s.margin_minor,
                            s.note.clone(),
                            s.updated_at,
                            v
                        ],
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "sales_plans", s.id, "sales plan").await);
                }
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_plan(&self, id: Uuid, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n =
            tx.execute("DELETE FROM sales_plans WHERE id = $1", args![id]).await.map_err(db_err("removing a plan"))?;
        if n == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(true)
    }

    async fn list_costs(&self) -> Result<Vec<ChannelCost>> {
        let rows: Vec<CostRow> = self
            .db
            .fetch_all(
                &format!("SELECT {COST_COLS} FROM channel_costs ORDER BY period_start DESC, channel, id"),
                vec![],
            )
            .await
            .map_err(db_err("reading channel costs"))?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn get_cost(&self, id: Uuid) -> Result<Option<ChannelCost>> {
        let row: Option<CostRow> = self
            .db
            .fetch_optional(&format!("SELECT {COST_COLS} FROM channel_costs WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a channel cost"))?;
        Ok(row.map(Into::into))
    }

    async fn save_cost(&self, c: &ChannelCost, expected: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("saving a channel cost");
        let values = args![
            c.id,
            c.version,
            c.channel.clone(),
            c.kind.clone(),
            c.period_start,
            c.period_end,
            c.currency.clone(),
            c.amount_minor,
            c.note.clone(),
            c.created_at,
            c.updated_at
        ];
        match expected {
            None => {
                tx.execute(
                    &format!(
                        "INSERT INTO channel_costs ({COST_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                    ),
                    values,
                )
                .await
                .map_err(e())?;
            }
            Some(v) => {
                let n = tx
                    .execute(
                        "UPDATE channel_costs SET version = $2, channel = $3, kind = $4, period_start = $5, \
                         period_end = $6, currency = $7, amount_minor = $8, note = $9, updated_at = $10 \
                         WHERE id = $1 AND version = $11",
                        args![
                            c.id,
                            c.version,
                            c.channel.clone(),
                            c.kind.clone(),
                            c.period_start,
                            c.period_end,
                            c.currency.clone(),
                            c.amount_minor,
                            c.note.clone(),
                            c.updated_at,
                            v
                        ],
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "channel_costs", c.id, "channel cost").await);
                }
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_cost(&self, id: Uuid, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute("DELETE FROM channel_costs WHERE id = $1", args![id])
            .await
            .map_err(db_err("removing a cost"))?;
        if n == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(true)
    }

    async fn cost_sums(&self, kind: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<GroupSum>> {
        let rows: Vec<(Option<String>, String, i64, i64)> = self
            .db
            .fetch_all(
                "SELECT channel, currency, COUNT(*), CAST(SUM(amount_minor) AS BIGINT) FROM channel_costs \
                 WHERE kind = $1 AND period_start <= $3 AND period_end >= $2 GROUP BY channel, currency",
                args![kind.to_owned(), from, to],
            )
            .await
            .map_err(db_err("adding up costs"))?;
        if rows.iter().any(|r| r.0.is_none()) {
            return Err(Error::Internal(anyhow::anyhow!("a channel cost without a channel")));
        }
        Ok(group_sums(rows))
    }

    async fn team_members(&self, team_ids: &[Uuid]) -> Result<Vec<Uuid>> {
        if team_ids.is_empty() {
            return Ok(vec![]);
        }
        let mut p = Params::default();
        let ts: Vec<String> = team_ids.iter().map(|t| p.push(*t)).collect();
        self.db
            .fetch_all::<(Uuid,)>(
                &format!("SELECT id FROM users WHERE team_id IN ({}) ORDER BY id", ts.join(", ")),
                p.0,
            )
            .await
            .map(|rows| rows.into_iter().map(|r| r.0).collect())
            .map_err(db_err("reading team members"))
    }

    async fn stuck_deals(
        &self,
        f: &ReportFilter,
        stages: &[(Uuid, DateTime<Utc>)],
        limit: u32,
    ) -> Result<Vec<StuckDeal>> {
        if stages.is_empty() {
            return Ok(vec![]);
        }
        let mut p = Params::default();
        let filter = deal_filter(&mut p, f);
        let each: Vec<String> = stages
            .iter()
            .map(|(s, before)| format!("(a.stage_id = {} AND a.stage_entered_at < {})", p.push(*s), p.push(*before)))
            .collect();
        let sql = format!(
            "SELECT a.id, a.title, a.stage_id, a.owner_id, a.stage_entered_at FROM deals a WHERE {filter} \
             AND a.status = 'open' AND ({}) ORDER BY a.stage_entered_at, a.id LIMIT {}",
            each.join(" OR "),
            p.push(i64::from(limit))
        );
        let rows: Vec<(Uuid, String, Uuid, Option<Uuid>, DateTime<Utc>)> =
            self.db.fetch_all(&sql, p.0).await.map_err(db_err("finding stuck deals"))?;
        Ok(rows
            .into_iter()
            .map(|(id, title, stage_id, owner_id, stage_entered_at)| StuckDeal {
                id,
                title,
                stage_id,
                owner_id,
                stage_entered_at,
            })
            .collect())
    }

    async fn list_dashboards(&self, user_id: Uuid) -> Result<Vec<Dashboard>> {
        let rows: Vec<DashboardRow> = self
            .db
            .fetch_all(
                &format!("SELECT {DASH_COLS} FROM dashboards WHERE owner_id = $1 OR shared = $2 ORDER BY name, id"),
                args![user_id, true],
            )
            .await
            .map_err(db_err("listing dashboards"))?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn get_dashboard(&self, id: Uuid) -> Result<Option<Dashboard>> {
        let row: Option<DashboardRow> = self
            .db
            .fetch_optional(&format!("SELECT {DASH_COLS} FROM dashboards WHERE id = $1"), args![id])
            .await
            .map_err(db_err("reading a dashboard"))?;
        Ok(row.map(Into::into))
    }

    async fn save_dashboard(&self, d: &Dashboard, expected: Option<i64>, audit: &AuditEntry) -> Result<()> {
        let id = Uuid::parse_str(&d.id).map_err(|_| Error::invalid("id", "a built-in dashboard cannot be changed"))?;
        let widgets = serde_json::to_value(&d.widgets).map_err(|e| Error::Internal(e.into()))?;
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("saving a dashboard");
        match expected {
            None => {
                tx.execute(
                    &format!("INSERT INTO dashboards ({DASH_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
                    args![
                        id,
                        d.version,
                        d.name.clone(),
                        d.owner_id,
                        d.shared,
                        d.preset.clone(),
                        widgets,
                        d.created_at,
                        d.updated_at
                    ],
                )
                .await
                .map_err(e())?;
            }
            Some(v) => {
                let n = tx
                    .execute(
                        "UPDATE dashboards SET version = $2, name = $3, shared = $4, widgets = $5, updated_at = $6 \
                         WHERE id = $1 AND version = $7",
                        args![id, d.version, d.name.clone(), d.shared, widgets, d.updated_at, v],
                    )
                    .await
                    .map_err(e())?;
                if n == 0 {
                    return Err(version_conflict(&mut tx, "dashboards", id, "dashboard").await);
                }
            }
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(())
    }

    async fn delete_dashboard(&self, id: Uuid, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let n = tx
            .execute("DELETE FROM dashboards WHERE id = $1", args![id])
            .await
            .map_err(db_err("removing a dashboard"))?;
        if n == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        Ok(true)
    }
}

const DASH_COLS: &str = "id, version, name, owner_id, shared, preset, widgets, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct DashboardRow {
    id: Uuid,
    version: i64,
    name: String,
    owner_id: Option<Uuid>,
    shared: bool,
    preset: Option<String>,
    widgets: sqlx::types::Json<Vec<Widget>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<DashboardRow> for Dashboard {
    fn from(r: DashboardRow) -> Self {
        Dashboard {
            id: r.id.to_string(),
            version: r.version,
            name: r.name,
            owner_id: r.owner_id,
            shared: r.shared,
            preset: r.preset,
            widgets: r.widgets.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The paths of generated deals through a pipeline of four open stages (0..=3), won (4) and
/// lost (5): straight to won, skipping stages, lost early and late, moving back, still open,
/// won then reopened and won again.
const BENCH_PATHS: &[&[i64]] = &[
    &[0, 1, 2, 3, 4],
    &[0, 1, 2, 3, 4],
    &[0, 2, 4],
    &[0, 1, 2, 3, 5],
    &[0, 1, 5],
    &[0, 5],
    &[0, 1, 0, 1],
    &[0, 1, 2],
    &[0],
    &[0, 1, 2, 3, 4, 2, 4],
];

impl SqlStore {
    /// Benchmark data for the reports: `n` deals in the first pipeline (which must have at
    /// least four open stages), created over the last year and moved along [`BENCH_PATHS`]
    /// (a step every one to five days), with their whole stage history, owned by the active
    /// users in turn, attached to the existing companies in turn. Written by a few
    /// set-based statements in one transaction.
    pub async fn generate_report_deals(&self, n: usize) -> Result<usize> {
        let pipelines = clientele_core::store::FunnelStore::list_pipelines(self).await?;
        let Some(pipeline) = pipelines.into_iter().find(|p| !p.archived) else { return Ok(0) };
        let mut stages = pipeline.stages.clone();
        stages.sort_by_key(|s| s.position);
        let open: Vec<Uuid> = stages.iter().filter(|s| s.kind == StageKind::Open).map(|s| s.id).collect();
        let won = stages.iter().find(|s| s.kind == StageKind::Won).map(|s| s.id);
        let lost = stages.iter().find(|s| s.kind == StageKind::Lost).map(|s| s.id);
        let (Some(won), Some(lost)) = (won, lost) else { return Ok(0) };
        if n == 0 || open.len() < 4 {
            return Ok(0);
        }
        let stage_ids = [open[0], open[1], open[2], open[3], won, lost];
        let owners: Vec<(Uuid,)> = self
            .db
            .fetch_all("SELECT id FROM users WHERE active = $1 ORDER BY id", args![true])
            .await
            .map_err(db_err("reading users"))?;
        let companies: i64 =
            self.db.fetch_scalar("SELECT COUNT(*) FROM companies", vec![]).await.map_err(db_err("counting"))?;
        let reason: Option<(Uuid,)> = self
            .db
            .fetch_optional("SELECT id FROM loss_reasons ORDER BY position LIMIT 1", vec![])
            .await
            .map_err(db_err("reading loss reasons"))?;
        let backend = self.db.backend();
        let last = n - 1;
        let mut tx = self.db.begin().await.map_err(db_err("starting a transaction"))?;
        let e = || db_err("generating report deals");
        // gen: one row per deal; path: the steps of each path kind.
        let (gen_sql, blob, ts) = match backend {
            Backend::Sqlite => (
                format!(
                    "CREATE TEMP TABLE bench_gen AS WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
                     SELECT i, randomblob(16) AS id, i % {} AS t, 2592000 + (i * 7919) % 31536000 AS age, 1 + i % 5 AS step FROM n",
                    BENCH_PATHS.len()
                ),
                "randomblob(16)",
                "strftime('%Y-%m-%dT%H:%M:%f+00:00', $1, '-' || g.age || ' seconds', '+' || ({k} * g.step) || ' days')",
            ),
            Backend::Postgres => (
                format!(
                    "CREATE TEMP TABLE bench_gen ON COMMIT DROP AS SELECT i, gen_random_uuid() AS id, i % {} AS t, \
                     2592000 + (i::bigint * 7919) % 31536000 AS age, 1 + i % 5 AS step FROM generate_series(0, {last}) i",
                    BENCH_PATHS.len()
                ),
                "gen_random_uuid()",
                "(CAST($1 AS TIMESTAMPTZ) - g.age * interval '1 second' + ({k} * g.step) * interval '1 day')",
            ),
        };
        tx.execute(&gen_sql, vec![]).await.map_err(e())?;
        tx.execute("CREATE TEMP TABLE bench_path (t INTEGER, k INTEGER, s INTEGER, last INTEGER)", vec![])
            .await
            .map_err(e())?;
        let rows: Vec<String> = BENCH_PATHS
            .iter()
            .enumerate()
            .flat_map(|(t, path)| {
                path.iter()
                    .enumerate()
                    .map(move |(k, s)| format!("({t}, {k}, {s}, {})", i32::from(k + 1 == path.len())))
            })
            .collect();
        tx.execute(&format!("INSERT INTO bench_path (t, k, s, last) VALUES {}", rows.join(", ")), vec![])
            .await
            .map_err(e())?;
        // $1 the base instant, $2..$7 the stages, then the owners, then the loss reason.
        let stage_case = |col: &str| {
            format!(
                "CASE {col} {} END",
                (0..6).map(|k| format!("WHEN {k} THEN ${}", k + 2)).collect::<Vec<_>>().join(" ")
            )
        };
        let owner_case = format!(
            "CASE g.i % {} {} END",
            owners.len().max(1),
            (0..owners.len().max(1)).map(|k| format!("WHEN {k} THEN ${}", k + 8)).collect::<Vec<_>>().join(" ")
        );
        let reason_param = 8 + owners.len().max(1);
        let created = ts.replace("{k}", "0");
        let at_step = ts.replace("{k}", "p.k");
        let next_step = ts.replace("{k}", "(p.k + 1)");
        let on_commit = if backend == Backend::Postgres { " ON COMMIT DROP" } else { "" };
        tx.execute(
            &format!(
                "CREATE TEMP TABLE bench_co{on_commit} AS SELECT CAST(ROW_NUMBER() OVER (ORDER BY id) - 1 AS BIGINT) AS k, id \
                 FROM companies"
            ),
            vec![],
        )
        .await
        .map_err(e())?;
        tx.execute("CREATE INDEX bench_co_k ON bench_co (k)", vec![]).await.map_err(e())?;
        let (company, company_join) = if companies > 0 {
            ("co.id".to_owned(), format!(" LEFT JOIN bench_co co ON co.k = (g.i * 13) % {companies}"))
        } else {
            ("NULL".to_owned(), String::new())
        };
        let jsonb = if backend == Backend::Postgres { "::jsonb" } else { "" };
        let deals_sql = format!(
            "INSERT INTO deals (id, version, title, sort_title, pipeline_id, stage_id, status, amount_minor, currency, source, \
             company_id, co_owners, owner_id, loss_reason_id, custom_fields, tags, stage_entered_at, closed_at, created_at, updated_at) \
             SELECT g.id, 1, 'Deal #' || g.i, 'deal #' || g.i, ${pl}, {stage}, \
             CASE p.s WHEN 4 THEN 'won' WHEN 5 THEN 'lost' ELSE 'open' END, ((g.i * 7919) % 4000 + 1) * 1000, \
             CASE g.i % 5 WHEN 3 THEN 'USD' WHEN 4 THEN 'RUB' ELSE 'EUR' END, \
             CASE g.i % 6 WHEN 0 THEN 'website' WHEN 1 THEN 'referral' WHEN 2 THEN 'mailing' WHEN 3 THEN 'social' \
             WHEN 4 THEN 'landing' ELSE 'form' END, {company}, '[]', {owner_case}, \
             CASE p.s WHEN 5 THEN ${reason_param} END, '{{}}'{jsonb}, '[]'{jsonb}, {at_step}, \
             CASE WHEN p.s >= 4 THEN {at_step} END, {created}, {at_step} \
             FROM bench_gen g JOIN bench_path p ON p.t = g.t AND p.last = 1{company_join}",
            pl = reason_param + 1,
            stage = stage_case("p.s"),
        );
        let mut values: Vec<sea_query::Value> = vec![sea_query::Value::from(clientele_core::domain::now())];
        values.extend(stage_ids.iter().map(|s| sea_query::Value::from(*s)));
        if owners.is_empty() {
            values.push(sea_query::Value::from(None::<Uuid>));
        } else {
            values.extend(owners.iter().map(|o| sea_query::Value::from(o.0)));
        }
        values.push(sea_query::Value::from(reason.map(|r| r.0)));
        values.push(sea_query::Value::from(pipeline.id));
        tx.execute(&deals_sql, values).await.map_err(e())?;
        let history_sql = format!(
            "INSERT INTO deal_stage_history (id, deal_id, from_stage_id, to_stage_id, entered_at, left_at, moved_by_name) \
             SELECT {blob}, g.id, NULL, {}, {at_step}, CASE WHEN p.last = 1 THEN NULL ELSE {next_step} END, 'bench' \
             FROM bench_gen g JOIN bench_path p ON p.t = g.t",
            stage_case("p.s")
        );
        let mut values: Vec<sea_query::Value> = vec![sea_query::Value::from(clientele_core::domain::now())];
        values.extend(stage_ids.iter().map(|s| sea_query::Value::from(*s)));
        tx.execute(&history_sql, values).await.map_err(e())?;
        tx.execute("DROP TABLE bench_path", vec![]).await.map_err(e())?;
        if backend == Backend::Sqlite {
            tx.execute("DROP TABLE bench_gen", vec![]).await.map_err(e())?;
            tx.execute("DROP TABLE bench_co", vec![]).await.map_err(e())?;
        }
        crate::funnel::rebuild_totals(&mut tx, pipeline.id).await?;
        tx.commit().await.map_err(db_err("committing"))?;
        let analyze = match backend {
            Backend::Sqlite => "ANALYZE",
            Backend::Postgres => "ANALYZE",
        };
        self.db.execute(analyze, vec![]).await.map_err(db_err("analyzing"))?;
        Ok(n)
    }
}
