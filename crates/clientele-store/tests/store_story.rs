//! The storage story: one sequence of checks run against SQLite always, and against
//! PostgreSQL when CLIENTELE_TEST_DATABASE_URL is set. Each test gets its own database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use chrono::{Duration, Utc};
use clientele_core::Error;
use clientele_core::domain::audit::{AuditEntry, AuditFilter};
use clientele_core::domain::auth::{ApiToken, IdempotencyBegin, IdempotentResponse, Session};
use clientele_core::domain::page::PageRequest;
use clientele_core::domain::team::Team;
use clientele_core::domain::user::{Role, User, UserWithSecret};
use clientele_core::domain::{new_id, now};
use clientele_core::store::{
    AuditStore, IdempotencyStore, RateLimitStore, SessionStore, TeamStore, TokenStore, UserStore,
};
use clientele_store::SqlStore;
use clientele_store::migrate::{self, Migration};
use clientele_store::testing::{TestDb, postgres_url};
use uuid::Uuid;

/// Runs `$body` (an async fn taking a `SqlStore`) on each backend as its own test.
macro_rules! story {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = clientele_store::testing::TestDb::sqlite().await.unwrap();
                super::$name(db.store().await.unwrap(), &db).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(url) = clientele_store::testing::postgres_url() else {
                    eprintln!("CLIENTELE_TEST_DATABASE_URL not set: PostgreSQL story skipped");
                    return;
                };
                let db = clientele_store::testing::TestDb::postgres(&url).await.unwrap();
                super::$name(db.store().await.unwrap(), &db).await;
            }
        }
    };
}

fn audit(entity_type: &str, entity_id: Uuid, action: &str) -> AuditEntry {
    AuditEntry {
        id: new_id(),
        at: now(),
        actor_id: None,
        actor_name: "test".into(),
        action: action.into(),
        entity_type: entity_type.into(),
        entity_id,
        changes: serde_json::json!({"name": {"new": "x"}}),
    }
}

fn user(email: &str, name: &str, role: Role) -> UserWithSecret {
    let at = now();
    UserWithSecret {
        user: User {
            id: new_id(),
            version: 1,
            email: email.into(),
            name: name.into(),
            role,
            team_id: None,
            locale: None,
            time_zone: "UTC".into(),
            active: true,
            last_login_at: None,
            created_at: at,
            updated_at: at,
        },
        password_hash: "$argon2id$fake".into(),
    }
}

fn page(sort: &str, limit: u32, cursor: Option<&str>) -> PageRequest {
    PageRequest::parse(Some(limit), cursor, Some(sort), &["name", "email", "created_at"], "name").unwrap()
}

story!(users_round_trip_and_unique_email);
async fn users_round_trip_and_unique_email(s: SqlStore, _db: &TestDb) {
    let u = user("anna@example.com", "Анна Петрова", Role::Manager);
    s.insert_user(&u, &audit("user", u.user.id, "create")).await.unwrap();
    assert_eq!(s.count_users().await.unwrap(), 1);
    let back = s.get_user(u.user.id).await.unwrap().unwrap();
    assert_eq!(back, u.user, "a user reads back exactly as written");
    let with_secret = s.get_user_with_secret("anna@example.com").await.unwrap().unwrap();
    assert_eq!(with_secret.password_hash, "$argon2id$fake");

    let dup = user("anna@example.com", "Other", Role::Admin);
    let err = s.insert_user(&dup, &audit("user", dup.user.id, "create")).await.unwrap_err();
    assert!(matches!(err, Error::Conflict { field: Some(ref f), .. } if f == "email"), "{err:?}");
    assert_eq!(s.count_users().await.unwrap(), 1, "the failed insert left nothing behind");
    // ...and wrote no audit line for the change that did not happen.
    let log = s.list_audit(&AuditFilter::default(), &audit_page()).await.unwrap();
    assert_eq!(log.data.len(), 1);
}

fn audit_page() -> PageRequest {
    PageRequest::parse(Some(100), None, Some("-at"), &["at"], "-at").unwrap()
}

story!(optimistic_versions);
async fn optimistic_versions(s: SqlStore, _db: &TestDb) {
    let u = user("boris@example.com", "Boris", Role::Manager);
    s.insert_user(&u, &audit("user", u.user.id, "create")).await.unwrap();
    let mut next = u.user.clone();
    next.name = "Boris B.".into();
    next.version = 2;
    s.update_user(&next, 1, &audit("user", u.user.id, "update")).await.unwrap();
    // A second writer still holding version 1 must not overwrite.
    let mut stale = u.user.clone();
    stale.name = "Stale".into();
    stale.version = 2;
    let err = s.update_user(&stale, 1, &audit("user", u.user.id, "update")).await.unwrap_err();
    assert!(matches!(err, Error::PreconditionFailed { current: 2 }), "{err:?}");
    assert_eq!(s.get_user(u.user.id).await.unwrap().unwrap().name, "Boris B.");
    let missing = User { id: new_id(), ..next };
    let err = s.update_user(&missing, 1, &audit("user", missing.id, "update")).await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)));
}

story!(keyset_pages_are_stable_under_inserts);
async fn keyset_pages_are_stable_under_inserts(s: SqlStore, _db: &TestDb) {
    for i in 0..7 {
        let u = user(&format!("u{i}@example.com"), &format!("User {i}"), Role::Manager);
        s.insert_user(&u, &audit("user", u.user.id, "create")).await.unwrap();
    }
    let p1 = s.list_users(&page("name", 3, None), None).await.unwrap();
    assert_eq!(p1.data.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), ["User 0", "User 1", "User 2"]);
    // A row inserted before the cursor must not shift the next page.
    let early = user("a@example.com", "Aaron", Role::Manager);
    s.insert_user(&early, &audit("user", early.user.id, "create")).await.unwrap();
    let p2 = s.list_users(&page("name", 3, p1.next_cursor.as_deref()), None).await.unwrap();
    assert_eq!(p2.data.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), ["User 3", "User 4", "User 5"]);
    let p3 = s.list_users(&page("name", 3, p2.next_cursor.as_deref()), None).await.unwrap();
    assert_eq!(p3.data.len(), 1);
    assert!(p3.next_cursor.is_none());
    // Descending by creation time, and search.
    let newest = s.list_users(&page("-created_at", 2, None), None).await.unwrap();
    assert_eq!(newest.data[0].name, "Aaron");
    let more = s.list_users(&page("-created_at", 2, newest.next_cursor.as_deref()), None).await.unwrap();
    assert_eq!(more.data[0].name, "User 5");
    let found = s.list_users(&page("name", 10, None), Some("user 4")).await.unwrap();
    assert_eq!(found.data.len(), 1);
    let none = s.list_users(&page("name", 10, None), Some("100%_")).await.unwrap();
    assert!(none.data.is_empty(), "LIKE wildcards in the search text are literal");
}

story!(teams_nest_and_refuse_deletion_with_members);
async fn teams_nest_and_refuse_deletion_with_members(s: SqlStore, _db: &TestDb) {
    let at = now();
    let sales =
        Team { id: new_id(), version: 1, name: "Sales".into(), parent_id: None, created_at: at, updated_at: at };
    let east = Team {
        id: new_id(),
        version: 1,
        name: "Sales East".into(),
        parent_id: Some(sales.id),
        created_at: at,
        updated_at: at,
    };
    s.insert_team(&sales, &audit("team", sales.id, "create")).await.unwrap();
    s.insert_team(&east, &audit("team", east.id, "create")).await.unwrap();
    let dup = Team { id: new_id(), name: "sales".into(), ..sales.clone() };
    assert!(matches!(s.insert_team(&dup, &audit("team", dup.id, "create")).await, Err(Error::Conflict { .. })));
    let mut u = user("c@example.com", "C", Role::Manager);
    u.user.team_id = Some(east.id);
    s.insert_user(&u, &audit("user", u.user.id, "create")).await.unwrap();
    assert!(matches!(
        s.delete_team(sales.id, None, &audit("team", sales.id, "delete")).await,
        Err(Error::Conflict { .. })
    ));
    assert!(matches!(
        s.delete_team(east.id, None, &audit("team", east.id, "delete")).await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(s.list_teams().await.unwrap().len(), 2);
}

story!(sessions_tokens_and_failures);
async fn sessions_tokens_and_failures(s: SqlStore, _db: &TestDb) {
    let u = user("d@example.com", "D", Role::Admin);
    s.insert_user(&u, &audit("user", u.user.id, "create")).await.unwrap();
    let at = now();
    let sess = Session {
        id_hash: "h1".into(),
        user_id: u.user.id,
        csrf_token: "csrf".into(),
        created_at: at,
        expires_at: at + Duration::days(1),
        last_seen_at: at,
        ip: Some("127.0.0.1".into()),
        user_agent: None,
    };
    s.insert_session(&sess).await.unwrap();
    assert_eq!(s.get_session("h1").await.unwrap().unwrap(), sess);
    let later = at + Duration::hours(1);
    s.touch_session("h1", later, later + Duration::days(1)).await.unwrap();
    assert_eq!(s.get_session("h1").await.unwrap().unwrap().last_seen_at, later);
    s.insert_session(&Session { id_hash: "h2".into(), ..sess.clone() }).await.unwrap();
    assert_eq!(s.delete_user_sessions(u.user.id, Some("h2")).await.unwrap(), 1);
    assert!(s.get_session("h1").await.unwrap().is_none());
    assert_eq!(s.delete_expired_sessions(at + Duration::days(3)).await.unwrap(), 1);

    let tok = ApiToken {
        id: new_id(),
        version: 1,
        user_id: u.user.id,
        name: "CI".into(),
        prefix: "clt_abc".into(),
        created_at: at,
        updated_at: at,
        last_used_at: None,
        expires_at: None,
        revoked_at: None,
    };
    s.insert_token(&tok, "hash-1", &audit("api_token", tok.id, "create")).await.unwrap();
    assert_eq!(s.get_token_by_hash("hash-1").await.unwrap().unwrap(), tok);
    assert_eq!(s.list_tokens(Some(u.user.id)).await.unwrap().len(), 1);
    assert!(s.list_tokens(Some(Uuid::now_v7())).await.unwrap().is_empty());
    s.revoke_token(tok.id, later, &audit("api_token", tok.id, "revoke")).await.unwrap();
    let revoked = s.get_token(tok.id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(later));
    assert!(!revoked.is_usable(Utc::now()));

    for _ in 0..3 {
        s.record_auth_failure("email:d@example.com", at).await.unwrap();
    }
    let (n, oldest) = s.count_auth_failures("email:d@example.com", at - Duration::minutes(1)).await.unwrap();
    assert_eq!((n, oldest), (3, Some(at)));
    assert_eq!(s.count_auth_failures("email:d@example.com", at).await.unwrap().0, 0, "window is exclusive");
    s.clear_auth_failures("email:d@example.com").await.unwrap();
    assert_eq!(s.count_auth_failures("email:d@example.com", at - Duration::minutes(1)).await.unwrap().0, 0);
}

story!(idempotency_keys);
async fn idempotency_keys(s: SqlStore, _db: &TestDb) {
    let user = Uuid::now_v7();
    let at = now();
    assert_eq!(s.idempotency_begin(user, "k1", "req-a", at).await.unwrap(), IdempotencyBegin::Proceed);
    assert_eq!(s.idempotency_begin(user, "k1", "req-a", at).await.unwrap(), IdempotencyBegin::InProgress);
    assert_eq!(s.idempotency_begin(user, "k1", "req-b", at).await.unwrap(), IdempotencyBegin::Mismatch);
    let resp =
        IdempotentResponse { status: 201, content_type: "application/json".into(), body: b"{\"id\":1}".to_vec() };
    s.idempotency_complete(user, "k1", &resp).await.unwrap();
    assert_eq!(s.idempotency_begin(user, "k1", "req-a", at).await.unwrap(), IdempotencyBegin::Replay(resp));
    // Keys are per user.
    assert_eq!(s.idempotency_begin(Uuid::now_v7(), "k1", "req-a", at).await.unwrap(), IdempotencyBegin::Proceed);
    s.idempotency_abort(user, "k1").await.unwrap();
    assert_eq!(s.idempotency_begin(user, "k1", "req-a", at).await.unwrap(), IdempotencyBegin::Proceed);
    assert_eq!(s.idempotency_purge(at + Duration::seconds(1)).await.unwrap(), 2);
}

story!(audit_filters_and_paging);
async fn audit_filters_and_paging(s: SqlStore, _db: &TestDb) {
    let a = Uuid::now_v7();
    let b = Uuid::now_v7();
    let actor = Uuid::now_v7();
    for i in 0..5 {
        let mut e = audit("contact", if i % 2 == 0 { a } else { b }, "update");
        e.actor_id = (i < 2).then_some(actor);
        e.changes = serde_json::json!({"n": {"old": i, "new": i + 1}});
        s.append_audit(&e).await.unwrap();
    }
    let only_a = AuditFilter { entity_id: Some(a), ..Default::default() };
    let got = s.list_audit(&only_a, &audit_page()).await.unwrap();
    assert_eq!(got.data.len(), 3);
    assert!(got.data.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(got.data[0].changes, serde_json::json!({"n": {"old": 4, "new": 5}}));
    let by_actor = AuditFilter { actor_id: Some(actor), ..Default::default() };
    assert_eq!(s.list_audit(&by_actor, &audit_page()).await.unwrap().data.len(), 2);
    let future = AuditFilter { from: Some(now() + Duration::hours(1)), ..Default::default() };
    assert!(s.list_audit(&future, &audit_page()).await.unwrap().data.is_empty());
    let p = |c: Option<&str>| PageRequest::parse(Some(2), c, Some("-at"), &["at"], "-at").unwrap();
    let p1 = s.list_audit(&AuditFilter::default(), &p(None)).await.unwrap();
    let p2 = s.list_audit(&AuditFilter::default(), &p(p1.next_cursor.as_deref())).await.unwrap();
    let p3 = s.list_audit(&AuditFilter::default(), &p(p2.next_cursor.as_deref())).await.unwrap();
    assert_eq!((p1.data.len(), p2.data.len(), p3.data.len()), (2, 2, 1));
    assert!(p3.next_cursor.is_none());
    assert!(p1.data[1].id > p2.data[0].id);
}

story!(migrations_are_atomic_and_idempotent);
async fn migrations_are_atomic_and_idempotent(s: SqlStore, db: &TestDb) {
    // Already migrated by the harness: running again applies nothing.
    let again = migrate::migrate(s.db()).await.unwrap();
    assert!(again.applied.is_empty());
    assert_eq!(again.from_version, again.to_version);
    s.db().close().await;

    // A release with two new migrations, the second broken: neither may stick.
    let store = clientele_store::connect(&db.url, &Default::default()).await.unwrap();
    let mut list = migrate::migrations_for(store.db().backend()).to_vec();
    let next = list.last().unwrap().version + 1;
    list.push(Migration { version: next, name: "good", sql: "CREATE TABLE extra_good (id INTEGER PRIMARY KEY)" });
    list.push(Migration {
        version: next + 1,
        name: "broken",
        sql: "CREATE TABLE extra_bad (id INTEGER PRIMARY KEY); SELEC nonsense",
    });
    let err = migrate::migrate_with(store.db(), &list).await.unwrap_err();
    assert!(format!("{err:#}").contains("broken"), "{err:#}");
    let tables: i64 = store
        .db()
        .fetch_scalar(
            match store.db().backend() {
                clientele_store::Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'extra_%'",
                clientele_store::Backend::Postgres => {
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE 'extra_%' AND table_schema = current_schema()"
                }
            },
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(tables, 0, "a failed migration run leaves the database as it was");
    // Fixed release: both apply in one step.
    list.pop();
    list.push(Migration { version: next + 1, name: "fixed", sql: "CREATE TABLE extra_fixed (id INTEGER PRIMARY KEY)" });
    let report = migrate::migrate_with(store.db(), &list).await.unwrap();
    assert_eq!(report.applied, vec![next, next + 1]);
    // An older binary refuses a newer database instead of corrupting it.
    let err = migrate::migrate(store.db()).await.unwrap_err();
    assert!(format!("{err:#}").contains("newer"), "{err:#}");
}

#[test]
fn postgres_configured_note() {
    if postgres_url().is_none() {
        eprintln!("note: set CLIENTELE_TEST_DATABASE_URL to run the PostgreSQL half of the story");
    }
}
