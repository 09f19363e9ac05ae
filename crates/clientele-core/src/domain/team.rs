use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A team or department. Teams nest (a department holds teams); a head of sales sees the
/// records of their team and of every team below it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Team {
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every team at or below `root`, given the whole (small) team table.
pub fn subtree(teams: &[Team], root: Uuid) -> Vec<Uuid> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let cur = out[i];
        for t in teams {
            if t.parent_id == Some(cur) && !out.contains(&t.id) {
                out.push(t.id);
            }
        }
        i += 1;
    }
    out
}

/// True when making `parent` the parent of `team` would create a cycle.
pub fn would_cycle(teams: &[Team], team: Uuid, parent: Uuid) -> bool {
    subtree(teams, team).contains(&parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(id: u128, parent: Option<u128>) -> Team {
        let now = Utc::now();
        Team {
            id: Uuid::from_u128(id),
            version: 1,
            name: format!("t{id}"),
            parent_id: parent.map(Uuid::from_u128),
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn subtree_and_cycles() {
        let teams = vec![team(1, None), team(2, Some(1)), team(3, Some(2)), team(4, None)];
        let st = subtree(&teams, Uuid::from_u128(1));
        assert_eq!(st.len(), 3);
        assert!(!st.contains(&Uuid::from_u128(4)));
        assert!(would_cycle(&teams, Uuid::from_u128(1), Uuid::from_u128(3)));
        assert!(!would_cycle(&teams, Uuid::from_u128(4), Uuid::from_u128(3)));
    }
}
