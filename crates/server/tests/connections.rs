//! Connections: a client trickling its header (slow loris) is cut off after
//! the header timeout, an idle keep-alive connection after the idle timeout
//! (but never a request in flight), one address cannot hold more than its
//! share of connections nor all clients more than the total, and the server
//! raises its open-file limit to the hard limit.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Server, token};

fn start(dir: &Path, flags: &[&str]) -> Server {
    let listen = format!("127.0.0.1:{}", common::free_port());
    let mut args = vec!["--listen", listen.as_str()];
    args.extend_from_slice(flags);
    Server::start_in(dir, &args, &format!("http://{listen}"))
}

fn address(server: &Server) -> SocketAddr {
    server.base.trim_start_matches("http://").parse().unwrap()
}

/// A connection to the server from `from`, any address of 127.0.0.0/8
/// (all of it is loopback on Linux).
fn connect_from(server: &Server, from: [u8; 4]) -> TcpStream {
    let to = address(server);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((from, 0))).unwrap();
        let stream = tokio::time::timeout(Duration::from_secs(10), socket.connect(to))
            .await
            .expect("the connection is accepted by the kernel")
            .unwrap();
        let stream = stream.into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        stream
    })
}

/// A client whose connections come from `from`.
fn client_from(from: [u8; 4]) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .local_address(IpAddr::from(from))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Sends a whole `GET /healthz` on `stream` and reads the answer: its
/// status line, or `None` when the server closed the connection instead.
fn healthz(stream: &mut TcpStream) -> Option<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: entrepot\r\n\r\n")
        .ok()?;
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => answer.push(byte[0]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("no answer and no close within 10 s")
            }
            // Closed, or reset.
            Ok(_) | Err(_) => return None,
        }
    }
    let head = String::from_utf8(answer).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|n| n.trim().parse().unwrap())
        })
        .expect("a content length");
    let mut body = vec![0; length];
    stream.read_exact(&mut body).ok()?;
    Some(head.lines().next().unwrap().to_owned())
}

/// Whether the server has closed `stream`, waiting up to `wait` for it.
fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => panic!("the server sent something unasked"),
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    }
}

/// Waits until the server closes `stream`; how long that took.
fn wait_closed(stream: &mut TcpStream, limit: Duration) -> Duration {
    let started = Instant::now();
    while !closed_within(stream, Duration::from_millis(50)) {
        assert!(
            started.elapsed() < limit,
            "the connection is still open after {limit:?}"
        );
    }
    started.elapsed()
}

/// A connection from `from` that the server has taken (one request served
/// on it), left holding half a request, as a slow loris does. Retried until
/// the server takes it: a connection of the previous step may still be
/// counted for a moment after its client let go.
fn hold(server: &Server, from: [u8; 4]) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut stream = connect_from(server, from);
        if let Some(status) = healthz(&mut stream) {
            assert_eq!(status, "HTTP/1.1 200 OK");
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: ent")
                .unwrap();
            return stream;
        }
        assert!(
            Instant::now() < deadline,
            "the server never took a connection from {from:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `request` until it succeeds, for a place the server frees as soon
/// as it reads the close of a connection.
fn eventually_ok(what: &str, mut request: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !request() {
        assert!(Instant::now() < deadline, "{what} never succeeded");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_slow_loris_is_cut_off_after_the_header_timeout_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--header-read-timeout", "2s"]);
    let mut loris = connect_from(&server, [127, 0, 0, 1]);
    let started = Instant::now();
    loris
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: entrepot\r\nX-Slow: ")
        .unwrap();
    let mut served_meanwhile = false;
    // One header byte every 100 ms, each one read by the server (so the
    // connection is never silent), until it closes the connection.
    let cut_after = loop {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "a client trickling its header was never cut off"
        );
        if loris.write_all(b"a").is_err() || closed_within(&mut loris, Duration::from_millis(100)) {
            break started.elapsed();
        }
        if !served_meanwhile && started.elapsed() > Duration::from_secs(1) {
            let r = reqwest::blocking::get(server.url("/healthz")).unwrap();
            assert_eq!(r.status(), 200);
            served_meanwhile = true;
        }
    };
    assert!(served_meanwhile, "cut off after {cut_after:?}");
    assert!(
        cut_after >= Duration::from_millis(1500) && cut_after < Duration::from_secs(10),
        "cut off after {cut_after:?}, with a header timeout of 2 s"
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed_but_never_a_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            "--idle-timeout",
            "2s",
            "--header-read-timeout",
            "30s",
            "--upload-idle-timeout",
            "4s",
        ],
    );
    let mut stream = connect_from(&server, [127, 0, 0, 1]);
    assert_eq!(healthz(&mut stream).unwrap(), "HTTP/1.1 200 OK");
    let waited = wait_closed(&mut stream, Duration::from_secs(20));
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(10),
        "closed after {waited:?} idle, with an idle timeout of 2 s"
    );

    // A stalled upload is a request in flight: the idle timeout leaves it
    // to the upload idle timeout, which answers it.
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/java"]);
    let alice = token(&server, "alice", "read:packages,write:packages,repo");
    let mut upload = connect_from(&server, [127, 0, 0, 1]);
    upload
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        upload,
        "PUT /maven/alice/java/com/example/slow/1.0.0/slow-1.0.0.jar HTTP/1.1\r\nHost: entrepot\r\nAuthorization: Bearer {alice}\r\nContent-Length: 1000\r\n\r\n"
    )
    .unwrap();
    upload.write_all(&[b'x'; 10]).unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    let _ = upload.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "after {:?}: {answer:?}",
        started.elapsed()
    );
    assert!(started.elapsed() >= Duration::from_secs(3));
}

#[test]
fn a_client_that_stops_reading_a_download_is_let_go_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--idle-timeout", "2s"]);
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/java"]);
    let alice = token(&server, "alice", "read:packages,write:packages,repo");
    // Larger than every socket buffer between the two ends.
    let size = 64 << 20;
    let path = "/maven/alice/java/com/example/big/1.0.0/big-1.0.0.jar";
    let put = reqwest::blocking::Client::new()
        .put(server.url(path))
        .bearer_auth(&alice)
        .body(vec![b'x'; size])
        .send()
        .unwrap();
    assert_eq!(put.status(), 201);
    let mut stream = connect_from(&server, [127, 0, 0, 1]);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: entrepot\r\nAuthorization: Bearer {alice}\r\n\r\n"
    )
    .unwrap();
    let mut first = [0u8; 4096];
    stream.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"HTTP/1.1 200"));
    // Read nothing more for four times the idle timeout (the scenario, not
    // a wait for luck; the server notices within twice the timeout): it
    // gives up on the response, and what is left to read ends short of the
    // whole.
    std::thread::sleep(Duration::from_secs(8));
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(
        first.len() + rest.len() < size,
        "the whole {size} bytes came: the server never let go"
    );
}

#[test]
fn one_address_cannot_take_more_than_its_connections() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            "--max-connections-per-address",
            "3",
            "--header-read-timeout",
            "60s",
        ],
    );
    let mut held: Vec<TcpStream> = (0..3).map(|_| hold(&server, [127, 0, 0, 1])).collect();
    let mut one_more = connect_from(&server, [127, 0, 0, 1]);
    assert_eq!(
        healthz(&mut one_more),
        None,
        "a fourth connection from 127.0.0.1 was served"
    );
    let other = client_from([127, 0, 0, 2])
        .get(server.url("/healthz"))
        .send()
        .unwrap();
    assert_eq!(other.status(), 200);
    for stream in &mut held {
        assert!(
            !closed_within(stream, Duration::from_millis(10)),
            "a held connection was closed"
        );
    }
    // Letting one go frees its place.
    drop(held.pop());
    eventually_ok("a request from 127.0.0.1 after one let go", || {
        client_from([127, 0, 0, 1])
            .get(server.url("/healthz"))
            .send()
            .is_ok_and(|r| r.status() == 200)
    });
}

#[test]
fn all_addresses_together_cannot_take_more_than_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            "--max-connections",
            "3",
            "--max-connections-per-address",
            "100",
            "--header-read-timeout",
            "60s",
        ],
    );
    let mut held: Vec<TcpStream> = (1..=3).map(|i| hold(&server, [127, 0, 0, i])).collect();
    let mut one_more = connect_from(&server, [127, 0, 0, 4]);
    assert_eq!(
        healthz(&mut one_more),
        None,
        "a fourth connection was served"
    );
    assert!(
        client_from([127, 0, 0, 5])
            .get(server.url("/healthz"))
            .send()
            .is_err(),
        "a request over the total was served"
    );
    drop(held.pop());
    eventually_ok("a request after one connection let go", || {
        client_from([127, 0, 0, 5])
            .get(server.url("/healthz"))
            .send()
            .is_ok_and(|r| r.status() == 200)
    });
}

/// The soft and hard open-file limits of process `pid`.
fn open_file_limits(pid: u32) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let numbers: Vec<u64> = line["Max open files".len()..]
        .split_whitespace()
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    (numbers[0], numbers[1])
}

#[test]
fn the_server_raises_its_open_file_limit_to_the_hard_limit() {
    // The server inherits a soft limit below the hard one, as a default
    // systemd unit's 1 024 of 524 288.
    let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap();
    let lowered = soft.min(hard / 2);
    rlimit::Resource::NOFILE.set(lowered, hard).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    rlimit::Resource::NOFILE.set(soft, hard).unwrap();
    assert_eq!(open_file_limits(std::process::id()), (soft, hard));
    assert_eq!(open_file_limits(server.child.id()), (hard, hard));
}

#[test]
fn handlers_see_each_clients_address() {
    // Anonymous REST calls are counted per address: two addresses, two
    // counts.
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let remaining = |from: [u8; 4]| {
        let r = client_from(from)
            .get(server.url("/api/v3/user"))
            .send()
            .unwrap();
        r.headers()["x-ratelimit-remaining"]
            .to_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    let first = remaining([127, 0, 0, 1]);
    assert_eq!(remaining([127, 0, 0, 1]), first - 1);
    assert_eq!(remaining([127, 0, 0, 2]), first);
}

#[test]
fn sigterm_finishes_requests_in_flight_and_closes_idle_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[]);
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/java"]);
    let alice = token(&server, "alice", "read:packages,write:packages,repo");
    let mut idle = connect_from(&server, [127, 0, 0, 1]);
    assert_eq!(healthz(&mut idle).unwrap(), "HTTP/1.1 200 OK");
    let body = vec![b'x'; 2000];
    let mut upload = connect_from(&server, [127, 0, 0, 1]);
    write!(
        upload,
        "PUT /maven/alice/java/com/example/drain/1.0.0/drain-1.0.0.jar HTTP/1.1\r\nHost: entrepot\r\nAuthorization: Bearer {alice}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    )
    .unwrap();
    // `100 Continue` comes when the handler starts reading the body: the
    // request is in flight.
    upload
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut interim = Vec::new();
    let mut byte = [0u8; 1];
    while !interim.ends_with(b"\r\n\r\n") {
        upload.read_exact(&mut byte).unwrap();
        interim.push(byte[0]);
    }
    assert!(interim.starts_with(b"HTTP/1.1 100"), "{interim:?}");
    upload.write_all(&body[..1000]).unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // The idle connection is closed at once; the upload goes on.
    wait_closed(&mut idle, Duration::from_secs(10));
    upload.write_all(&body[1000..]).unwrap();
    let mut answer = String::new();
    let _ = upload.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit}");
}
