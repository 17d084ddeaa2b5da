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
