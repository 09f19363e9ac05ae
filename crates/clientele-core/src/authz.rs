//! The single permission checkpoint. Every service method asks here before it reads or
//! changes anything; nothing else in the code base decides who may do what.

use uuid::Uuid;

use crate::domain::user::Role;
use crate::error::{Error, Result};

/// Who is acting: a signed-in user (through a session or an API token) or the system itself
/// (CLI, first start, background jobs).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub name: String,
    pub role: Role,
    /// The actor's own team and every team below it (empty when in no team).
    pub teams: Vec<Uuid>,
    pub kind: ActorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Session,
    ApiToken,
    System,
}

impl Actor {
    pub fn system(what: &str) -> Self {
        Self { user_id: Uuid::nil(), name: what.to_owned(), role: Role::Admin, teams: vec![], kind: ActorKind::System }
    }

    /// The id to record in the audit log: `None` for the system.
    pub fn audit_id(&self) -> Option<Uuid> {
        (self.kind != ActorKind::System).then_some(self.user_id)
    }
}

/// What is done to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    Export,
}

/// Kinds of owned business records (each has an owner, the responsible manager).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Contact,
    Company,
    Deal,
    Lead,
    Task,
    /// Inbox conversations: reached through their assignee.
    Conversation,
}

/// Administrative areas that are not owned records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Listing users and teams (everyone: needed to pick an owner or an assignee).
    Directory,
    /// Creating and changing users and teams.
    ManageUsers,
    /// Custom fields, pipelines, settings.
    Settings,
    /// Reading the audit log.
    Audit,
    /// The product catalogue: everyone reads it; administrators change it.
    Catalogue,
    /// Stock receipts and adjustments: administrators and heads of sales (everyone reads).
    Stock,
}

/// Which records an actor reaches for an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Nothing,
    /// Records owned by this user.
    Own(Uuid),
    /// Records owned by this user or by anyone in these teams.
    Teams {
        user: Uuid,
        teams: Vec<Uuid>,
    },
    All,
}

/// The owner of a record as the checkpoint needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ownership {
    pub owner_id: Option<Uuid>,
    pub owner_team: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    None,
    Own,
    Team,
    All,
}

/// The role table. One line per role and action; changing what a role may do is changing
/// this function and its test matrix, nothing else.
fn reach(role: Role, _kind: RecordKind, action: Action) -> Reach {
    use Action::*;
    match (role, action) {
        (Role::Admin, _) => Reach::All,
        (Role::Head, _) => Reach::Team,
        (Role::Manager, Read | Create | Update | Delete | Export) => Reach::Own,
        (Role::Readonly, Read) => Reach::All,
        (Role::Readonly, Create | Update | Delete | Export) => Reach::None,
    }
}

/// The records an actor may touch with this action, as a filter the store applies in the
/// same query that reads the list (never a per-row check after loading).
pub fn scope(actor: &Actor, kind: RecordKind, action: Action) -> Scope {
    match reach(actor.role, kind, action) {
        Reach::None => Scope::Nothing,
        Reach::Own => Scope::Own(actor.user_id),
        Reach::Team if actor.teams.is_empty() => Scope::Own(actor.user_id),
        Reach::Team => Scope::Teams { user: actor.user_id, teams: actor.teams.clone() },
        Reach::All => Scope::All,
    }
}

fn within(scope: &Scope, record: Ownership) -> bool {
    match scope {
        Scope::Nothing => false,
        Scope::All => true,
        Scope::Own(me) => record.owner_id == Some(*me),
        Scope::Teams { user, teams } => {
            record.owner_id == Some(*user) || record.owner_team.is_some_and(|t| teams.contains(&t))
        }
    }
}

/// Checks one action on one record. A record the actor may not even read is reported as
/// not found (so ids of other people's records reveal nothing); a record they can read but
/// not change is forbidden.
pub fn check_record(actor: &Actor, kind: RecordKind, action: Action, record: Ownership) -> Result<()> {
    if !within(&scope(actor, kind, Action::Read), record) {
        return Err(Error::NotFound(kind_name(kind)));
    }
    if action != Action::Read && !within(&scope(actor, kind, action), record) {
        return Err(Error::Forbidden(format!("your role cannot {} this {}", action_name(action), kind_name(kind))));
    }
    Ok(())
}

/// As [`check_record`] for a record with co-owners (deals): a co-owner reads, changes and
/// exports it as its owner would, but deleting needs the reach of the main owner.
pub fn check_shared_record(
    actor: &Actor,
    kind: RecordKind,
    action: Action,
    record: Ownership,
    co_owners: &[Uuid],
) -> Result<()> {
    if !co_owners.contains(&actor.user_id) {
        return check_record(actor, kind, action, record);
    }
    let as_owner = Ownership { owner_id: Some(actor.user_id), owner_team: record.owner_team };
    check_record(actor, kind, Action::Read, as_owner)?;
    match action {
        Action::Delete => {
            if within(&scope(actor, kind, action), record) {
                Ok(())
            } else {
                Err(Error::Forbidden(format!("only the owner of this {} can delete it", kind_name(kind))))
            }
        }
        _ => check_record(actor, kind, action, as_owner),
    }
}

/// Checks that the actor may create a record owned by `owner`.
pub fn check_create(actor: &Actor, kind: RecordKind, owner: Ownership) -> Result<()> {
    let s = scope(actor, kind, Action::Create);
    if s == Scope::Nothing {
        return Err(Error::Forbidden(format!("your role cannot create a {}", kind_name(kind))));
    }
    if !within(&s, owner) {
        return Err(Error::Forbidden(format!("your role cannot give a {} to that owner", kind_name(kind))));
    }
    Ok(())
}

/// Who a task involves: its assignee (whose team decides the role's reach) and its creator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskParties {
    pub assignee: Ownership,
    pub creator: Option<Uuid>,
}

/// Checks one action on a task. Its assignee and its creator read and change it (and the
/// creator deletes it) whatever their role's reach, unless the role is read-only; everyone
/// else as their role reaches the assignee (deleting too, but not a task handed to them). (Readers of the record a task is about see it
/// too: the service checks that record.)
pub fn check_task(actor: &Actor, action: Action, t: TaskParties) -> Result<()> {
    let me = Some(actor.user_id);
    let involved = t.assignee.owner_id == me || t.creator == me;
    if !involved && !within(&scope(actor, RecordKind::Task, Action::Read), t.assignee) {
        return Err(Error::NotFound("task"));
    }
    if action == Action::Read {
        return Ok(());
    }
    let writer = actor.role != Role::Readonly;
    let by_role = within(&scope(actor, RecordKind::Task, action), t.assignee);
    let allowed = match action {
        // A task handed to you is not yours to delete: its creator (or a head) decides.
        Action::Delete => (writer && t.creator == me) || (by_role && t.assignee.owner_id != me),
        _ => by_role || (writer && involved),
    };
    if allowed { Ok(()) } else { Err(Error::Forbidden(format!("your role cannot {} this task", action_name(action)))) }
}

/// Checks that the actor may create tasks (for anyone: assigning work to colleagues is what
/// tasks are for).
pub fn check_task_create(actor: &Actor) -> Result<()> {
    if scope(actor, RecordKind::Task, Action::Create) == Scope::Nothing {
        return Err(Error::Forbidden("your role cannot create tasks".into()));
    }
    Ok(())
}

/// Checks an administrative area.
pub fn check_area(actor: &Actor, area: Area, action: Action) -> Result<()> {
    let allowed = matches!(
        (actor.role, area, action),
        (Role::Admin, _, _)
            | (_, Area::Directory | Area::Catalogue | Area::Stock, Action::Read)
            | (Role::Head, Area::Audit, Action::Read)
            | (Role::Head, Area::Stock, _)
    );
    if allowed {
        Ok(())
    } else {
        Err(Error::Forbidden(match area {
            Area::Directory | Area::ManageUsers => "only an administrator can manage users and teams".into(),
            Area::Settings => "only an administrator can change settings".into(),
            Area::Audit => "only administrators and heads of sales can read the audit log".into(),
            Area::Catalogue => "only an administrator can change the product catalogue".into(),
            Area::Stock => "only administrators and heads of sales can change stock".into(),
        }))
    }
}

fn kind_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Contact => "contact",
        RecordKind::Company => "company",
        RecordKind::Deal => "deal",
        RecordKind::Lead => "lead",
        RecordKind::Task => "task",
        RecordKind::Conversation => "conversation",
    }
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Read => "read",
        Action::Create => "create",
        Action::Update => "change",
        Action::Delete => "delete",
        Action::Export => "export",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, id: u128, teams: &[u128]) -> Actor {
        Actor {
            user_id: Uuid::from_u128(id),
            name: format!("u{id}"),
            role,
            teams: teams.iter().map(|t| Uuid::from_u128(*t)).collect(),
            kind: ActorKind::Session,
        }
    }

    fn owned(owner: u128, team: Option<u128>) -> Ownership {
        Ownership { owner_id: Some(Uuid::from_u128(owner)), owner_team: team.map(Uuid::from_u128) }
    }

    /// The whole matrix: role × (own record, teammate's record, outsider's record) × action.
    /// Expected: Ok, Forbidden (F) or NotFound (N).
    #[test]
    fn permission_matrix() {
        let me = 1;
        let team = 100;
        let own = owned(me, Some(team));
        let mate = owned(2, Some(team));
        let outsider = owned(3, Some(200));
        let actions = [Action::Read, Action::Update, Action::Delete, Action::Export];
        // (role, record, expected per action in `actions` order)
        let table: Vec<(Role, Ownership, [&str; 4])> = vec![
            (Role::Admin, own, ["ok", "ok", "ok", "ok"]),
            (Role::Admin, outsider, ["ok", "ok", "ok", "ok"]),
            (Role::Head, own, ["ok", "ok", "ok", "ok"]),
            (Role::Head, mate, ["ok", "ok", "ok", "ok"]),
            (Role::Head, outsider, ["N", "N", "N", "N"]),
            (Role::Manager, own, ["ok", "ok", "ok", "ok"]),
            (Role::Manager, mate, ["N", "N", "N", "N"]),
            (Role::Manager, outsider, ["N", "N", "N", "N"]),
            (Role::Readonly, own, ["ok", "F", "F", "F"]),
            (Role::Readonly, outsider, ["ok", "F", "F", "F"]),
        ];
        for (role, record, expected) in table {
            let a = actor(role, me, &[team]);
            for (action, want) in actions.iter().zip(expected) {
                let got = match check_record(&a, RecordKind::Contact, *action, record) {
                    Ok(()) => "ok",
                    Err(Error::Forbidden(_)) => "F",
                    Err(Error::NotFound(_)) => "N",
                    Err(e) => panic!("unexpected {e}"),
                };
                assert_eq!(got, want, "{role:?} {action:?} on {record:?}");
            }
        }
    }

    #[test]
    fn create_rules() {
        let mgr = actor(Role::Manager, 1, &[100]);
        assert!(check_create(&mgr, RecordKind::Contact, owned(1, Some(100))).is_ok());
        assert!(matches!(check_create(&mgr, RecordKind::Contact, owned(2, Some(100))), Err(Error::Forbidden(_))));
        let head = actor(Role::Head, 1, &[100]);
        assert!(check_create(&head, RecordKind::Contact, owned(2, Some(100))).is_ok());
        let ro = actor(Role::Readonly, 1, &[]);
        assert!(matches!(check_create(&ro, RecordKind::Contact, owned(1, None)), Err(Error::Forbidden(_))));
    }

    #[test]
    fn co_owners_of_deals() {
        let mgr = actor(Role::Manager, 1, &[100]);
        let others = owned(2, Some(200));
        let me = [Uuid::from_u128(1)];
        for action in [Action::Read, Action::Update, Action::Export] {
            assert!(check_shared_record(&mgr, RecordKind::Deal, action, others, &me).is_ok(), "{action:?}");
            assert!(matches!(
                check_shared_record(&mgr, RecordKind::Deal, action, others, &[]),
                Err(Error::NotFound(_))
            ));
        }
        assert!(matches!(
            check_shared_record(&mgr, RecordKind::Deal, Action::Delete, others, &me),
            Err(Error::Forbidden(_))
        ));
        let ro = actor(Role::Readonly, 1, &[]);
        assert!(matches!(
            check_shared_record(&ro, RecordKind::Deal, Action::Update, others, &me),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn tasks_are_their_assignees_and_creators() {
        let me = 1;
        let mgr = actor(Role::Manager, me, &[100]);
        let colleague = owned(2, Some(100));
        let mine = owned(me, Some(100));
        let assigned_by_me = TaskParties { assignee: colleague, creator: Some(Uuid::from_u128(me)) };
        let assigned_to_me = TaskParties { assignee: mine, creator: Some(Uuid::from_u128(2)) };
        let theirs = TaskParties { assignee: colleague, creator: Some(Uuid::from_u128(3)) };
        for a in [Action::Read, Action::Update, Action::Delete] {
            assert!(check_task(&mgr, a, assigned_by_me).is_ok(), "{a:?}");
        }
        assert!(check_task(&mgr, Action::Update, assigned_to_me).is_ok());
        assert!(matches!(check_task(&mgr, Action::Delete, assigned_to_me), Err(Error::Forbidden(_))));
        assert!(matches!(check_task(&mgr, Action::Read, theirs), Err(Error::NotFound(_))));
        let head = actor(Role::Head, 9, &[100]);
        assert!(check_task(&head, Action::Delete, theirs).is_ok());
        let ro = actor(Role::Readonly, me, &[]);
        assert!(check_task(&ro, Action::Read, assigned_to_me).is_ok());
        assert!(matches!(check_task(&ro, Action::Update, assigned_to_me), Err(Error::Forbidden(_))));
        assert!(check_task_create(&ro).is_err());
        assert!(check_task_create(&mgr).is_ok());
    }

    #[test]
    fn head_without_team_sees_only_own() {
        let head = actor(Role::Head, 1, &[]);
        assert_eq!(scope(&head, RecordKind::Deal, Action::Read), Scope::Own(Uuid::from_u128(1)));
    }

    #[test]
    fn areas() {
        for role in Role::ALL {
            let a = actor(role, 1, &[]);
            assert!(check_area(&a, Area::Directory, Action::Read).is_ok());
            assert_eq!(check_area(&a, Area::ManageUsers, Action::Create).is_ok(), role == Role::Admin);
            assert_eq!(check_area(&a, Area::Settings, Action::Update).is_ok(), role == Role::Admin);
            assert_eq!(check_area(&a, Area::Audit, Action::Read).is_ok(), matches!(role, Role::Admin | Role::Head));
            assert!(check_area(&a, Area::Catalogue, Action::Read).is_ok());
            assert_eq!(check_area(&a, Area::Catalogue, Action::Update).is_ok(), role == Role::Admin);
            assert_eq!(check_area(&a, Area::Stock, Action::Create).is_ok(), matches!(role, Role::Admin | Role::Head));
        }
    }
}
