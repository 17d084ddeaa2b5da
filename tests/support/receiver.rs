//! A real HTTP receiver for webhooks on 127.0.0.1, that a test makes answer 2xx, fail, or hang,
//! and that remembers every request it got (headers, body, what it answered).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 204 at once.
    Ok,
    /// 500 at once.
    Fail,
    /// Holds the request this long, then answers 204 (past the sender's timeout, say).
    Hang(Duration),
    /// 404 `no_service` at once, as Slack answers for a removed incoming webhook.
    Gone,
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    /// The `Idempotency-Key` header (chat messages).
    pub idempotency_key: String,
    pub body: String,
    /// How the receiver was set to answer it.
    pub mode: Mode,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Whether one of its signatures is this secret's (Standard Webhooks, checked here
    /// independently of the server's code).
    pub fn signed_with(&self, secret: &str) -> bool {
        let key = base64::engine::general_purpose::STANDARD
            .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
            .expect("base64 key");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.body).as_bytes());
        let expected = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        );
        self.signature.split(' ').any(|s| s == expected)
    }
}

#[derive(Debug)]
struct Inner {
    mode: Mutex<Mode>,
    received: Mutex<Vec<Received>>,
}

/// A running receiver, stopped when dropped.
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
    handle: ServerHandle,
}

async fn receive(req: HttpRequest, body: web::Bytes, inner: web::Data<Arc<Inner>>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mode = *inner.mode.lock().expect("mode");
    inner.received.lock().expect("log").push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        idempotency_key: header("idempotency-key"),
        body: String::from_utf8_lossy(&body).into_owned(),
        mode,
    });
    match mode {
        Mode::Ok => HttpResponse::NoContent().finish(),
        Mode::Fail => HttpResponse::InternalServerError().body("down for maintenance"),
        Mode::Gone => HttpResponse::NotFound().body("no_service"),
        Mode::Hang(d) => {
            tokio::time::sleep(d).await;
            HttpResponse::NoContent().finish()
        }
    }
}

impl Receiver {
    pub async fn start(mode: Mode) -> Self {
        let inner = Arc::new(Inner {
            mode: Mutex::new(mode),
            received: Mutex::new(Vec::new()),
        });
        let data = web::Data::new(Arc::clone(&inner));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(2)
        .disable_signals()
        .bind("127.0.0.1:0")
        .expect("bind the receiver");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hooks"),
            inner,
            handle,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.inner.mode.lock().expect("mode") = mode;
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().expect("log").clone()
    }

    /// The requests answered 2xx at once (so the sender knew), in arrival order.
    pub fn acknowledged(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.mode == Mode::Ok)
            .collect()
    }

    /// Wait until `done` holds for what arrived (up to 60 s), and return it.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..600 {
            let got = self.received();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let got = self.received();
        panic!(
            "the receiver never got {what}; it got: {:#?}",
            got.iter().map(|r| r.body.clone()).collect::<Vec<_>>()
        );
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}
