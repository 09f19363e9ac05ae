//! Dashboards: named lists of widgets, each showing one figure of the standard reports as a
//! number, a chart or a table. Two come with every installation ("my day" for a manager and
//! the head of sales' overview); users add their own and may share them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::FieldError;

pub const WIDGET_KINDS: [&str; 6] = ["number", "bar", "line", "pie", "funnel", "table"];

/// Each source and the widget kinds that can show it.
pub const WIDGET_SOURCES: &[(&str, &[&str])] = &[
    ("revenue", &["number"]),
    ("won_count", &["number"]),
    ("win_rate", &["number"]),
    ("average_check", &["number"]),
    ("weighted_pipeline", &["number"]),
    ("funnel", &["funnel", "bar", "table"]),
    ("revenue_dynamics", &["line", "bar", "table"]),
    ("loss_reasons", &["pie", "bar", "table"]),
    ("revenue_by_source", &["bar", "pie", "table"]),
    ("manager_activity", &["table", "bar"]),
    ("plan_fact", &["table", "bar"]),
    ("payments_expected", &["table", "number"]),
    ("my_tasks", &["table"]),
    ("stuck_deals", &["table"]),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Widget {
    /// `number`, `bar`, `line`, `pie`, `funnel` or `table`.
    pub kind: String,
    /// What it shows: `revenue`, `won_count`, `win_rate`, `average_check`, `weighted_pipeline`,
    /// `funnel`, `revenue_dynamics`, `loss_reasons`, `revenue_by_source`, `manager_activity`,
    /// `plan_fact`, `payments_expected`, `my_tasks`, `stuck_deals`.
    pub source: String,
    pub title: String,
}

impl Widget {
    pub fn new(kind: &str, source: &str, title: &str) -> Self {
        Self { kind: kind.into(), source: source.into(), title: title.into() }
    }

    /// Checks the widget at `widgets[i]`.
    pub fn check(&self, i: usize) -> Vec<FieldError> {
        let mut errors = Vec::new();
        match WIDGET_SOURCES.iter().find(|(s, _)| *s == self.source) {
            None => errors.push(FieldError::new(
                format!("widgets[{i}].source"),
                format!(
                    "`{}` is not one of {}",
                    self.source,
                    WIDGET_SOURCES.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                ),
            )),
            Some((_, kinds)) if !kinds.contains(&self.kind.as_str()) => errors.push(FieldError::new(
                format!("widgets[{i}].kind"),
                format!("`{}` cannot show {}: use {}", self.kind, self.source, kinds.join(", ")),
            )),
            Some(_) => {}
        }
        if self.title.trim().is_empty() || self.title.chars().count() > 120 {
            errors.push(FieldError::new(format!("widgets[{i}].title"), "needs 1 to 120 characters"));
        }
        errors
    }
}

/// A dashboard. The built-in ones have the id of their preset (`my-day`, `head-of-sales`)
/// and no owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub id: String,
    pub version: i64,
    pub name: String,
    pub owner_id: Option<Uuid>,
    /// Seen by everyone (each figure still within the viewer's reach).
    pub shared: bool,
    /// `my-day` or `head-of-sales` for the built-in dashboards.
    pub preset: Option<String>,
    pub widgets: Vec<Widget>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const PRESET_MY_DAY: &str = "my-day";
pub const PRESET_HEAD: &str = "head-of-sales";

/// The built-in dashboards.
pub fn presets(at: DateTime<Utc>) -> Vec<Dashboard> {
    let d = |id: &str, name: &str, widgets: Vec<Widget>| Dashboard {
        id: id.into(),
        version: 1,
        name: name.into(),
        owner_id: None,
        shared: true,
        preset: Some(id.into()),
        widgets,
        created_at: at,
        updated_at: at,
    };
    vec![
        d(
            PRESET_MY_DAY,
            "My day",
            vec![
                Widget::new("table", "my_tasks", "Tasks for today"),
                Widget::new("table", "payments_expected", "Payments expected"),
                Widget::new("table", "stuck_deals", "Stuck deals"),
                Widget::new("number", "won_count", "Deals won"),
                Widget::new("number", "revenue", "Revenue"),
            ],
        ),
        d(
            PRESET_HEAD,
            "Head of sales",
            vec![
                Widget::new("number", "revenue", "Revenue"),
                Widget::new("number", "won_count", "Deals won"),
                Widget::new("number", "win_rate", "Win rate, %"),
                Widget::new("number", "average_check", "Average check"),
                Widget::new("number", "weighted_pipeline", "Weighted pipeline"),
                Widget::new("funnel", "funnel", "Sales funnel"),
                Widget::new("line", "revenue_dynamics", "Revenue by day"),
                Widget::new("pie", "loss_reasons", "Loss reasons"),
                Widget::new("bar", "revenue_by_source", "Revenue by source"),
                Widget::new("table", "plan_fact", "Plan and fact"),
                Widget::new("table", "manager_activity", "Managers' activity"),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_widgets_are_checked() {
        for d in presets(Utc::now()) {
            for (i, w) in d.widgets.iter().enumerate() {
                assert!(w.check(i).is_empty(), "{} {i}", d.id);
            }
        }
        let bad = Widget::new("pie", "revenue", "");
        let fields: Vec<String> = bad.check(2).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["widgets[2].kind", "widgets[2].title"]);
        assert_eq!(Widget::new("bar", "weather", "x").check(0)[0].field, "widgets[0].source");
    }
}
