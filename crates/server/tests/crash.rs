//! The crash test: clients publish distinct versions in every format (npm,
//! Maven, RubyGems, NuGet, PyPI, Cargo and OCI images with chunked and
//! monolithic blob uploads) while the server is killed with SIGKILL at
//! random moments and restarted. Afterwards `admin fsck` finds no fault,
//! every publish that was answered with success is listed by its format's
//! index and downloads with the exact bytes, no publish answered with an
//! error is visible, and a publish whose answer was lost is either absent
//! or complete.
//!
//! It runs on SQLite and on PostgreSQL. `ENTREPOT_CRASH_ROUNDS` sets the
//! number of kills (20 by default),
//! `ENTREPOT_CRASH_SEED` replays a run (the seed is printed).
#![expect(clippy::too_many_lines, reason = "the test reads as one scenario")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::formats::{self, ALL, Answer, Format, Publish};
use common::{Server, free_port, token};
use reqwest::blocking::Client;

/// Client threads per format, so that publishes into one package overlap.
const CLIENTS_PER_FORMAT: usize = 2;
/// Publishes that must succeed after each restart before the next kill.
const PROGRESS_PER_ROUND: usize = 3;
const DEADLINE: Duration = Duration::from_mins(1);

/// splitmix64: a seeded generator, so that a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number"))
    })
}

/// One publish and the answer to each of its requests, in order; requests
/// after one that did not succeed were not sent.
struct Record {
    publish: Publish,
    answers: Vec<Answer>,
}

impl Record {
    fn succeeded(&self) -> bool {
        self.answers.len() == self.publish.steps.len()
            && self.answers.iter().all(|a| *a == Answer::Success)
    }
}

fn client() -> Client {
    Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(DEADLINE)
        .build()
        .unwrap()
}

/// Polls `/healthz` until the (restarted) server answers.
fn wait_until_up(client: &Client, base: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not come back within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Publishes `1.CLIENT.N` for N = 0, 1, … until told to stop. A request
/// whose connection could not be opened never reached the server and is
/// sent again once the server is back; any other answer is final.
fn publisher(
    format: Format,
    client_no: usize,
    base: &str,
    token: &str,
    stop: &AtomicBool,
    successes: &AtomicUsize,
) -> Vec<Record> {
    let client = client();
    let mut records = Vec::new();
    for n in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let version = format!("1.{client_no}.{n}");
        let salt = (client_no as u64) << 32 | n;
        let publish = formats::publish(format, &version, salt);
        let mut answers = Vec::new();
        let mut location: Option<String> = None;
        for step in &publish.steps {
            let (answer, next) = loop {
                match formats::send(&client, base, token, format, step, location.as_deref()) {
                    Some(sent) => break sent,
                    None => wait_until_up(&client, base),
                }
            };
            if step.follows_location {
                location = next;
            }
            let done = answer == Answer::Success;
            answers.push(answer);
            if !done {
                break;
            }
        }
        let record = Record { publish, answers };
        if record.succeeded() {
            successes.fetch_add(1, Ordering::SeqCst);
        }
        records.push(record);
    }
    records
}

#[derive(Debug, Default)]
struct Tally {
    publishes: usize,
    succeeded: usize,
    errors: Vec<String>,
    lost_present: usize,
    lost_absent: usize,
}

/// Checks one publish against what the server now serves.
fn check(
    client: &Client,
    base: &str,
    token: &str,
    listed: &BTreeSet<String>,
    r: &Record,
    tally: &mut Tally,
) {
    let p = &r.publish;
    let what = format!("{:?} {}", p.format, p.version);
    let mut present = false;
    let mut lost = false;
    for (i, step) in p.steps.iter().enumerate() {
        let Some(primary) = step.stores.first() else {
            continue;
        };
        let intact = |why: &str| {
            for file in &step.stores {
                let got = formats::download(client, base, token, p.format, file)
                    .unwrap_or_else(|| panic!("{what}: {} is missing ({why})", file.path));
                assert_eq!(
                    formats::sha256_hex(&got),
                    file.sha256,
                    "{what}: {} has other bytes ({why})",
                    file.path
                );
            }
        };
        let got = formats::download(client, base, token, p.format, primary);
        match r.answers.get(i) {
            Some(Answer::Success) => {
                intact("its publish succeeded");
                present = true;
            }
            Some(Answer::Lost(_)) => {
                lost = true;
                if got.is_some() {
                    intact("its publish was answered by a broken connection, yet it exists");
                    present = true;
                    tally.lost_present += 1;
                } else {
                    tally.lost_absent += 1;
                }
            }
            Some(Answer::Error(status, body)) => {
                assert!(
                    got.is_none(),
                    "{what}: {} is visible although its publish got {status} {body}",
                    primary.path
                );
            }
            None => assert!(
                got.is_none(),
                "{what}: {} is visible although it was never sent",
                primary.path
            ),
        }
    }
    let is_listed = listed.contains(&p.version);
    if present {
        assert!(is_listed, "{what} is stored but its index does not list it");
    } else {
        assert!(
            !is_listed,
            "{what} is listed by its index but nothing of it downloads (lost answer: {lost})"
        );
    }
    tally.publishes += 1;
    if r.succeeded() {
        tally.succeeded += 1;
    }
    for a in &r.answers {
        if let Answer::Error(status, body) = a {
            tally.errors.push(format!("{what}: {status} {body}"));
        }
    }
}

#[test]
fn sigkill_during_concurrent_publishes_in_every_format_loses_nothing_that_was_acknowledged() {
    crash_run(false);
}

#[test]
fn sigkill_during_concurrent_publishes_on_postgres_loses_nothing_that_was_acknowledged() {
    crash_run(true);
}

/// The scenario, on SQLite or on a fresh PostgreSQL database (the blob
/// store is the file system's either way).
fn crash_run(postgres: bool) {
    let started = Instant::now();
    let rounds = env_number("ENTREPOT_CRASH_ROUNDS").unwrap_or(20);
    let seed = env_number("ENTREPOT_CRASH_SEED").unwrap_or_else(|| {
        u64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
                % u128::from(u64::MAX),
        )
        .unwrap()
    });
    println!("crash test: {rounds} rounds, seed {seed} (replay with ENTREPOT_CRASH_SEED={seed})");
    let mut rng = Rng(seed);

    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}");
    let database = postgres.then(common::Postgres::create);
    let mut args = vec!["--listen", listen.as_str()];
    if let Some(db) = &database {
        args.extend(["--database", db.url()]);
    }
    let mut server = Server::start_in(dir.path(), &args, &base);
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", formats::MAVEN_REPO]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );

    let stop = AtomicBool::new(false);
    let successes = AtomicUsize::new(0);
    let records: Vec<Record> = std::thread::scope(|s| {
        let workers: Vec<_> = ALL
            .iter()
            .flat_map(|f| (0..CLIENTS_PER_FORMAT).map(move |c| (*f, c)))
            .map(|(format, c)| {
                let (base, t, stop, successes) = (&base, &t, &stop, &successes);
                s.spawn(move || publisher(format, c, base, t, stop, successes))
            })
            .collect();
        let killer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for round in 0..rounds {
                let before = successes.load(Ordering::SeqCst);
                let deadline = Instant::now() + DEADLINE;
                while successes.load(Ordering::SeqCst) < before + PROGRESS_PER_ROUND {
                    assert!(
                        Instant::now() < deadline,
                        "round {round}: no progress within {DEADLINE:?} of the restart"
                    );
                    std::thread::sleep(Duration::from_millis(5));
                }
                // The random moment: somewhere among the publishes in flight.
                std::thread::sleep(Duration::from_millis(rng.below(500)));
                server.child.kill().unwrap();
                server.child.wait().unwrap();
                server = Server::start_in(dir.path(), &args, &base);
            }
        }));
        stop.store(true, Ordering::SeqCst);
        let records = workers
            .into_iter()
            .flat_map(|w| w.join().expect("a publisher panicked"))
            .collect();
        if let Err(panic) = killer {
            std::panic::resume_unwind(panic);
        }
        records
    });
    let publishing = started.elapsed();

    let client = client();
    let indexes: BTreeMap<Format, BTreeSet<String>> = ALL
        .iter()
        .map(|f| (*f, formats::listed(&client, &base, &t, *f)))
        .collect();
    let mut tally = Tally::default();
    for r in &records {
        check(
            &client,
            &base,
            &t,
            &indexes[&r.publish.format],
            r,
            &mut tally,
        );
    }
    let mut per_format: BTreeMap<Format, (usize, usize)> = BTreeMap::new();
    for r in &records {
        let entry = per_format.entry(r.publish.format).or_default();
        entry.0 += 1;
        entry.1 += usize::from(r.succeeded());
    }
    println!(
        "{rounds} kills in {publishing:?}: {} publishes, {} succeeded, {} errors, lost answers: {} present and complete, {} absent; per format (publishes, successes): {per_format:?}",
        tally.publishes,
        tally.succeeded,
        tally.errors.len(),
        tally.lost_present,
        tally.lost_absent
    );
    assert!(
        tally.errors.is_empty(),
        "distinct versions of valid packages are never refused: {:#?}",
        tally.errors
    );
    assert!(
        per_format.values().all(|(_, ok)| *ok > 0),
        "every format published something: {per_format:?}"
    );

    // Killed once more, idle, and checked offline.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    println!("fsck: {}", server.assert_fsck_clean());
    println!("total {:?}", started.elapsed());
}
