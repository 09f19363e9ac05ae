//! TEMPORARY stand-in until the column-mapping module lands (replaced on merge).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportEntity {
    Contacts,
    Companies,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValueMap {
    pub target: String,
    pub from: String,
    pub to: String,
}

pub fn map_value<'a>(values: &'a [ValueMap], target: &str, cell: &'a str) -> &'a str {
    values
        .iter()
        .find(|v| v.target == target && v.from.to_lowercase() == cell.to_lowercase())
        .map(|v| v.to.as_str())
        .unwrap_or(cell)
}

pub fn split_multi(cell: &str) -> Vec<&str> {
    cell.split([',', ';', '\n']).map(str::trim).filter(|s| !s.is_empty()).collect()
}
