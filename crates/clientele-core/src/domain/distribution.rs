//! Lead distribution: who gets the next lead or deal. Round-robin among a group, the least
//! loaded, or weighted by tier; per-manager daily caps, hot leads to the top tier, working
//! hours and absence respected. The choice itself is pure; the service feeds it the state.

use chrono::{DateTime, Datelike, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    RoundRobin,
    LeastLoaded,
    Weighted,
}

/// A manager in a policy's group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub user_id: Uuid,
    /// 1 is the best tier.
    #[serde(default = "one")]
    pub tier: u32,
    /// For `weighted`: the share of leads (default by tier: tier 1 → 3, tier 2 → 2, else 1).
    #[serde(default)]
    pub weight: Option<u32>,
    /// At most this many assignments a day (UTC).
    #[serde(default)]
    pub daily_cap: Option<u32>,
    /// Absent until then: skipped.
    #[serde(default)]
    pub absent_until: Option<DateTime<Utc>>,
    /// Penalised: hot leads are taken away from them on reassignment, and they get none.
    #[serde(default)]
    pub penalised: bool,
}

fn one() -> u32 {
    1
}

/// Working hours (UTC): days 1 = Monday … 7 = Sunday.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    #[schema(value_type = String)]
    pub start: NaiveTime,
    #[schema(value_type = String)]
    pub end: NaiveTime,
    pub days: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDefinition {
    pub strategy: Strategy,
    pub members: Vec<Member>,
    /// Hot leads go to the best tier among those available.
    #[serde(default)]
    pub hot_to_top_tier: bool,
    #[serde(default)]
    pub working_hours: Option<WorkingHours>,
    /// Which records it distributes: `lead` and/or `deal` (informational, and for reassignment).
    #[serde(default)]
    pub applies_to: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Policy {
    pub id: Uuid,
    pub version: i64,
    /// Unique; rules name policies by it.
    pub name: String,
    #[serde(flatten)]
    pub definition: PolicyDefinition,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An assignment a policy made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assignment {
    pub id: Uuid,
    pub policy_id: Uuid,
    pub user_id: Uuid,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub assigned_at: DateTime<Utc>,
}

/// What the choice needs to know of each member now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState {
    pub user_id: Uuid,
    /// The user exists and is active.
    pub active: bool,
    /// Open deals and leads.
    pub load: i64,
    /// Assignments today.
    pub today: i64,
}

pub fn validate(d: &PolicyDefinition) -> Vec<FieldError> {
    let mut e = Vec::new();
    if d.members.is_empty() {
        e.push(FieldError::new("members", "at least one member"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, m) in d.members.iter().enumerate() {
        if !seen.insert(m.user_id) {
            e.push(FieldError::new(format!("members[{i}].user_id"), "is listed twice"));
        }
        if !(1..=10).contains(&m.tier) {
            e.push(FieldError::new(format!("members[{i}].tier"), "must be between 1 and 10"));
        }
        if m.weight.is_some_and(|w| !(1..=100).contains(&w)) {
            e.push(FieldError::new(format!("members[{i}].weight"), "must be between 1 and 100"));
        }
    }
    if let Some(h) = &d.working_hours {
        if h.start >= h.end {
            e.push(FieldError::new("working_hours.end", "must be after start"));
        }
        if h.days.is_empty() || h.days.iter().any(|d| !(1..=7).contains(d)) {
            e.push(FieldError::new("working_hours.days", "days are 1 (Monday) to 7 (Sunday), at least one"));
        }
    }
    for (i, a) in d.applies_to.iter().enumerate() {
        if a != "lead" && a != "deal" {
            e.push(FieldError::new(format!("applies_to[{i}]"), "must be lead or deal"));
        }
    }
    e
}

fn weight(m: &Member) -> u32 {
    m.weight.unwrap_or(match m.tier {
        1 => 3,
        2 => 2,
        _ => 1,
    })
}

/// Whether `at` is within the working hours (always, without them).
pub fn in_hours(d: &PolicyDefinition, at: DateTime<Utc>) -> bool {
    d.working_hours.as_ref().is_none_or(|h| {
        let t = at.time();
        h.days.contains(&at.weekday().number_from_monday()) && t >= h.start && t < h.end
    })
}

/// The member to assign to, given the policy, the members' state, the round-robin cursor
/// and whether the record is hot; `None` when nobody is available (outside working hours,
/// everyone absent or at their cap). `exclude` is left out (the current owner, on
/// reassignment).
pub fn choose(
    d: &PolicyDefinition,
    state: &[MemberState],
    cursor: i64,
    hot: bool,
    exclude: Option<Uuid>,
    at: DateTime<Utc>,
) -> Option<Uuid> {
    if !in_hours(d, at) {
        return None;
    }
    let st = |id: Uuid| state.iter().find(|s| s.user_id == id);
    let mut eligible: Vec<&Member> = d
        .members
        .iter()
        .filter(|m| Some(m.user_id) != exclude)
        .filter(|m| m.absent_until.is_none_or(|t| t <= at))
        .filter(|m| !(hot && m.penalised))
        .filter(|m| st(m.user_id).is_some_and(|s| s.active && m.daily_cap.is_none_or(|cap| s.today < i64::from(cap))))
        .collect();
    if hot && d.hot_to_top_tier {
        let best = eligible.iter().map(|m| m.tier).min()?;
        eligible.retain(|m| m.tier == best);
    }
    if eligible.is_empty() {
        return None;
    }
    let n = eligible.len() as i64;
    match d.strategy {
        Strategy::RoundRobin => Some(eligible[cursor.rem_euclid(n) as usize].user_id),
        Strategy::LeastLoaded => {
            eligible.iter().min_by_key(|m| st(m.user_id).map_or(i64::MAX, |s| s.load)).map(|m| m.user_id)
        }
        Strategy::Weighted => {
            let total: i64 = eligible.iter().map(|m| i64::from(weight(m))).sum();
            let mut slot = cursor.rem_euclid(total.max(1));
            for m in &eligible {
                let w = i64::from(weight(m));
                if slot < w {
                    return Some(m.user_id);
                }
                slot -= w;
            }
            eligible.last().map(|m| m.user_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn member(n: u128, tier: u32) -> Member {
        Member {
            user_id: Uuid::from_u128(n),
            tier,
            weight: None,
            daily_cap: None,
            absent_until: None,
            penalised: false,
        }
    }

    fn state(n: u128, load: i64, today: i64) -> MemberState {
        MemberState { user_id: Uuid::from_u128(n), active: true, load, today }
    }

    #[test]
    fn strategies_caps_tiers_hours_and_absence() {
        let at = Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).single().unwrap(); // a Monday
        let mut d = PolicyDefinition {
            strategy: Strategy::RoundRobin,
            members: vec![member(1, 1), member(2, 2), member(3, 2)],
            hot_to_top_tier: true,
            working_hours: None,
            applies_to: vec![],
        };
        let s = vec![state(1, 5, 0), state(2, 1, 0), state(3, 3, 0)];
        let picks: Vec<u128> = (0..4).map(|c| choose(&d, &s, c, false, None, at).unwrap().as_u128()).collect();
        assert_eq!(picks, vec![1, 2, 3, 1]);
        assert_eq!(choose(&d, &s, 1, true, None, at), Some(Uuid::from_u128(1)), "hot to the top tier");
        assert_eq!(choose(&d, &s, 0, false, Some(Uuid::from_u128(1)), at), Some(Uuid::from_u128(2)));
        d.strategy = Strategy::LeastLoaded;
        assert_eq!(choose(&d, &s, 0, false, None, at), Some(Uuid::from_u128(2)));
        d.strategy = Strategy::Weighted;
        let picks: Vec<u128> = (0..7).map(|c| choose(&d, &s, c, false, None, at).unwrap().as_u128()).collect();
        assert_eq!(picks, vec![1, 1, 1, 2, 2, 3, 3]);
        // Caps, absence, inactive users, penalties.
        d.strategy = Strategy::RoundRobin;
        d.members[0].daily_cap = Some(2);
        let capped = vec![state(1, 5, 2), state(2, 1, 0), state(3, 3, 0)];
        assert_eq!(choose(&d, &capped, 0, true, None, at), Some(Uuid::from_u128(2)), "top tier at its cap");
        d.members[1].absent_until = Some(at + chrono::Duration::days(1));
        assert_eq!(choose(&d, &capped, 0, false, None, at), Some(Uuid::from_u128(3)));
        d.members[2].penalised = true;
        assert_eq!(choose(&d, &capped, 0, true, None, at), None, "nobody for a hot lead");
        // Working hours.
        d.working_hours = Some(WorkingHours {
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            days: vec![1, 2, 3, 4, 5],
        });
        assert!(in_hours(&d, at));
        assert!(!in_hours(&d, at + chrono::Duration::hours(9)));
        assert!(!in_hours(&d, at - chrono::Duration::days(1)), "Sunday");
        assert!(validate(&d).is_empty());
        d.members.push(member(1, 11));
        let e = validate(&d);
        assert_eq!(
            e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            vec!["members[3].user_id", "members[3].tier"]
        );
    }
}
