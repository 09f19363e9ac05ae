//! The scope a background effect runs in, so that the store can honour it inside the
//! transaction of the change without every store method taking extra arguments:
//!
//! - the **effect key**: the first audited write made in the scope records the key (table
//!   `job_effects`) in its own transaction; a key that is there already makes that write
//!   fail with [`effect_done`] and roll back. An action whose worker died after committing
//!   is therefore not done again by the worker that takes the job over.
//! - the **origin**: domain events written in the scope carry the depth and the chain of
//!   automation rules that caused them, which is how rules are kept from re-triggering
//!   themselves endlessly.

use std::future::Future;
use std::sync::Mutex;

use uuid::Uuid;

use crate::error::Error;

/// What the code running now was caused by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// 0 for a change made by a person; each automation action adds one.
    pub depth: u32,
    /// The rules whose actions led to this change, oldest first.
    pub chain: Vec<Uuid>,
}

#[derive(Debug, Default)]
struct Scope {
    effect: Option<(String, Option<Uuid>)>,
    origin: Origin,
}

tokio::task_local! {
    static SCOPE: Mutex<Scope>;
}

const DONE: &str = "this effect was applied already";

/// Runs `f` with `key` as the effect key of its first audited write (made by job `job`),
/// and `origin` as the origin of the events it writes.
pub async fn with_effect<F: Future>(key: Option<String>, job: Option<Uuid>, origin: Origin, f: F) -> F::Output {
    SCOPE.scope(Mutex::new(Scope { effect: key.map(|k| (k, job)), origin }), f).await
}

/// The effect key not yet used in this scope, taken (so that a second write of the same
/// action is not refused).
pub fn take_effect_key() -> Option<(String, Option<Uuid>)> {
    SCOPE.try_with(|s| s.lock().ok().and_then(|mut s| s.effect.take())).ok().flatten()
}

/// Puts a key back after its write failed (and rolled back) for another reason.
pub fn restore_effect_key(key: (String, Option<Uuid>)) {
    let _ = SCOPE.try_with(|s| {
        if let Ok(mut s) = s.lock() {
            s.effect = Some(key);
        }
    });
}

/// The origin of what runs now (depth 0, no rules, outside any scope).
pub fn origin() -> Origin {
    SCOPE.try_with(|s| s.lock().map(|s| s.origin.clone()).unwrap_or_default()).unwrap_or_default()
}

/// The error of a write whose effect key was recorded already.
pub fn effect_done() -> Error {
    Error::Conflict { message: DONE.into(), field: Some("effect_key".into()), existing_id: None }
}

/// Whether `e` says the effect had been applied already.
pub fn is_effect_done(e: &Error) -> bool {
    matches!(e, Error::Conflict { message, field: Some(f), .. } if message == DONE && f == "effect_key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_key_is_taken_once_and_the_origin_seen_inside() {
        assert_eq!(take_effect_key(), None);
        let rule = Uuid::nil();
        let origin = Origin { depth: 2, chain: vec![rule] };
        with_effect(Some("k".into()), None, origin.clone(), async {
            assert_eq!(super::origin(), origin);
            let k = take_effect_key();
            assert_eq!(k, Some(("k".to_owned(), None)));
            assert_eq!(take_effect_key(), None);
            restore_effect_key(("k".into(), None));
            assert_eq!(take_effect_key().map(|k| k.0), Some("k".to_owned()));
        })
        .await;
        assert_eq!(super::origin().depth, 0);
        assert!(is_effect_done(&effect_done()));
    }
}
