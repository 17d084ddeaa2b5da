//! The connection under the HTTP layer: errors actix-http answers by itself become problems.
//!
//! Some requests never reach the application: a request line or headers larger than the parser
//! takes (431), a URI longer than `http::Uri` holds, a header with a bare CR, NUL or DEL (400), a
//! head that does not arrive in time (408). actix-http answers those itself, before any service
//! or middleware runs, with an empty body and no way to change it. Every answer of this API is
//! an RFC 9457 problem with a stable `code`, so [`ProblemIo`] wraps each connection and swaps
//! those bare answers for problems on their way out.
//!
//! The swap is safe because such an answer is recognisable: a status line of one of
//! [`BARE_ERRORS`] directly followed by `content-length: 0`, which the application never sends
//! (its errors all carry a problem body), and it is always the last response of its connection
//! (actix-http closes it after).

use std::io;
use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, ready};

use actix_web::ResponseError;
use actix_web::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::problem::{ApiError, PROBLEM_JSON};

/// actix-http's limit on a request's head (`h1::decoder::MAX_BUFFER_SIZE`).
pub const HEAD_LIMIT: usize = 131_072;

/// The error a bare answer stands for.
type StandsFor = fn() -> ApiError;

/// The bare answers actix-http writes by itself, and the errors they stand for.
const BARE_ERRORS: [(StatusCode, StandsFor); 4] = [
    (StatusCode::BAD_REQUEST, || {
        ApiError::bad_request(
            "the request's head is malformed: a request line or header the server cannot read \
             (a URI over 65,534 bytes, a header with a CR, NUL or DEL, or a broken request line)",
        )
    }),
    (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, || {
        ApiError::HeadersTooLarge { limit: HEAD_LIMIT }
    }),
    (StatusCode::REQUEST_TIMEOUT, || ApiError::RequestTimeout),
    (StatusCode::INTERNAL_SERVER_ERROR, || {
        ApiError::internal(anyhow::anyhow!("the connection's framing broke"))
    }),
];

/// How every response starts on the wire.
const STATUS_LINE: &[u8] = b"HTTP/1.1 ";

/// How a bare answer starts on the wire.
fn bare_head(status: StatusCode) -> Vec<u8> {
    format!(
        "HTTP/1.1 {} {}\r\ncontent-length: 0\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default()
    )
    .into_bytes()
}

/// The problem answer that replaces a bare one.
fn problem_response(error: &ApiError) -> Vec<u8> {
    let status = error.status_code();
    let body = serde_json::to_string(&error.problem()).unwrap_or_default();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\n\
         connection: close\r\ncache-control: no-store\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default(),
        body.len()
    )
    .into_bytes()
}

/// The starts of the bare answers on the wire, made once a process.
static BARE_HEADS: LazyLock<Vec<(Vec<u8>, StandsFor)>> = LazyLock::new(|| {
    BARE_ERRORS
        .iter()
        .map(|(status, error)| (bare_head(*status), *error))
        .collect()
});

/// The searcher for status lines, made once a process.
static STATUS_LINES: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(STATUS_LINE));

/// Where the first bare answer starts in `buf`, and its error: one pass for status lines, each
/// compared with the bare heads.
fn find_bare(buf: &[u8]) -> Option<(usize, StandsFor)> {
    STATUS_LINES.find_iter(buf).find_map(|at| {
        BARE_HEADS
            .iter()
            .find(|(head, _)| buf[at..].starts_with(head))
            .map(|(_, error)| (at, *error))
    })
}

/// A connection whose bare actix-http error answers leave as problems.
pub struct ProblemIo<T> {
    inner: T,
    /// The problem answer being written in place of a bare one, and how much of it is out.
    replacing: Option<(Vec<u8>, usize)>,
}

impl<T> ProblemIo<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            replacing: None,
        }
    }
}

impl<T: AsyncWrite + Unpin> ProblemIo<T> {
    /// Write out the problem answer in progress, if any.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, sent)) = &mut self.replacing {
            if *sent == bytes.len() {
                self.replacing = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *sent += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        match find_bare(buf) {
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
            Some((at, _)) if at > 0 => Pin::new(&mut this.inner).poll_write(cx, &buf[..at]),
            Some((_, error)) => {
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    // Not the whole head in one write: let it pass unchanged.
                    return Pin::new(&mut this.inner).poll_write(cx, buf);
                };
                let error = error();
                if let ApiError::Internal(cause) = &error {
                    tracing::error!(error = %cause, "connection error");
                }
                this.replacing = Some((problem_response(&error), 0));
                // The bare head is taken; its replacement goes out now or on the next flush.
                let _ = this.poll_replacement(cx)?;
                Poll::Ready(Ok(end + 4))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_bare_answer_and_nothing_in_a_problem() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        let mut pipelined = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        let at = pipelined.len();
        pipelined.extend_from_slice(bare);
        let (found, error) = find_bare(&pipelined).expect("found");
        assert_eq!(found, at);
        assert_eq!(error().code(), "headers_too_large");
        let problem = problem_response(&ApiError::bad_request("x"));
        assert!(find_bare(&problem).is_none());
        assert!(
            String::from_utf8_lossy(&problem).contains("content-type: application/problem+json")
        );
    }
}
