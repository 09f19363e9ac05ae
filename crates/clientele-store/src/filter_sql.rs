//! Turns checked filters and permission scopes into SQL for either backend. Only
//! placeholders and names fixed in code (or custom field keys, which are validated to
//! `[a-z][a-z0-9_]*`) ever enter the text.

use clientele_core::authz::Scope;
use clientele_core::domain::client::fold;
use clientele_core::domain::custom_field::FieldType;
use clientele_core::domain::filter::{Checked, Column, Op, Operand};

use crate::db::{Backend, Params};
use crate::platform::escape_like;

/// The records of `alias` (a table with `owner_id`) within `scope`.
pub fn scope_sql(p: &mut Params, scope: &Scope, alias: &str) -> String {
    scope_on(p, scope, &format!("{alias}.owner_id"))
}

/// The rows whose user column `col` (an owner, an assignee, an author) is within `scope`.
pub fn scope_on(p: &mut Params, scope: &Scope, col: &str) -> String {
    match scope {
        Scope::All => "1 = 1".into(),
        Scope::Nothing => "1 = 0".into(),
        Scope::Own(u) => format!("{col} = {}", p.push(*u)),
        Scope::Teams { user, teams } => {
            let u = p.push(*user);
            let ts: Vec<String> = teams.iter().map(|t| p.push(*t)).collect();
            format!("({col} = {u} OR {col} IN (SELECT id FROM users WHERE team_id IN ({})))", ts.join(", "))
        }
    }
}

/// The deals of `alias` within `scope`: as [`scope_sql`], and a co-owner reaches the deal as
/// its owner does.
pub fn deal_scope_sql(p: &mut Params, scope: &Scope, alias: &str) -> String {
    let co = |p: &mut Params, u: uuid::Uuid| {
        format!("EXISTS (SELECT 1 FROM deal_owners o WHERE o.deal_id = {alias}.id AND o.user_id = {})", p.push(u))
    };
    match scope {
        Scope::Own(u) => format!("({} OR {})", scope_sql(p, scope, alias), co(p, *u)),
        Scope::Teams { user, .. } => format!("({} OR {})", scope_sql(p, scope, alias), co(p, *user)),
        _ => scope_sql(p, scope, alias),
    }
}

pub struct FilterSql<'a> {
    pub backend: Backend,
    /// Table alias of the record.
    pub alias: &'a str,
}

fn list(p: &mut Params, items: &[String]) -> String {
    items.iter().map(|i| p.push(i.clone())).collect::<Vec<_>>().join(", ")
}

impl FilterSql<'_> {
    fn json_text(&self, col: &str, key: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("json_extract({}.{col}, '$.\"{key}\"')", self.alias),
            Backend::Postgres => format!("({}.{col}->>'{key}')", self.alias),
        }
    }

    fn custom_expr(&self, key: &str, t: FieldType) -> String {
        let a = self.alias;
        match (self.backend, t) {
            (Backend::Sqlite, FieldType::Number) => {
                format!("CAST(json_extract({a}.custom_fields, '$.\"{key}\"') AS REAL)")
            }
            (Backend::Postgres, FieldType::Number) => format!("(({a}.custom_fields->>'{key}')::double precision)"),
            (Backend::Sqlite, FieldType::Money) => {
                format!("CAST(json_extract({a}.custom_fields, '$.\"{key}\".amount') AS REAL)")
            }
            (Backend::Postgres, FieldType::Money) => {
                format!("(({a}.custom_fields->'{key}'->>'amount')::double precision)")
            }
            (Backend::Postgres, FieldType::Boolean) => format!("(({a}.custom_fields->>'{key}')::boolean)"),
            _ => self.json_text("custom_fields", key),
        }
    }

    pub fn sql(&self, p: &mut Params, f: &Checked) -> String {
        match f {
            Checked::And(parts) if parts.is_empty() => "1 = 1".into(),
            Checked::Or(parts) if parts.is_empty() => "1 = 0".into(),
            Checked::And(parts) => {
                format!("({})", parts.iter().map(|x| self.sql(p, x)).collect::<Vec<_>>().join(" AND "))
            }
            Checked::Or(parts) => {
                format!("({})", parts.iter().map(|x| self.sql(p, x)).collect::<Vec<_>>().join(" OR "))
            }
            Checked::Cond { column, op, operand } => self.cond(p, column, *op, operand),
        }
    }

    fn text_ops(&self, p: &mut Params, expr: &str, folded: bool, op: Op, operand: &Operand) -> String {
        let norm = |s: &str| if folded { fold(s) } else { s.to_lowercase() };
        let e = if folded { expr.to_owned() } else { format!("lower({expr})") };
        match (op, operand) {
            (Op::Eq, Operand::Text(v)) => format!("{e} = {}", p.push(norm(v))),
            (Op::Ne, Operand::Text(v)) => format!("({expr} IS NULL OR {e} <> {})", p.push(norm(v))),
            (Op::Contains, Operand::Text(v)) => {
                format!("{e} LIKE {} ESCAPE '\\'", p.push(format!("%{}%", escape_like(&norm(v)))))
            }
            (Op::StartsWith, Operand::Text(v)) => {
                format!("{e} LIKE {} ESCAPE '\\'", p.push(format!("{}%", escape_like(&norm(v)))))
            }
            (Op::In, Operand::Texts(vs)) => {
                format!("{e} IN ({})", list(p, &vs.iter().map(|v| norm(v)).collect::<Vec<_>>()))
            }
            (Op::IsEmpty, _) => format!("({expr} IS NULL OR {expr} = '')"),
            (Op::IsNotEmpty, _) => format!("({expr} IS NOT NULL AND {expr} <> '')"),
            _ => "1 = 0".into(),
        }
    }

    fn cond(&self, p: &mut Params, column: &Column, op: Op, operand: &Operand) -> String {
        let a = self.alias;
        match column {
            Column::Text { col, folded } => self.text_ops(p, &format!("{a}.{col}"), *folded, op, operand),
            Column::AddressPart { key } => self.text_ops(p, &self.json_text("address", key), false, op, operand),
            Column::Enum { col, .. } => match (op, operand) {
                (Op::Eq, Operand::Text(v)) => format!("{a}.{col} = {}", p.push(v.clone())),
                (Op::Ne, Operand::Text(v)) => format!("{a}.{col} <> {}", p.push(v.clone())),
                (Op::In, Operand::Texts(vs)) => format!("{a}.{col} IN ({})", list(p, vs)),
                (Op::IsEmpty, _) => format!("{a}.{col} IS NULL"),
                (Op::IsNotEmpty, _) => format!("{a}.{col} IS NOT NULL"),
                _ => "1 = 0".into(),
            },
            Column::Uuid { col } => match (op, operand) {
                (Op::Eq, Operand::Uuid(u)) => format!("{a}.{col} = {}", p.push(*u)),
                (Op::Ne, Operand::Uuid(u)) => format!("({a}.{col} IS NULL OR {a}.{col} <> {})", p.push(*u)),
                (Op::In, Operand::Uuids(us)) => {
                    format!("{a}.{col} IN ({})", us.iter().map(|u| p.push(*u)).collect::<Vec<_>>().join(", "))
                }
                (Op::IsEmpty, _) => format!("{a}.{col} IS NULL"),
                (Op::IsNotEmpty, _) => format!("{a}.{col} IS NOT NULL"),
                _ => "1 = 0".into(),
            },
            Column::Time { col } => {
                let c = format!("{a}.{col}");
                match (op, operand) {
                    (Op::Gt, Operand::Time(t)) => format!("{c} > {}", p.push(*t)),
                    (Op::Gte | Op::WithinLastDays, Operand::Time(t)) => format!("{c} >= {}", p.push(*t)),
                    (Op::Lt, Operand::Time(t)) => format!("{c} < {}", p.push(*t)),
                    (Op::Lte, Operand::Time(t)) => format!("{c} <= {}", p.push(*t)),
                    (Op::OlderThanDays, Operand::Time(t)) => format!("({c} IS NULL OR {c} < {})", p.push(*t)),
                    (Op::IsEmpty, _) => format!("{c} IS NULL"),
                    (Op::IsNotEmpty, _) => format!("{c} IS NOT NULL"),
                    _ => "1 = 0".into(),
                }
            }
            Column::Date { col } | Column::Int { col } => {
                let c = format!("{a}.{col}");
                let v = match operand {
                    Operand::Date(d) => p.push(*d),
                    Operand::Int(i) => p.push(*i),
                    _ if matches!(op, Op::IsEmpty | Op::IsNotEmpty) => String::new(),
                    _ => return "1 = 0".into(),
                };
                match op {
                    Op::Eq => format!("{c} = {v}"),
                    Op::Ne => format!("({c} IS NULL OR {c} <> {v})"),
                    Op::Gt => format!("{c} > {v}"),
                    Op::Gte => format!("{c} >= {v}"),
                    Op::Lt => format!("{c} < {v}"),
                    Op::Lte => format!("{c} <= {v}"),
                    Op::OlderThanDays => format!("{c} < {v}"),
                    // From today up to and including the day N days ahead.
                    Op::InNextDays => {
                        format!("({c} >= {} AND {c} <= {v})", p.push(chrono::Utc::now().date_naive()))
                    }
                    Op::IsEmpty => format!("{c} IS NULL"),
                    Op::IsNotEmpty => format!("{c} IS NOT NULL"),
                    _ => "1 = 0".into(),
                }
            }
            Column::Tags => {
                let any = format!("SELECT 1 FROM record_tags t WHERE t.entity_id = {a}.id");
                match (op, operand) {
                    (Op::Has | Op::Eq, Operand::Text(v)) => format!("EXISTS ({any} AND t.tag = {})", p.push(fold(v))),
                    (Op::Lacks | Op::Ne, Operand::Text(v)) => {
                        format!("NOT EXISTS ({any} AND t.tag = {})", p.push(fold(v)))
                    }
                    (Op::In, Operand::Texts(vs)) => {
                        format!(
                            "EXISTS ({any} AND t.tag IN ({}))",
                            list(p, &vs.iter().map(|v| fold(v)).collect::<Vec<_>>())
                        )
                    }
                    (Op::IsEmpty, _) => format!("NOT EXISTS ({any})"),
                    (Op::IsNotEmpty, _) => format!("EXISTS ({any})"),
                    _ => "1 = 0".into(),
                }
            }
            Column::Point { kind, table } => {
                let any = format!("SELECT 1 FROM {table} cp WHERE cp.entity_id = {a}.id AND cp.kind = '{kind}'");
                match (op, operand) {
                    (Op::Eq | Op::Has, Operand::Text(v)) => {
                        format!("EXISTS ({any} AND cp.value = {})", p.push(v.clone()))
                    }
                    (Op::Contains, Operand::Text(v)) => {
                        format!(
                            "EXISTS ({any} AND cp.value LIKE {} ESCAPE '\\')",
                            p.push(format!("%{}%", escape_like(v)))
                        )
                    }
                    (Op::StartsWith, Operand::Text(v)) => {
                        format!(
                            "EXISTS ({any} AND cp.value LIKE {} ESCAPE '\\')",
                            p.push(format!("{}%", escape_like(v)))
                        )
                    }
                    (Op::IsEmpty, _) => format!("NOT EXISTS ({any})"),
                    (Op::IsNotEmpty, _) => format!("EXISTS ({any})"),
                    _ => "1 = 0".into(),
                }
            }
            Column::BirthdayMd => match (op, operand) {
                (Op::InNextDays, Operand::Texts(mds)) => format!("{a}.birthday_md IN ({})", list(p, mds)),
                (Op::IsEmpty, _) => format!("{a}.birthday_md IS NULL"),
                (Op::IsNotEmpty, _) => format!("{a}.birthday_md IS NOT NULL"),
                _ => "1 = 0".into(),
            },
            Column::Custom { key, field_type } => self.custom(p, key, *field_type, op, operand),
        }
    }

    fn custom(&self, p: &mut Params, key: &str, t: FieldType, op: Op, operand: &Operand) -> String {
        let expr = self.custom_expr(key, t);
        match (t, op, operand) {
            (FieldType::MultiSelect, Op::Has | Op::Lacks, Operand::Text(v)) => {
                let has = match self.backend {
                    Backend::Sqlite => format!(
                        "EXISTS (SELECT 1 FROM json_each({}.custom_fields, '$.\"{key}\"') WHERE value = {})",
                        self.alias,
                        p.push(v.clone())
                    ),
                    Backend::Postgres => format!(
                        "jsonb_exists(COALESCE({}.custom_fields->'{key}', '[]'::jsonb), {})",
                        self.alias,
                        p.push(v.clone())
                    ),
                };
                if op == Op::Has { has } else { format!("NOT {has}") }
            }
            (FieldType::Number | FieldType::Money, _, Operand::Number(n)) => {
                let v = p.push(*n);
                match op {
                    Op::Eq => format!("{expr} = {v}"),
                    Op::Ne => format!("({expr} IS NULL OR {expr} <> {v})"),
                    Op::Gt => format!("{expr} > {v}"),
                    Op::Gte => format!("{expr} >= {v}"),
                    Op::Lt => format!("{expr} < {v}"),
                    Op::Lte => format!("{expr} <= {v}"),
                    _ => "1 = 0".into(),
                }
            }
            (FieldType::Boolean, Op::Eq | Op::Ne, Operand::Bool(b)) => {
                let cmp = if op == Op::Eq { "=" } else { "<>" };
                match self.backend {
                    Backend::Sqlite => format!("COALESCE({expr}, 0) {cmp} {}", p.push(i64::from(*b))),
                    Backend::Postgres => format!("COALESCE({expr}, false) {cmp} {}", p.push(*b)),
                }
            }
            (FieldType::Date | FieldType::Datetime, _, Operand::Text(v)) => {
                let val = p.push(v.clone());
                match op {
                    Op::Eq => format!("{expr} = {val}"),
                    Op::Ne => format!("({expr} IS NULL OR {expr} <> {val})"),
                    Op::Gt => format!("{expr} > {val}"),
                    Op::Gte | Op::WithinLastDays => format!("{expr} >= {val}"),
                    Op::Lt => format!("{expr} < {val}"),
                    Op::Lte => format!("{expr} <= {val}"),
                    Op::OlderThanDays => format!("({expr} IS NULL OR {expr} < {val})"),
                    // From today up to and including the day N days ahead.
                    Op::InNextDays => {
                        let today = p.push(chrono::Utc::now().date_naive().to_string());
                        format!("({expr} >= {today} AND {expr} <= {val})")
                    }
                    _ => "1 = 0".into(),
                }
            }
            (_, Op::IsEmpty, _) => format!("{expr} IS NULL"),
            (_, Op::IsNotEmpty, _) => format!("{expr} IS NOT NULL"),
            _ => self.text_ops(p, &expr, false, op, operand),
        }
    }
}
