//! Health probes, and what clients see when the database goes away and comes back.

use oneonone_tests::*;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let reply = app
        .send(app.client.get(app.url("/healthz")))
        .await
        .expect(200);
    assert_eq!(reply.body["status"], "ok");
    let reply = app
        .send(app.client.get(app.url("/readyz")))
        .await
        .expect(200);
    assert_eq!(reply.body["status"], "ready");
}

#[tokio::test]
async fn database_outage_gives_503_and_the_server_recovers_by_itself() {
    let Some(pg) = postgres_url() else {
        eprintln!("skipped: the outage test needs PostgreSQL (ONEONONE_TEST_POSTGRES_URL)");
        return;
    };
    let target = postgres_host_port(&pg).expect("host:port in ONEONONE_TEST_POSTGRES_URL");
    let proxy = OutageProxy::start(target.clone()).await;
    let via = proxy.addr.to_string();
    let app = spawn_app_with(|s| s.database_url = s.database_url.replacen(&target, &via, 1)).await;
    app.get("/api/v1/people", &app.admin_token)
        .await
        .expect(200);

    proxy.cut();
    let reply = app
        .send(app.client.get(app.url("/readyz")))
        .await
        .expect_problem(503, "service_unavailable");
    assert!(reply.header("retry-after").is_some());
    let reply = app
        .get("/api/v1/people", &app.admin_token)
        .await
        .expect_problem(503, "service_unavailable");
    assert!(reply.header("retry-after").is_some());
    // The process itself is still up.
    app.send(app.client.get(app.url("/healthz")))
        .await
        .expect(200);

    proxy.restore();
    let mut recovered = false;
    for _ in 0..50 {
        if app.send(app.client.get(app.url("/readyz"))).await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(recovered, "/readyz never recovered");
    app.get("/api/v1/people", &app.admin_token)
        .await
        .expect(200);
}
