//! Uploads that stall: a request body that sends nothing for the idle
//! timeout fails, and the request is answered 408 with the connection
//! closed, whatever the handler made of the failed read. A slow but moving
//! upload is never cut off; only silence is. The clock starts when the
//! handler first reads, so clients waiting for `100 Continue` are not
//! counted against.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::state::AppState;

struct IdleBody {
    inner: Body,
    timeout: Duration,
    /// Armed on the first read, moved forward by every frame.
    deadline: Option<Pin<Box<Sleep>>>,
    fired: Arc<AtomicBool>,
}

impl HttpBody for IdleBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let timeout = this.timeout;
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                deadline.as_mut().reset(Instant::now() + timeout);
                Poll::Ready(frame)
            }
            Poll::Pending => {
                if deadline.as_mut().poll(cx).is_ready() {
                    this.fired.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(axum::Error::new(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the upload stalled",
                    )))))
                } else {
                    Poll::Pending
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The middleware: wraps every request body, answers 408 if it stalled.
pub async fn stalled_uploads(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let timeout = state.config.upload_idle_timeout;
    let fired = Arc::new(AtomicBool::new(false));
    let (parts, body) = request.into_parts();
    let body = Body::new(IdleBody {
        inner: body,
        timeout,
        deadline: None,
        fired: Arc::clone(&fired),
    });
    let response = next.run(Request::from_parts(parts, body)).await;
    if fired.load(Ordering::Relaxed) {
        return (
            StatusCode::REQUEST_TIMEOUT,
            [(header::CONNECTION, "close")],
            format!(
                "the upload stalled: nothing arrived for {} seconds\n",
                timeout.as_secs_f32()
            ),
        )
            .into_response();
    }
    response
}
