//! A real SMTP receiver on 127.0.0.1 (mailin-embedded, on threads of its own) that remembers
//! every message it accepted, read back with a real MIME parser (mail-parser). A test makes it
//! accept, refuse for now (451) or refuse for good (550).

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};
use mailin_embedded::response::{self, Response};
use mailin_embedded::{Handler, Server, SslConfig};

/// How the receiver answers a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    Accept,
    /// 451: try again later.
    Defer,
    /// 550: never.
    Reject,
    /// Take the message, but answer its final dot only after this long (a slow relay: a sender
    /// that dies meanwhile never learns that it was taken).
    Hold(Duration),
}

/// One message as it arrived.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope's recipients.
    pub to: Vec<String>,
    pub from: String,
    pub raw: Vec<u8>,
}

impl Mail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        MessageParser::default()
            .parse(&self.raw)
            .expect("a message MIME parsers can read")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    /// The HTML part.
    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    /// A header's raw text (unfolded), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        let parsed = self.parsed();
        let h = parsed.header(name)?;
        Some(match h {
            HeaderValue::Text(t) => t.to_string(),
            HeaderValue::TextList(l) => l.join(" "),
            _ => parsed
                .header_raw(name)
                .map(|r| r.trim().to_owned())
                .unwrap_or_default(),
        })
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_owned()
    }

    /// The `To` header's address.
    pub fn to_address(&self) -> String {
        self.parsed()
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether the message has a text and an HTML alternative.
    /// The text of each part of this type (`text/calendar`) with its `method` parameter, in
    /// the order of the message.
    pub fn parts_of_type(&self, mime: &str) -> Vec<(String, Option<String>)> {
        let parsed = self.parsed();
        parsed
            .parts
            .iter()
            .filter(|p| {
                p.content_type().is_some_and(|c| {
                    format!("{}/{}", c.c_type, c.subtype().unwrap_or_default())
                        .eq_ignore_ascii_case(mime)
                })
            })
            .map(|p| {
                let method = p
                    .content_type()
                    .and_then(|c| c.attribute("method"))
                    .map(str::to_owned);
                let text = match &p.body {
                    mail_parser::PartType::Text(t) => t.to_string(),
                    mail_parser::PartType::Binary(b) | mail_parser::PartType::InlineBinary(b) => {
                        String::from_utf8_lossy(b).into_owned()
                    }
                    _ => String::new(),
                };
                (text, method)
            })
            .collect()
    }

    pub fn is_alternative(&self) -> bool {
        let parsed = self.parsed();
        parsed.text_body.len() == 1
            && parsed.html_body.len() == 1
            && parsed
                .content_type()
                .is_some_and(|c| c.c_type == "multipart" && c.subtype() == Some("alternative"))
    }
}

#[derive(Debug)]
struct Inner {
    mode: Mutex<SmtpMode>,
    accepted: Mutex<Vec<Mail>>,
    /// Every DATA the receiver saw, accepted or not.
    attempts: Mutex<usize>,
    /// Messages whose answer was held back ([`SmtpMode::Hold`]).
    held: Mutex<Vec<Mail>>,
}

#[derive(Clone)]
struct Session {
    inner: Arc<Inner>,
    current: Option<Mail>,
}

impl Handler for Session {
    // Refusals come at the DATA command: mailin stays in its data state after refusing the
    // message's final dot, so a client that goes on with the connection would hang there.
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        *self.inner.attempts.lock().expect("attempts") += 1;
        match *self.inner.mode.lock().expect("mode") {
            SmtpMode::Accept | SmtpMode::Hold(_) => {
                self.current = Some(Mail {
                    to: to.to_vec(),
                    from: from.to_owned(),
                    raw: Vec::new(),
                });
                response::OK
            }
            SmtpMode::Defer => response::INTERNAL_ERROR,
            SmtpMode::Reject => response::NO_MAILBOX,
        }
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(m) = self.current.as_mut() {
            m.raw.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(m) = self.current.take() {
            let hold = match *self.inner.mode.lock().expect("mode") {
                SmtpMode::Hold(d) => Some(d),
                _ => None,
            };
            if let Some(d) = hold {
                self.inner.held.lock().expect("held").push(m.clone());
                std::thread::sleep(d);
            }
            self.inner.accepted.lock().expect("accepted").push(m);
        }
        response::OK
    }
}

/// A running receiver. Its threads end with the test process.
pub struct SmtpReceiver {
    /// `smtp://127.0.0.1:PORT`, for `ONEONONE_SMTP_URL`.
    pub url: String,
    inner: Arc<Inner>,
}

impl SmtpReceiver {
    pub fn start(mode: SmtpMode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("an address").port();
        let inner = Arc::new(Inner {
            mode: Mutex::new(mode),
            accepted: Mutex::new(Vec::new()),
            attempts: Mutex::new(0),
            held: Mutex::new(Vec::new()),
        });
        let session = Session {
            inner: Arc::clone(&inner),
            current: None,
        };
        std::thread::spawn(move || {
            let mut server = Server::new(session);
            server
                .with_name("receiver.test")
                // A thread per open connection: more than a server's pool keeps (the
                // runner's concurrency, 32 by default).
                .with_num_threads(64)
                .with_tcp_listener(listener);
            if let Ok(s) = server.with_ssl(SslConfig::None) {
                let _ = s;
            }
            let _ = server.serve();
        });
        Self {
            url: format!("smtp://127.0.0.1:{port}"),
            inner,
        }
    }

    /// Answer from now on as `mode` says.
    pub fn set_mode(&self, mode: SmtpMode) {
        *self.inner.mode.lock().expect("mode") = mode;
    }

    /// Every message accepted so far, in arrival order.
    pub fn accepted(&self) -> Vec<Mail> {
        self.inner.accepted.lock().expect("accepted").clone()
    }

    /// The messages whose answer was held back so far.
    pub fn held(&self) -> Vec<Mail> {
        self.inner.held.lock().expect("held").clone()
    }

    /// Every message the receiver was handed, accepted or refused.
    pub fn attempts(&self) -> usize {
        *self.inner.attempts.lock().expect("attempts")
    }

    /// Wait (up to 60 s) until `done` holds for the accepted messages; they are returned.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Mail]) -> bool) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let mails = self.accepted();
            if done(&mails) {
                return mails;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; got {} messages: {:?}",
                mails.len(),
                mails.iter().map(Mail::subject).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
