//! One transaction per change: the write, its events and its idempotent response commit
//! together or not at all, whatever fails and whenever a client hangs up.

use std::sync::atomic::Ordering;

use oneonone_persistence::events::{LogPosition, LogQuery, Reader};
use oneonone_persistence::{Database, EventActor, NewEvent, StoreError, Tx};
use oneonone_tests::*;
use reqwest::Method;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

fn create_person(app: &TestApp, key: &str, email: &str) -> reqwest::RequestBuilder {
    app.request(Method::POST, "/api/v1/people", Some(&app.admin_token))
        .header("idempotency-key", key)
        .json(&json!({"email": email, "display_name": "Keyed"}))
}

async fn person_events(app: &TestApp, id: Uuid) -> Vec<String> {
    app.db
        .events_of("person", id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// The change commits, then the answer is lost (a crash, a dropped connection): the retry
/// replays the first answer, status, body, `Location` and `ETag`, and nothing is made twice.
#[tokio::test]
async fn a_lost_answer_is_replayed_to_the_retry() {
    let app = spawn_app().await;
    let before = app.count_people().await;
    app.faults.after_commit.store(1, Ordering::SeqCst);
    app.send(create_person(&app, "lost-answer", "lost@example.com"))
        .await
        .expect(500);
    assert_eq!(app.count_people().await, before + 1, "the change committed");
    let retry = app
        .send(create_person(&app, "lost-answer", "lost@example.com"))
        .await
        .expect(201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.header("etag"), Some("\"v1\""));
    let id = retry.id();
    assert_eq!(
        retry.header("location"),
        Some(format!("/api/v1/people/{id}").as_str())
    );
    app.get(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await
        .expect(200);
    assert_eq!(app.count_people().await, before + 1);
    assert_eq!(person_events(&app, id).await, ["person.created"]);
}

/// The change fails after writing everything, before the commit: nothing remains, not the
/// person, not the event, not the key; the retry performs the change once.
#[tokio::test]
async fn a_failure_before_the_commit_leaves_nothing_and_the_retry_runs() {
    let app = spawn_app().await;
    let before = app.count_people().await;
    app.faults.before_commit.store(1, Ordering::SeqCst);
    app.send(create_person(&app, "rolled-back", "rb@example.com"))
        .await
        .expect(500);
    assert_eq!(app.count_people().await, before);
    let retry = app
        .send(create_person(&app, "rolled-back", "rb@example.com"))
        .await
        .expect(201);
    assert_eq!(retry.header("idempotent-replayed"), None);
    assert_eq!(app.count_people().await, before + 1);
    assert_eq!(person_events(&app, retry.id()).await, ["person.created"]);
}

/// Many copies of one keyed create at once: one person, every copy answered with it.
#[tokio::test]
async fn racing_copies_of_one_keyed_create_make_one_record() {
    let app = spawn_app().await;
    let before = app.count_people().await;
    let copies = (0..12).map(|_| app.send(create_person(&app, "race", "race@example.com")));
    let replies = futures_util::future::join_all(copies).await;
    let mut ids = Vec::new();
    for r in replies {
        let r = r.expect(201);
        ids.push(r.id());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every copy names the same person");
    assert_eq!(app.count_people().await, before + 1);
}

/// Clients that send a keyed create and hang up at once: every key is usable right after, and
/// each key made exactly one person (no `idempotency_in_progress` that outlives a request).
#[tokio::test]
async fn clients_that_hang_up_leave_no_stuck_keys() {
    let app = spawn_app().await;
    let before = app.count_people().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    const N: usize = 30;
    for i in 0..N {
        let body =
            json!({"email": format!("hangup{i}@example.com"), "display_name": "Gone"}).to_string();
        let request = format!(
            "POST /api/v1/people HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {}\r\n\
             content-type: application/json\r\nidempotency-key: hangup-{i}\r\n\
             content-length: {}\r\n\r\n{body}",
            app.admin_token,
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        drop(stream);
    }
    for i in 0..N {
        let r = app
            .send(
                app.request(Method::POST, "/api/v1/people", Some(&app.admin_token))
                    .header("idempotency-key", format!("hangup-{i}"))
                    .json(
                        &json!({"email": format!("hangup{i}@example.com"), "display_name": "Gone"}),
                    ),
            )
            .await
            .expect(201);
        assert_eq!(r.body["email"], format!("hangup{i}@example.com"));
    }
    assert_eq!(app.count_people().await, before + N);
}

/// Every change of a person is in the log, by whom, with the names of changed fields only.
#[tokio::test]
async fn changes_of_people_are_logged_with_their_actor() {
    let app = spawn_app().await;
    let id = app
        .create_person("logged@example.com", "Logged", None)
        .await;
    app.patch(
        &format!("/api/v1/people/{id}"),
        &app.admin_token,
        &json!({"title": "Secret title text"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/people/{id}/deactivate"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect(200);
    // A refused change logs nothing.
    app.patch(
        &format!("/api/v1/people/{id}"),
        &app.admin_token,
        &json!({"email": "not an email"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let events = app.db.events_of("person", id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["person.created", "person.updated", "person.deactivated"]
    );
    assert!(events.iter().all(|e| e.actor_id == Some(app.admin_id)));
    assert!(events[1].data.contains("\"title\""));
    assert!(!events.iter().any(|e| e.data.contains("Secret")));
    let positions: Vec<(i64, i64)> = events.iter().map(|e| (e.txid, e.position)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
}

/// A private talking point's event is its author's alone: the other participant's and HR's
/// reads of the log do not show it; a shared one is the pair's, never HR's (content).
#[tokio::test]
async fn the_log_shows_each_reader_only_what_they_may_know() {
    let app = spawn_app().await;
    let p = app.one_on_one().await;
    let meeting = &p.meetings[0];
    let private = app
        .post(
            &format!("/api/v1/meetings/{meeting}/agenda-items"),
            &p.report_token,
            &json!({"title": "Thinking of leaving", "private": true}),
        )
        .await
        .expect(201)
        .id();
    let shared = app
        .post(
            &format!("/api/v1/meetings/{meeting}/agenda-items"),
            &p.report_token,
            &json!({"title": "Roadmap"}),
        )
        .await
        .expect(201)
        .id();
    let read = |reader: Reader| {
        let db: Database = app.db.clone();
        async move {
            let q = LogQuery {
                after: LogPosition::default(),
                limit: 1000,
                reader,
                subject_types: vec![],
            };
            let (events, _) = db.read_log(&q).await.unwrap();
            events.into_iter().map(|e| e.subject_id).collect::<Vec<_>>()
        }
    };
    // On PostgreSQL the log is readable up to the cluster's oldest running transaction: wait
    // until the last change is readable, as a reader following the log would.
    for _ in 0..200 {
        if read(Reader::System).await.contains(&shared) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let report_sees = read(Reader::Person {
        id: p.report,
        all_meetings: false,
    })
    .await;
    assert!(report_sees.contains(&private) && report_sees.contains(&shared));
    let manager_sees = read(Reader::Person {
        id: p.manager,
        all_meetings: false,
    })
    .await;
    assert!(manager_sees.contains(&shared));
    assert!(!manager_sees.contains(&private), "a private item leaked");
    let hr_sees = read(Reader::Person {
        id: app.admin_id,
        all_meetings: true,
    })
    .await;
    assert!(hr_sees.contains(&p.series), "HR sees series metadata");
    assert!(!hr_sees.contains(&private) && !hr_sees.contains(&shared));
    let stranger_sees = read(Reader::Person {
        id: app.admin_id,
        all_meetings: false,
    })
    .await;
    assert!(!stranger_sees.contains(&p.series) && !stranger_sees.contains(&shared));
    let types_only = LogQuery {
        after: LogPosition::default(),
        limit: 1000,
        reader: Reader::System,
        subject_types: vec!["meeting_series".into()],
    };
    let (series_only, _) = app.db.read_log(&types_only).await.unwrap();
    assert!(!series_only.is_empty());
    assert!(
        series_only
            .iter()
            .all(|e| e.subject_type == "meeting_series")
    );
}

async fn append(tx: &mut Tx<'_>, id: Uuid) {
    tx.append_events(
        EventActor::default(),
        &[NewEvent::new("test.event", "test", id)],
    )
    .await
    .unwrap();
}

/// Two transactions take positions in one order and commit in the other: a reader never finds
/// a new event below what it has read. (On SQLite one writer commits in position order; the
/// same reads hold there trivially.)
#[tokio::test]
async fn a_late_commit_never_appears_behind_a_reader() {
    let app = spawn_app().await;
    if !matches!(app.db, Database::Postgres(_)) {
        return;
    }
    let everything = |after: LogPosition| LogQuery {
        after,
        limit: 1000,
        reader: Reader::System,
        subject_types: vec!["test".into()],
    };
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    // A change that logs an event and holds a transaction id (taken by a statement that writes
    // nothing: ids are taken in the order transactions first ask for one), then waits.
    async fn log_and_hold(tx: &mut Tx<'_>, id: Uuid) -> Result<(), StoreError> {
        append(tx, id).await;
        oneonone_persistence::on_tx!(&mut *tx, conn => {
            sqlx::query("SELECT pg_current_xact_id()").execute(&mut *conn).await?;
        });
        Ok(())
    }
    let (a_holds, a_has_begun) = tokio::sync::oneshot::channel::<()>();
    let (let_a_commit, a_may_commit) = tokio::sync::oneshot::channel::<()>();
    let db = app.db.clone();
    let a = tokio::spawn(async move {
        db.transact(move |tx| {
            Box::pin(async move {
                log_and_hold(tx, first).await?;
                let _ = a_holds.send(());
                let _ = a_may_commit.await;
                Ok::<(), StoreError>(())
            })
        })
        .await
    });
    a_has_begun.await.unwrap();
    app.db
        .transact(move |tx| Box::pin(async move { log_and_hold(tx, second).await }))
        .await
        .unwrap();
    let (seen, cursor) = app
        .db
        .read_log(&everything(LogPosition::default()))
        .await
        .unwrap();
    assert!(
        seen.is_empty(),
        "the second commit is held back while the first transaction runs: {seen:?}"
    );
    let_a_commit.send(()).unwrap();
    a.await.unwrap().unwrap();
    // The horizon is the cluster's oldest running transaction, so other tests' transactions may
    // hold it back a little: follow the log as a reader would, from the cursor, until both came.
    let mut cursor = cursor;
    let mut ids: Vec<Uuid> = Vec::new();
    for _ in 0..200 {
        let (seen, next) = app.db.read_log(&everything(cursor)).await.unwrap();
        assert!(
            seen.iter()
                .all(|e| e.log_position() > cursor && e.log_position() <= next)
        );
        ids.extend(seen.iter().map(|e| e.subject_id));
        cursor = next;
        if ids.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ids, [first, second]);
}

fn ids_of(changes: &[serde_json::Value], kind: &str) -> Vec<String> {
    changes
        .iter()
        .filter(|c| c["type"] == kind)
        .filter_map(|c| c["resource_id"].as_str().map(str::to_owned))
        .collect()
}

/// A participant keeps a copy of their 1:1s from the log: new meetings, changes, and
/// tombstones for the meetings a pause removed; nobody else's records, nobody else's private
/// points.
#[tokio::test]
async fn a_participant_syncs_their_meetings_from_the_log_with_tombstones() {
    let app = spawn_app().await;
    let p = app.one_on_one().await;
    let first = p.meetings[0].clone();
    app.post(
        &format!("/api/v1/meetings/{first}/agenda-items"),
        &p.manager_token,
        &json!({"title": "Manager's private worry", "private": true}),
    )
    .await
    .expect(201);
    let series = p.series.to_string();
    let (changes, cursor) = app
        .follow_until(&p.report_token, None, |c| {
            ids_of(c, "meeting_series.created").contains(&series)
        })
        .await;
    assert_eq!(
        ids_of(&changes, "meeting_series.created"),
        std::slice::from_ref(&series)
    );
    let scheduled = ids_of(&changes, "meeting.scheduled");
    assert_eq!(scheduled.len(), p.meetings.len());
    assert!(p.meetings.iter().all(|m| scheduled.contains(m)));
    assert!(
        ids_of(&changes, "agenda_item.added").is_empty(),
        "the manager's private point is not the report's to know about"
    );
    assert!(
        changes
            .iter()
            .all(|c| c["data"].to_string().find("worry").is_none())
    );
    // Pausing removes the upcoming meetings without content: each one comes as a tombstone.
    app.patch(
        &format!("/api/v1/meeting-series/{series}"),
        &p.manager_token,
        &json!({"paused": true}),
    )
    .await
    .expect(200);
    let (changes, _) = app
        .follow_until(&p.report_token, Some(cursor), |c| {
            !ids_of(c, "meeting.removed").is_empty()
        })
        .await;
    let removed: Vec<&serde_json::Value> = changes
        .iter()
        .filter(|c| c["type"] == "meeting.removed")
        .collect();
    assert_eq!(
        removed.len(),
        p.meetings.len() - 1,
        "all but the one with content"
    );
    for r in &removed {
        assert_eq!(r["action"], "deleted");
        assert_eq!(r["resource"], "meeting");
        let id = r["resource_id"].as_str().unwrap();
        assert_ne!(id, first);
        app.get(&format!("/api/v1/meetings/{id}"), &p.report_token)
            .await
            .expect_problem(404, "not_found");
    }
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "meeting_series.updated")
    );
    // Someone outside the pair follows the same log and finds none of it.
    let (_, outsider) = app
        .person_with_login("outsider@example.com", "Outsider", None)
        .await;
    let (theirs, _) = app
        .follow_until(&outsider, None, |c| {
            c.iter().any(|x| x["type"] == "person.created")
        })
        .await;
    assert!(
        theirs.iter().all(|c| c["resource"] == "person"),
        "{theirs:?}"
    );
}

/// HR admins and `meetings:read` tokens follow every 1:1's metadata but no content; a token
/// without `people:read` sees no people; a token with neither scope is refused; bad cursors
/// and unknown types are 400 problems.
#[tokio::test]
async fn hr_and_tokens_follow_metadata_only() {
    let app = spawn_app().await;
    let p = app.one_on_one().await;
    let item = app
        .post(
            &format!("/api/v1/meetings/{}/agenda-items", p.meetings[0]),
            &p.report_token,
            &json!({"title": "Shared point"}),
        )
        .await
        .expect(201)
        .id()
        .to_string();
    let series = p.series.to_string();
    let (hr, _) = app
        .follow_until(&app.admin_token, None, |c| {
            ids_of(c, "meeting_series.created").contains(&series)
        })
        .await;
    assert!(!hr.iter().any(|c| c["resource_id"] == item.as_str()));
    assert!(hr.iter().any(|c| c["resource"] == "person"));
    let (_, meetings_token) = app.api_token(&["meetings:read"]).await;
    let (seen, _) = app
        .follow_until(&meetings_token, None, |c| {
            ids_of(c, "meeting_series.created").contains(&series)
        })
        .await;
    assert!(
        seen.iter()
            .all(|c| c["resource"] != "person" && c["resource"] != "agenda_item")
    );
    let filtered = app
        .get("/api/v1/changes?types=meeting_series", &app.admin_token)
        .await
        .expect(200);
    assert!(
        filtered.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["resource"] == "meeting_series")
    );
    let (_, reports_token) = app.api_token(&["reports:read"]).await;
    app.get("/api/v1/changes", &reports_token)
        .await
        .expect_problem(403, "forbidden");
    app.get("/api/v1/changes?cursor=nonsense", &app.admin_token)
        .await
        .expect_problem(400, "invalid_cursor");
    app.get("/api/v1/changes?types=meeting,secrets", &app.admin_token)
        .await
        .expect_problem(400, "invalid_query");
}

/// A manager change hands the series and its upcoming meetings to the new manager: the log
/// tells the new pair (an update) and the old manager (a hand-over; their fetch is then a 404).
#[tokio::test]
async fn a_manager_change_tells_both_managers() {
    let app = spawn_app().await;
    let p = app.one_on_one().await;
    let (new_manager, new_token) = app
        .person_with_login("new.manager@example.com", "New Manager", None)
        .await;
    let (_, old_cursor) = app
        .follow_until(&p.manager_token, None, |c| {
            !ids_of(c, "meeting_series.created").is_empty()
        })
        .await;
    app.patch(
        &format!("/api/v1/people/{}", p.report),
        &app.admin_token,
        &json!({"manager_id": new_manager}),
    )
    .await
    .expect(200);
    let series = p.series.to_string();
    let (old, _) = app
        .follow_until(&p.manager_token, Some(old_cursor), |c| {
            ids_of(c, "meeting_series.handed_over").contains(&series)
        })
        .await;
    assert!(ids_of(&old, "meeting_series.updated").is_empty());
    assert!(!ids_of(&old, "meeting.handed_over").is_empty());
    app.get(
        &format!("/api/v1/meeting-series/{series}"),
        &p.manager_token,
    )
    .await
    .expect_problem(404, "not_found");
    let (new, _) = app
        .follow_until(&new_token, None, |c| {
            ids_of(c, "meeting_series.updated").contains(&series)
        })
        .await;
    assert!(ids_of(&new, "meeting_series.handed_over").is_empty());
    app.get(&format!("/api/v1/meeting-series/{series}"), &new_token)
        .await
        .expect(200);
}

/// Everything private the report does — a private talking point (added, edited, reordered,
/// carried over when the meeting is completed), a private note, a rating — leaves no trace in
/// the manager's or HR's change log: no event, no id, no kind; the report's own log has them.
#[tokio::test]
async fn private_work_leaves_no_trace_in_anyone_elses_log() {
    let app = spawn_app().await;
    let p = app.one_on_one().await;
    let m0 = p.meetings[0].clone();
    let shared = app
        .post(
            &format!("/api/v1/meetings/{m0}/agenda-items"),
            &p.report_token,
            &json!({"title": "Shared point"}),
        )
        .await
        .expect(201)
        .id();
    let (_, manager_cursor) = app
        .follow_until(&p.manager_token, None, |c| {
            c.iter().any(|x| x["resource_id"] == shared.to_string())
        })
        .await;
    let (_, hr_cursor) = app
        .follow_until(&app.admin_token, None, |c| {
            !ids_of(c, "meeting_series.created").is_empty()
        })
        .await;
    let secret = app
        .post(
            &format!("/api/v1/meetings/{m0}/agenda-items"),
            &p.report_token,
            &json!({"title": "Interviewing elsewhere", "private": true}),
        )
        .await
        .expect(201);
    let secret_id = secret.id().to_string();
    app.send_if_match(
        Method::PATCH,
        &format!("/api/v1/meetings/{m0}/agenda-items/{secret_id}"),
        &p.report_token,
        secret.header("etag").unwrap(),
        Some(json!({"title": "Interviewing at a competitor"})),
    )
    .await
    .expect(200);
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/meetings/{m0}/agenda-order"),
            Some(&p.report_token),
        )
        .json(&json!({"item_ids": [secret_id]})),
    )
    .await
    .expect(200);
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/meetings/{m0}/notes/private"),
            Some(&p.report_token),
        )
        .json(&json!({"body": "Ask for a raise"})),
    )
    .await
    .expect(200);
    app.complete_and_rate(
        &m0,
        &p.manager_token,
        &p.report_token,
        json!({"useful": 2, "expectations_clear": 1}),
    )
    .await;
    // A shared change made last: once the others' logs show it, everything before is readable.
    let marker = app
        .post(
            &format!("/api/v1/meetings/{}/agenda-items", p.meetings[1]),
            &p.manager_token,
            &json!({"title": "Marker"}),
        )
        .await
        .expect(201)
        .id()
        .to_string();
    let private_kinds = ["note.private_written", "rating.recorded"];
    let (manager_sees, _) = app
        .follow_until(&p.manager_token, Some(manager_cursor), |c| {
            c.iter().any(|x| x["resource_id"] == marker.as_str())
        })
        .await;
    assert!(ids_of(&manager_sees, "meeting.completed").contains(&m0));
    for c in &manager_sees {
        assert_ne!(c["resource_id"], secret_id.as_str(), "{c}");
        assert!(!private_kinds.contains(&c["type"].as_str().unwrap()), "{c}");
        assert!(!c.to_string().contains("Interviewing"), "{c}");
    }
    let (hr_sees, _) = app
        .follow_until(&app.admin_token, Some(hr_cursor), |c| {
            !ids_of(c, "meeting.completed").is_empty()
        })
        .await;
    for c in &hr_sees {
        assert!(
            c["resource"] == "meeting"
                || c["resource"] == "meeting_series"
                || c["resource"] == "person",
            "HR sees metadata only: {c}"
        );
        assert!(!private_kinds.contains(&c["type"].as_str().unwrap()), "{c}");
    }
    // The report's own log has all of it.
    let (mine, _) = app
        .follow_until(&p.report_token, None, |c| {
            c.iter().any(|x| x["resource_id"] == marker.as_str())
        })
        .await;
    let about_secret: Vec<&str> = mine
        .iter()
        .filter(|c| c["resource_id"] == secret_id.as_str())
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    for kind in [
        "agenda_item.added",
        "agenda_item.updated",
        "agenda_item.moved",
        "agenda_item.carried_over",
    ] {
        assert!(
            about_secret.contains(&kind),
            "{kind} missing from {about_secret:?}"
        );
    }
    for kind in private_kinds {
        assert!(mine.iter().any(|c| c["type"] == kind), "{kind} missing");
    }
}
