//! Credentials: stored and changed only with the events that record them, and
//! found again by what the application looks them up by.

use chrono::{Duration, TimeZone, Utc};
use kroonika_store::credentials::{FailureRow, PasswordRow, SessionRow, TokenRow};
use kroonika_store::{CredentialChange, ExpectedRevision, LockedRead, StreamName, Write};
use kroonika_tests::{TestStore, event};
use serde_json::json;
use uuid::Uuid;

use super::contract;

contract!(
    credentials_change_with_their_events_or_not_at_all,
    sessions_are_found_touched_and_swept,
    failures_are_read_under_the_lock,
);

fn stream(name: &str) -> StreamName {
    StreamName::new(name).unwrap()
}

async fn credentials_change_with_their_events_or_not_at_all(t: &TestStore) {
    let at = Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
    let auth = stream("auth-mari");
    let password = PasswordRow {
        actor: "mari".into(),
        hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        set_at: at,
    };
    let token = TokenRow {
        id: Uuid::now_v7(),
        actor: "mari".into(),
        hash: Some(vec![9; 32]),
        note: "intake".into(),
        issued_by: "anu".into(),
        issued_at: at,
        expires_at: Some(at + Duration::days(90)),
        revoked_at: None,
    };
    // A write whose expectation fails changes no credential either.
    let mut stale = Write::append(
        &auth,
        ExpectedRevision::Exact(4),
        vec![event("PasswordSet", json!({}))],
    );
    stale.credentials = vec![
        CredentialChange::SetPassword(password.clone()),
        CredentialChange::IssueToken(token.clone()),
    ];
    t.store.write(&stale).await.unwrap_err();
    assert_eq!(t.store.password("mari").await.unwrap(), None);
    assert_eq!(t.store.token(token.id).await.unwrap(), None);

    let mut good = stale.clone();
    good.streams[0].expected = ExpectedRevision::NoStream;
    t.store.write(&good).await.unwrap();
    assert_eq!(t.store.password("mari").await.unwrap(), Some(password));
    assert_eq!(t.store.token(token.id).await.unwrap(), Some(token.clone()));
    assert_eq!(t.store.tokens().await.unwrap(), vec![token.clone()]);

    // Revoking forgets the hash; revoking again changes nothing more.
    for when in [at + Duration::hours(1), at + Duration::hours(2)] {
        let mut revoke = Write::append(
            &auth,
            ExpectedRevision::Any,
            vec![event("TokenRevoked", json!({}))],
        );
        revoke.credentials = vec![CredentialChange::RevokeToken {
            id: token.id,
            at: when,
        }];
        t.store.write(&revoke).await.unwrap();
    }
    let revoked = t.store.token(token.id).await.unwrap().unwrap();
    assert_eq!(revoked.hash, None);
    assert_eq!(revoked.revoked_at, Some(at + Duration::hours(1)));
}

async fn sessions_are_found_touched_and_swept(t: &TestStore) {
    let at = Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
    let session = |n: u8, actor: &str, expires| SessionRow {
        secret_hash: vec![n; 32],
        id: Uuid::now_v7(),
        actor: actor.into(),
        csrf: format!("csrf{n}"),
        created_at: at,
        seen_at: at,
        expires_at: expires,
    };
    let (a, b, c) = (
        session(1, "mari", at + Duration::hours(8)),
        session(2, "mari", at + Duration::hours(8)),
        session(3, "jaan", at - Duration::hours(1)),
    );
    let write = Write {
        credentials: [&a, &b, &c]
            .into_iter()
            .map(|s| CredentialChange::OpenSession(s.clone()))
            .collect(),
        ..Write::default()
    };
    t.store.write(&write).await.unwrap();
    assert_eq!(t.store.session(&[1; 32]).await.unwrap(), Some(a.clone()));
    assert_eq!(t.store.session(&[4; 32]).await.unwrap(), None);

    // Touched: seen later, never earlier.
    t.store
        .touch_session(a.id, at + Duration::minutes(5))
        .await
        .unwrap();
    t.store.touch_session(a.id, at).await.unwrap();
    let seen = t.store.session(&[1; 32]).await.unwrap().unwrap().seen_at;
    assert_eq!(seen, at + Duration::minutes(5));

    assert_eq!(t.store.sweep_sessions(at).await.unwrap(), 1, "jaan's");
    assert_eq!(t.store.session(&[3; 32]).await.unwrap(), None);

    let close = Write {
        credentials: vec![CredentialChange::CloseSessionsOf {
            actor: "mari".into(),
        }],
        ..Write::default()
    };
    t.store.write(&close).await.unwrap();
    assert_eq!(t.store.session(&[1; 32]).await.unwrap(), None);
    assert_eq!(t.store.session(&[2; 32]).await.unwrap(), None);
}

async fn failures_are_read_under_the_lock(t: &TestStore) {
    let at = Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
    let name = vec![5u8; 32];
    let auth = stream("auth-mari");
    // Five failures in a row, each counted under the lock from the last.
    for n in 1..=5u32 {
        let read = LockedRead {
            failures_of: Some(name.clone()),
            ..LockedRead::default()
        };
        t.store
            .write_locked(&read, |locked| {
                let before = locked.failures.as_ref().map_or(0, |f| f.failures);
                assert_eq!(before, n - 1);
                let mut write = Write::append(
                    &auth,
                    ExpectedRevision::Any,
                    vec![event("SignInFailed", json!({}))],
                );
                write.credentials = vec![CredentialChange::SetFailures(FailureRow {
                    name_hash: name.clone(),
                    failures: before + 1,
                    last_at: at,
                    locked_until: (before + 1 >= 5).then(|| at + Duration::minutes(15)),
                })];
                Ok::<_, std::convert::Infallible>(Some(write))
            })
            .await
            .unwrap();
    }
    let row = t.store.sign_in_failures(&name).await.unwrap().unwrap();
    assert_eq!(row.failures, 5);
    assert_eq!(row.locked_until, Some(at + Duration::minutes(15)));
    let clear = Write {
        credentials: vec![CredentialChange::ClearFailures {
            name_hash: name.clone(),
        }],
        ..Write::default()
    };
    t.store.write(&clear).await.unwrap();
    assert_eq!(t.store.sign_in_failures(&name).await.unwrap(), None);
}
