use super::Services;
use crate::authz::{Action, Actor, Area, check_area};
use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::domain::page::{Page, PageRequest};
use crate::error::Result;

impl Services {
    pub async fn list_audit(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>> {
        check_area(actor, Area::Audit, Action::Read)?;
        self.store.list_audit(filter, page).await
    }
}
