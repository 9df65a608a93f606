//! The connections `serve` accepts, short of HTTP itself: the accept loop,
//! the total and per-address connection limits, the header read and idle
//! timeouts, `TCP_NODELAY`, the peer address handlers see (`ConnectInfo`),
//! draining on shutdown, and the file-descriptor limit raised at start.
//!
//! The timeouts are kept here rather than left to hyper: hyper's header
//! timer covers neither the sniffing of HTTP/1 against HTTP/2 nor HTTP/2,
//! and it starts when the connection waits for a request, which would cut
//! idle keep-alive connections at the header timeout. Here, a connection
//! with no request in flight (and no response still being written) is
//! closed once it has been silent for the idle timeout, or once the header
//! timeout has passed since the first byte it sent while no request was in
//! flight (for a new connection: since it was opened) without a request
//! starting. A request in flight is cut only when its response waits for a
//! client that has read nothing for the idle timeout; a stalled upload is
//! `--upload-idle-timeout`'s business.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use http_body_util::BodyExt;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// How long a client may take to send a request's header [30 s]: hyper's
/// own default and half of nginx's `client_header_timeout`. A header is a
/// few kilobytes, which even a slow link sends in well under a second;
/// only a client trickling it (a slow loris) needs longer.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a connection with no request in flight may stay silent
/// [75 s]: nginx's `keepalive_timeout`, and longer than the 60 s after
/// which nginx's upstream keep-alive and AWS load balancers drop idle
/// connections, so that a proxy in front never reuses a connection this
/// server is closing.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(75);

/// File descriptors kept back from connections for everything else: the
/// database (SQLite's files or PostgreSQL's pool), the S3 and webhook
/// clients' sockets, the listener, logs.
pub const RESERVED_DESCRIPTORS: u64 = 256;

/// The most connections the default allows, however many descriptors there
/// are: past it, each connection's buffers and task (memory) rather than
/// descriptors are the bound. `--max-connections` sets more.
pub const MAX_DEFAULT_CONNECTIONS: usize = 16_384;

/// The most connections one address gets by default [256], and never more
/// than a quarter of the total: one client can then never hold the whole
/// server. A package manager opens a few dozen at once at most (npm 15,
/// Docker 3 per image), so this leaves room for a CI host or an office
/// behind one NAT address. A reverse proxy in front is one address for
/// every client: raise this to the total there, and limit clients in the
/// proxy.
pub const MAX_DEFAULT_CONNECTIONS_PER_ADDRESS: usize = 256;

/// The connection settings as configured; `None` limits are derived from
/// the file-descriptor limit when the server starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionSettings {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: Option<usize>,
    pub max_connections_per_address: Option<usize>,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: None,
            max_connections_per_address: None,
        }
    }
}

/// The settings in force, every limit known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_address: usize,
}

impl ConnectionSettings {
    /// The limits for a process that may open `descriptors` files: each
    /// connection may hold a blob file open besides its socket, so half of
    /// what is left after `RESERVED_DESCRIPTORS`.
    pub fn limits(&self, descriptors: u64) -> Limits {
        let by_descriptors = descriptors.saturating_sub(RESERVED_DESCRIPTORS) / 2;
        let max_connections = self.max_connections.unwrap_or_else(|| {
            usize::try_from(by_descriptors)
                .unwrap_or(usize::MAX)
                .clamp(16, MAX_DEFAULT_CONNECTIONS)
        });
        let max_connections_per_address = self
            .max_connections_per_address
            .unwrap_or_else(|| (max_connections / 4).clamp(1, MAX_DEFAULT_CONNECTIONS_PER_ADDRESS));
        Limits {
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            max_connections,
            max_connections_per_address,
        }
    }
}

/// Raises the soft limit on open files to the hard one, where the system
/// allows it (a default systemd unit starts with 1 024 of 524 288); returns
/// the soft limit in force.
pub fn raise_descriptor_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            let soft = rlimit::Resource::NOFILE
                .get()
                .map_or(1024, |(soft, _hard)| soft);
            tracing::warn!(error = %e, soft, "could not raise the open-file limit");
            soft
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting and waits for the connections to finish what they were doing.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let tally = Arc::new(Tally {
        limits,
        counts: Mutex::default(),
    });
    let mut builder = Builder::new(TokioExecutor::new());
    // A backstop only: hyper's clock starts when a connection waits for a
    // request, so it can never fire before this module's timeouts.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout + limits.idle_timeout);
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let mut refusals = Refusals::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match tally.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                // Closed at once, so that the accept backlog never fills.
                drop(stream);
                refusals.count(refusal, peer, &limits);
                continue;
            }
        };
        // Small responses (manifests, JSON) must not wait on delayed ACKs.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let builder = Arc::clone(&builder);
        let watcher = graceful.watcher();
        let app = app.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let activity = Arc::new(Activity::new());
            let tracked = Tracked {
                inner: stream,
                activity: Arc::clone(&activity),
            };
            let service = hyper_util::service::TowerToHyperService::new(connection_service(
                app,
                peer,
                Arc::clone(&activity),
            ));
            let served = async {
                match tls {
                    None => {
                        let io = TokioIo::new(tracked);
                        watcher
                            .watch(builder.serve_connection_with_upgrades(io, service))
                            .await
                    }
                    Some(acceptor) => {
                        // The handshake is bounded by the idle timeout
                        // below, like a request header.
                        let stream = acceptor.accept(tracked).await?;
                        if stream.get_ref().1.alpn_protocol() == Some(crate::tls::ACME_TLS_ALPN) {
                            // An ACME validation: the handshake was all.
                            return Ok(());
                        }
                        let io = TokioIo::new(stream);
                        watcher
                            .watch(builder.serve_connection_with_upgrades(io, service))
                            .await
                    }
                }
            };
            tokio::select! {
                result = served => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, %peer, "connection ended with an error");
                    }
                }
                reason = activity.expired(&limits) => {
                    tracing::debug!(%peer, "closing the connection: {reason}");
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    // In-flight requests finish, but not forever: a client that stopped
    // reading must not keep the process (and its last download counts)
    // from ending before the service manager's own deadline.
    if tokio::time::timeout(DRAIN_LIMIT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {}s after the shutdown signal; closing them",
            DRAIN_LIMIT.as_secs()
        );
    }
}

/// How long a shutdown waits for requests in flight (systemd's default
/// stop timeout is 90 s, docs/deploy.md's unit sets 60 s).
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(45);

/// The application for one connection: every request gets the peer's
/// address, and counts as in flight until its response is written.
fn connection_service(
    app: axum::Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
) -> impl tower::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future: Send,
> + Clone {
    tower::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let busy = InFlight::begin(&activity);
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await?;
            // The response body holds the request in flight until hyper has
            // taken its last frame.
            Ok(response.map(|body| {
                axum::body::Body::new(body.map_frame(move |frame| {
                    let _in_flight = &busy;
                    frame
                }))
            }))
        }
    })
}

/// How many connections are open, in all and per address.
struct Tally {
    limits: Limits,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

#[derive(Debug, Clone, Copy)]
enum Refusal {
    Total,
    PerAddress,
}

impl Tally {
    fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Slot, Refusal> {
        let key = entrepot_core::ranges::client_key(peer);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.limits.max_connections {
            return Err(Refusal::Total);
        }
        let open = counts.by_address.entry(key).or_default();
        if *open >= self.limits.max_connections_per_address {
            return Err(Refusal::PerAddress);
        }
        *open += 1;
        counts.total += 1;
        Ok(Slot {
            tally: Arc::clone(self),
            key,
        })
    }
}

/// One admitted connection; dropping it frees its place.
struct Slot {
    tally: Arc<Tally>,
    key: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .tally
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total -= 1;
        if let Some(open) = counts.by_address.get_mut(&self.key) {
            *open -= 1;
            if *open == 0 {
                counts.by_address.remove(&self.key);
            }
        }
    }
}

/// Refused connections, logged at most once every ten seconds.
#[derive(Default)]
struct Refusals {
    last_line: Option<Instant>,
    total: u64,
    per_address: u64,
}

impl Refusals {
    const EVERY: Duration = Duration::from_secs(10);

    fn count(&mut self, refusal: Refusal, peer: SocketAddr, limits: &Limits) {
        tracing::debug!(%peer, ?refusal, "refused a connection over the limits");
        match refusal {
            Refusal::Total => self.total += 1,
            Refusal::PerAddress => self.per_address += 1,
        }
        if self.last_line.is_none_or(|t| t.elapsed() >= Self::EVERY) {
            tracing::warn!(
                over_total = self.total,
                over_per_address = self.per_address,
                max_connections = limits.max_connections,
                max_connections_per_address = limits.max_connections_per_address,
                last = %peer,
                "refused connections over the connection limits (counted since the last such line)"
            );
            *self = Refusals {
                last_line: Some(Instant::now()),
                total: 0,
                per_address: 0,
            };
        }
    }
}

/// As hyper 0.14 and axum do: a failed accept that is not the peer's doing
/// (out of file descriptors, say) is logged, and accepting pauses a little.
async fn accept_failed(e: &io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "could not accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// What one connection is doing, for the timeouts; times are milliseconds
/// since the connection opened.
struct Activity {
    opened: Instant,
    /// The last byte read or written, or the end of the last request.
    last_io: AtomicU64,
    /// One more than the time of the first byte read while no request was
    /// in flight; 0 when none was.
    waiting_since: AtomicU64,
    in_flight: AtomicUsize,
    /// A write waits for the client to read.
    write_blocked: AtomicBool,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            last_io: AtomicU64::new(0),
            // A new connection owes its first request from the start.
            waiting_since: AtomicU64::new(1),
            in_flight: AtomicUsize::new(0),
            write_blocked: AtomicBool::new(false),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn read(&self) {
        let now = self.now();
        self.last_io.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Relaxed) == 0 {
            let _ = self.waiting_since.compare_exchange(
                0,
                now + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    fn wrote(&self) {
        self.last_io.store(self.now(), Ordering::Relaxed);
        self.write_blocked.store(false, Ordering::Relaxed);
    }

    /// When the connection is due to close, if nothing changes; `None`
    /// while it is busy.
    fn deadline(&self, limits: &Limits) -> Option<(u64, Expiry)> {
        // A response that waits for a client which stopped reading: once
        // nothing has moved either way for the idle timeout, the request
        // is over too (nginx's `send_timeout`), so that clients which never
        // read cannot hold their connections.
        if self.write_blocked.load(Ordering::Relaxed) {
            return Some((
                self.last_io.load(Ordering::Relaxed) + millis(limits.idle_timeout),
                Expiry::Unread(limits.idle_timeout),
            ));
        }
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let idle = (
            self.last_io.load(Ordering::Relaxed) + millis(limits.idle_timeout),
            Expiry::Idle(limits.idle_timeout),
        );
        match self.waiting_since.load(Ordering::Relaxed) {
            0 => Some(idle),
            since => {
                let header = (
                    since - 1 + millis(limits.header_read_timeout),
                    Expiry::Header(limits.header_read_timeout),
                );
                Some(if header.0 < idle.0 { header } else { idle })
            }
        }
    }

    /// Completes when the connection should be closed.
    async fn expired(&self, limits: &Limits) -> Expiry {
        let recheck = limits.header_read_timeout.min(limits.idle_timeout);
        loop {
            match self.deadline(limits) {
                Some((at, why)) => {
                    let now = self.now();
                    if at <= now {
                        return why;
                    }
                    tokio::time::sleep(Duration::from_millis(at - now)).await;
                }
                // Once the connection falls quiet, its deadline is at least
                // this far off, so this wakes in time.
                None => tokio::time::sleep(recheck).await,
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Expiry {
    Idle(Duration),
    Header(Duration),
    Unread(Duration),
}

impl std::fmt::Display for Expiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expiry::Idle(d) => write!(f, "idle for {}s", d.as_secs_f32()),
            Expiry::Header(d) => write!(f, "no request header within {}s", d.as_secs_f32()),
            Expiry::Unread(d) => write!(f, "the client read nothing for {}s", d.as_secs_f32()),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 2)
}

/// A request in flight on a connection.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn begin(activity: &Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.waiting_since.store(0, Ordering::Relaxed);
        InFlight(Arc::clone(activity))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        if activity.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            // The connection is quiet from now on.
            activity.last_io.store(activity.now(), Ordering::Relaxed);
            activity.waiting_since.store(0, Ordering::Relaxed);
        }
    }
}

/// The socket, noting each byte read or written in the `Activity`.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read();
        }
        polled
    }
}

impl Tracked {
    fn note_write(&self, polled: &Poll<io::Result<usize>>) {
        match polled {
            Poll::Ready(Ok(n)) if *n > 0 => self.activity.wrote(),
            Poll::Pending => self.activity.write_blocked.store(true, Ordering::Relaxed),
            Poll::Ready(_) => self.activity.write_blocked.store(false, Ordering::Relaxed),
        }
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.note_write(&polled);
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.note_write(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits_follow_the_descriptor_limit_with_headroom() {
        let settings = ConnectionSettings::default();
        // A unit that could not raise its 1 024.
        let small = settings.limits(1024);
        assert_eq!(small.max_connections, 384);
        assert_eq!(small.max_connections_per_address, 96);
        // systemd's usual hard limit, or LimitNOFILE=65536.
        let large = settings.limits(524_288);
        assert_eq!(large.max_connections, MAX_DEFAULT_CONNECTIONS);
        assert_eq!(
            large.max_connections_per_address,
            MAX_DEFAULT_CONNECTIONS_PER_ADDRESS
        );
        assert_eq!(settings.limits(10).max_connections, 16);
        let set = ConnectionSettings {
            max_connections: Some(10),
            ..settings
        }
        .limits(1024);
        assert_eq!(
            (set.max_connections, set.max_connections_per_address),
            (10, 2)
        );
    }

    #[test]
    fn a_quiet_connection_expires_and_a_busy_one_does_not() {
        let limits = ConnectionSettings::default().limits(1024);
        let activity = Arc::new(Activity::new());
        // New: owes its header within the header timeout.
        assert!(matches!(
            activity.deadline(&limits),
            Some((30_000, Expiry::Header(_)))
        ));
        let busy = InFlight::begin(&activity);
        assert!(activity.deadline(&limits).is_none());
        drop(busy);
        // Quiet after a request: the idle timeout, until a byte arrives.
        assert!(matches!(
            activity.deadline(&limits),
            Some((_, Expiry::Idle(_)))
        ));
        activity.read();
        assert!(matches!(
            activity.deadline(&limits),
            Some((_, Expiry::Header(_)))
        ));
        // A response waiting for a client that stopped reading: the idle
        // timeout from the last byte that moved, request in flight or not.
        let busy = InFlight::begin(&activity);
        activity.write_blocked.store(true, Ordering::Relaxed);
        let last = activity.last_io.load(Ordering::Relaxed);
        assert!(matches!(
            activity.deadline(&limits),
            Some((at, Expiry::Unread(_))) if at == last + 75_000
        ));
        activity.wrote();
        assert!(activity.deadline(&limits).is_none(), "it read again");
        drop(busy);
    }
}
