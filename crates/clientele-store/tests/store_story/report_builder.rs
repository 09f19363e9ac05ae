//! The report builder on both databases: grouped aggregates (count, sum, avg, min, max,
//! median) over lookups, custom fields and date buckets at time-zone boundaries, records
//! with lookups, filters through the filter builder, the viewer's scope, and saved reports.
//! Every expected figure is computed here from the raw records, not by SQL.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use clientele_core::authz::Scope;
use clientele_core::domain::client::{Company, CompanyInput, RecordMeta};
use clientele_core::domain::custom_field::{CustomFieldDef, FieldType};
use clientele_core::domain::deal::{Deal, StageKind};
use clientele_core::domain::money::exponent;
use clientele_core::domain::report_builder::{
    Bucket, PlanContext, ReportDefinition, ReportResult, Tz, bucket_label, plan,
};
use clientele_core::domain::user::Role;
use clientele_core::domain::{new_id, now};
use clientele_core::error::Problems;
use clientele_core::store::{
    ClientStore, DealWrite, FunnelStore, ReportBuilderStore, ReportScope, SavedReport, UserStore,
};
use clientele_store::SqlStore;
use clientele_store::testing::TestDb;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{audit, user};

fn def(entity: &str, key: &str, t: FieldType) -> CustomFieldDef {
    CustomFieldDef {
        id: new_id(),
        version: 1,
        entity: entity.into(),
        key: key.into(),
        label: key.into(),
        field_type: t,
        options: vec![],
        required: false,
        position: 0,
        created_at: now(),
        updated_at: now(),
    }
}

fn company(name: &str, industry: &str, segment: &str, owner: Uuid) -> Company {
    let at = now();
    let meta =
        RecordMeta { id: new_id(), version: 1, created_at: at, updated_at: at, deleted_at: None, merged_into: None };
    let input = CompanyInput { name: Some(name.into()), industry: Some(industry.into()), ..CompanyInput::default() };
    let mut p = Problems::new();
    let mut c = input.validate(meta, None, None, &[], &mut p);
    p.into_result().unwrap();
    c.owner_id = Some(owner);
    c.custom_fields.insert("segment".into(), json!(segment));
    c
}

/// One deal as the test knows it.
#[derive(Clone)]
struct Raw {
    owner: Uuid,
    industry: Option<&'static str>,
    created: DateTime<Utc>,
    minor: i64,
    currency: &'static str,
    budget: Option<f64>,
    deleted: bool,
}

impl Raw {
    fn major(&self) -> f64 {
        self.minor as f64 / 10f64.powi(exponent(self.currency) as i32)
    }
}

fn bucket_start(t: DateTime<Utc>, tz: Tz, b: Bucket) -> String {
    let d = t.with_timezone(&tz).date_naive();
    let start = match b {
        Bucket::Day => d,
        Bucket::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
        Bucket::Month => NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap(),
        Bucket::Quarter => NaiveDate::from_ymd_opt(d.year(), (d.month() - 1) / 3 * 3 + 1, 1).unwrap(),
        Bucket::Year => NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap(),
    };
    bucket_label(b, &start.to_string())
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn close(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{what}: got {a}, expected {b}"),
        (None, None) => {}
        _ => panic!("{what}: got {a:?}, expected {b:?}"),
    }
}

fn run_def(v: Value) -> ReportDefinition {
    serde_json::from_value(v).unwrap()
}

async fn run(s: &SqlStore, d: &ReportDefinition, defs: &[CustomFieldDef], scope: Scope, me: Uuid) -> ReportResult {
    let ctx = PlanContext { defs, me, now: now(), region: None, viewer_zone: Tz::UTC };
    let p = plan(d, &ctx).unwrap_or_else(|e| panic!("plan: {e:?}"));
    s.run_report(&p, &ReportScope { scope, me }).await.unwrap()
}

/// Checks a grouped result (industry, bucket) against the raw deals.
fn check_grouped(r: &ReportResult, raws: &[&Raw], tz: Tz, b: Bucket) {
    let mut want: BTreeMap<(Option<String>, String), Vec<&Raw>> = BTreeMap::new();
    for d in raws.iter().filter(|d| !d.deleted) {
        want.entry((d.industry.map(str::to_owned), bucket_start(d.created, tz, b))).or_default().push(d);
    }
    assert_eq!(r.rows.len(), want.len(), "one row per group: {:?}", r.rows);
    for row in &r.rows {
        let key = (row[0].as_str().map(str::to_owned), row[1].as_str().unwrap().to_owned());
        let ds = want.get(&key).unwrap_or_else(|| panic!("unexpected group {key:?}"));
        let amounts: Vec<f64> = ds.iter().map(|d| d.major()).collect();
        let what = format!("{key:?}");
        assert_eq!(row[2].as_i64(), Some(ds.len() as i64), "count {what}");
        close(num(&row[3]), Some(amounts.iter().sum()), &format!("sum {what}"));
        close(num(&row[4]), Some(amounts.iter().sum::<f64>() / amounts.len() as f64), &format!("avg {what}"));
        close(num(&row[5]), amounts.iter().copied().reduce(f64::min), &format!("min {what}"));
        close(num(&row[6]), amounts.iter().copied().reduce(f64::max), &format!("max {what}"));
        close(num(&row[7]), median(amounts.clone()), &format!("median {what}"));
        let budgets: Vec<f64> = ds.iter().filter_map(|d| d.budget).collect();
        close(num(&row[8]), (!budgets.is_empty()).then(|| budgets.iter().sum()), &format!("sum budget {what}"));
        close(num(&row[9]), median(budgets), &format!("median budget {what}"));
    }
    // Sorted by industry (empty last), then bucket.
    let keys: Vec<(Option<String>, String)> =
        r.rows.iter().map(|row| (row[0].as_str().map(str::to_owned), row[1].as_str().unwrap().to_owned())).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| (a.0.is_none(), &a.0, &a.1).cmp(&(b.0.is_none(), &b.0, &b.1)));
    assert_eq!(keys, sorted);
}

story!(grouped_aggregates_lookups_buckets_and_scope);
async fn grouped_aggregates_lookups_buckets_and_scope(s: SqlStore, _db: &TestDb) {
    let ann = user("ann@x.test", "Ann", Role::Manager);
    let bob = user("bob@x.test", "Bob", Role::Manager);
    for u in [&ann, &bob] {
        s.insert_user(u, &audit("user", u.user.id, "create")).await.unwrap();
    }
    let (ann, bob) = (ann.user.id, bob.user.id);
    let acme = company("Acme", "Retail", "smb", ann);
    let globex = company("Globex", "Energy", "enterprise", bob);
    for c in [&acme, &globex] {
        s.insert_company(c, &c.search_body(), &audit("company", c.id, "create")).await.unwrap();
    }
    let defs = vec![def("deal", "budget", FieldType::Number), def("company", "segment", FieldType::Select)];
    let pipelines = s.list_pipelines().await.unwrap();
    let pipeline = &pipelines[0];
    let stage = pipeline.stages[0].id;
    let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let raws = [
        // In Moscow (UTC+3) the first is already 1 February, the fourth 1 March, the sixth 1 April.
        Raw {
            owner: ann,
            industry: Some("Retail"),
            created: t("2026-01-31T22:30:00Z"),
            minor: 100_000,
            currency: "EUR",
            budget: Some(10.0),
            deleted: false,
        },
        Raw {
            owner: ann,
            industry: Some("Retail"),
            created: t("2026-01-15T10:00:00Z"),
            minor: 250_050,
            currency: "EUR",
            budget: Some(20.5),
            deleted: false,
        },
        Raw {
            owner: bob,
            industry: Some("Energy"),
            created: t("2026-02-10T12:00:00Z"),
            minor: 50_000,
            currency: "EUR",
            budget: None,
            deleted: false,
        },
        Raw {
            owner: bob,
            industry: Some("Retail"),
            created: t("2026-02-28T21:30:00Z"),
            minor: 75_000,
            currency: "EUR",
            budget: Some(5.0),
            deleted: false,
        },
        Raw {
            owner: ann,
            industry: None,
            created: t("2026-03-05T09:00:00Z"),
            minor: 1_000_000,
            currency: "JPY",
            budget: Some(1.0),
            deleted: false,
        },
        Raw {
            owner: ann,
            industry: Some("Energy"),
            created: t("2026-03-31T23:59:00Z"),
            minor: 33_333,
            currency: "EUR",
            budget: None,
            deleted: false,
        },
        Raw {
            owner: ann,
            industry: Some("Energy"),
            created: t("2026-03-20T10:00:00Z"),
            minor: 12_345,
            currency: "EUR",
            budget: Some(2.0),
            deleted: false,
        },
        Raw {
            owner: ann,
            industry: Some("Retail"),
            created: t("2026-01-20T10:00:00Z"),
            minor: 999_999,
            currency: "EUR",
            budget: Some(99.0),
            deleted: true,
        },
    ];
    for (i, r) in raws.iter().enumerate() {
        let mut custom = Map::new();
        if let Some(b) = r.budget {
            custom.insert("budget".into(), json!(b));
        }
        let mut d = Deal {
            id: new_id(),
            version: 1,
            title: format!("Deal {i}"),
            pipeline_id: pipeline.id,
            stage_id: stage,
            status: StageKind::Open,
            amount: String::new(),
            amount_minor: 0,
            currency: r.currency.into(),
            expected_close_date: None,
            source: None,
            contact_id: None,
            company_id: match r.industry {
                Some("Retail") => Some(acme.id),
                Some(_) => Some(globex.id),
                None => None,
            },
            owner_id: Some(r.owner),
            co_owner_ids: vec![],
            lead_id: None,
            loss_reason_id: None,
            loss_note: None,
            notes: None,
            tags: vec![],
            custom_fields: custom,
            stage_entered_at: r.created,
            closed_at: None,
            created_at: r.created,
            updated_at: r.created,
            deleted_at: r.deleted.then_some(r.created),
        };
        d.set_amount(r.minor);
        s.save_deal(&DealWrite {
            deal: d.clone(),
            expected_version: None,
            items: None,
            visit: None,
            add_payment: None,
            remove_payment: None,
            event: None,
            audit: audit("deal", d.id, "create"),
        })
        .await
        .unwrap();
    }

    let aggs = json!([{"fn": "count"}, {"fn": "sum", "field": "amount"}, {"fn": "avg", "field": "amount"},
                      {"fn": "min", "field": "amount"}, {"fn": "max", "field": "amount"}, {"fn": "median", "field": "amount"},
                      {"fn": "sum", "field": "custom_fields.budget"}, {"fn": "median", "field": "custom_fields.budget"}]);
    let all: Vec<&Raw> = raws.iter().collect();
    for (zone, bucket) in [
        ("Europe/Moscow", "month"),
        ("UTC", "month"),
        ("Europe/Moscow", "quarter"),
        ("America/New_York", "week"),
        ("Europe/Moscow", "day"),
        ("UTC", "year"),
    ] {
        let d = run_def(json!({"entity": "deal", "time_zone": zone,
            "group_by": [{"field": "company.industry"}, {"field": "created_at", "bucket": bucket}], "aggregates": aggs}));
        let r = run(&s, &d, &defs, Scope::All, ann).await;
        let b: Bucket = serde_json::from_value(json!(bucket)).unwrap();
        check_grouped(&r, &all, zone.parse().unwrap(), b);
        assert_eq!(r.columns[3].key, "sum(amount)");
        assert_eq!(r.time_zone, zone);
    }
    // The boundary itself: 22:30 UTC on 31 January is February in Moscow, January in UTC.
    let months = |zone: &str| {
        run_def(json!({"entity": "deal", "time_zone": zone, "group_by": [{"field": "created_at", "bucket": "month"}]}))
    };
    let r = run(&s, &months("Europe/Moscow"), &defs, Scope::All, ann).await;
    assert_eq!(
        r.rows,
        vec![
            vec![json!("2026-01"), json!(1)],
            vec![json!("2026-02"), json!(2)],
            vec![json!("2026-03"), json!(3)],
            vec![json!("2026-04"), json!(1)]
        ]
    );
    let r = run(&s, &months("UTC"), &defs, Scope::All, ann).await;
    assert_eq!(
        r.rows,
        vec![vec![json!("2026-01"), json!(2)], vec![json!("2026-02"), json!(2)], vec![json!("2026-03"), json!(3)]]
    );

    // A manager sees only their own deals, in the same query.
    let d = run_def(json!({"entity": "deal", "time_zone": "Europe/Moscow",
        "group_by": [{"field": "company.industry"}, {"field": "created_at", "bucket": "month"}], "aggregates": aggs}));
    let r = run(&s, &d, &defs, Scope::Own(ann), ann).await;
    let anns: Vec<&Raw> = raws.iter().filter(|r| r.owner == ann).collect();
    check_grouped(&r, &anns, "Europe/Moscow".parse().unwrap(), Bucket::Month);
    let r = run(&s, &d, &defs, Scope::Nothing, ann).await;
    assert!(r.rows.is_empty());

    // No grouping, aggregates only: one row over everything in reach.
    let r = run(
        &s,
        &run_def(
            json!({"entity": "deal", "aggregates": [{"fn": "count"}, {"fn": "median", "field": "custom_fields.budget"}],
        "filter": {"field": "currency", "op": "eq", "value": "EUR"}}),
        ),
        &defs,
        Scope::Own(bob),
        bob,
    )
    .await;
    assert_eq!(r.rows, vec![vec![json!(2), json!(5.0)]]);

    // Grouping by a lookup of a lookup's custom field, sorted by an aggregate.
    let r = run(
        &s,
        &run_def(json!({"entity": "deal", "group_by": [{"field": "company.custom_fields.segment"}],
        "aggregates": [{"fn": "sum", "field": "amount"}], "sort": [{"key": "sum(amount)", "desc": true}]})),
        &defs,
        Scope::All,
        ann,
    )
    .await;
    assert_eq!(
        r.rows,
        vec![
            vec![Value::Null, json!(1_000_000.0)],
            vec![json!("smb"), json!(4250.5)],
            vec![json!("enterprise"), json!(956.78)]
        ]
    );

    // Records with lookups, filtered on a lookup, sorted by amount.
    let d = run_def(json!({"entity": "deal", "time_zone": "Europe/Moscow",
        "columns": ["title", "company.industry", "owner.name", "amount", "custom_fields.budget", "created_at"],
        "filter": {"and": [{"field": "company.industry", "op": "eq", "value": "retail"},
                           {"field": "company.custom_fields.segment", "op": "eq", "value": "smb"}]},
        "sort": [{"key": "amount", "desc": true}]}));
    let r = run(&s, &d, &defs, Scope::All, ann).await;
    assert_eq!(
        r.rows,
        vec![
            vec![json!("Deal 1"), json!("Retail"), json!("Ann"), json!(2500.5), json!(20.5), json!("2026-01-15 13:00")],
            vec![json!("Deal 0"), json!("Retail"), json!("Ann"), json!(1000.0), json!(10.0), json!("2026-02-01 01:30")],
            vec![json!("Deal 3"), json!("Retail"), json!("Bob"), json!(750.0), json!(5.0), json!("2026-03-01 00:30")],
        ]
    );
    assert_eq!(r.columns[2].label, "Owner → Name");
    // The filter builder's own fields of deals work too (tags, ids).
    let d = run_def(
        json!({"entity": "deal", "columns": ["title"], "filter": {"field": "owner_id", "op": "eq", "value": "me"}, "limit": 2}),
    );
    let r = run(&s, &d, &defs, Scope::All, bob).await;
    assert_eq!(r.rows.len(), 2);
    assert!(!r.truncated);
    let r =
        run(&s, &run_def(json!({"entity": "deal", "columns": ["title"], "limit": 3})), &defs, Scope::All, bob).await;
    assert!(r.truncated && r.rows.len() == 3);

    // Companies and the other objects run too.
    let r =
        run(&s, &run_def(json!({"entity": "company", "group_by": [{"field": "owner"}]})), &defs, Scope::All, ann).await;
    assert_eq!(r.rows, vec![vec![json!("Ann"), json!(1)], vec![json!("Bob"), json!(1)]]);
    for e in ["contact", "lead", "activity", "task", "product", "line_item", "invoice", "payment"] {
        let r =
            run(&s, &run_def(json!({"entity": e, "aggregates": [{"fn": "count"}]})), &defs, Scope::Own(ann), ann).await;
        assert_eq!(r.rows, vec![vec![json!(0)]], "{e}");
    }
}

story!(saved_reports_round_trip);
async fn saved_reports_round_trip(s: SqlStore, _db: &TestDb) {
    let ann = user("ann@x.test", "Ann", Role::Manager);
    let bob = user("bob@x.test", "Bob", Role::Manager);
    for u in [&ann, &bob] {
        s.insert_user(u, &audit("user", u.user.id, "create")).await.unwrap();
    }
    let at = now();
    let mut r = SavedReport {
        id: new_id(),
        version: 1,
        name: "Deals by month".into(),
        owner_id: ann.user.id,
        shared: false,
        definition: run_def(
            json!({"entity": "deal", "group_by": [{"field": "created_at", "bucket": "month"}], "chart": "bar"}),
        ),
        schedule: None,
        created_at: at,
        updated_at: at,
    };
    s.insert_saved_report(&r, &audit("report", r.id, "create")).await.unwrap();
    assert_eq!(s.get_saved_report(r.id).await.unwrap().unwrap(), r);
    assert_eq!(s.list_saved_reports(ann.user.id).await.unwrap().len(), 1);
    assert!(s.list_saved_reports(bob.user.id).await.unwrap().is_empty(), "private reports are their owner's");
    r.shared = true;
    r.version = 2;
    s.update_saved_report(&r, 1, &audit("report", r.id, "update")).await.unwrap();
    assert_eq!(s.list_saved_reports(bob.user.id).await.unwrap().len(), 1, "shared reports are everyone's");
    let stale = s.update_saved_report(&r, 1, &audit("report", r.id, "update")).await.unwrap_err();
    assert!(matches!(stale, clientele_core::Error::PreconditionFailed { current: 2 }));
    s.delete_saved_report(r.id, &audit("report", r.id, "delete")).await.unwrap();
    assert!(s.get_saved_report(r.id).await.unwrap().is_none());
}
