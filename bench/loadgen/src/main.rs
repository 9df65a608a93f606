//! A mixed load for `bench/bench.py`: wrk sends one request over and over
//! and reports one latency, but target 27.4 asks how a listing fares while
//! packuments, tarballs, blob pulls and publishes run beside it. This sends
//! every kind of a plan at once and keeps each kind's latency apart.
//!
//! The plan (JSON, written by the bench) names the kinds: those with a
//! `weight` share the connections, each request picking one at random by
//! weight; those with `per_second` (publishes) are sent at that rate
//! whatever the others do, each body once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(about = "Sends a mixed load described by a plan and prints each kind's figures as JSON")]
struct Args {
    /// The plan: a JSON file (see `Plan`).
    plan: PathBuf,
}

#[derive(Deserialize)]
struct Plan {
    /// Where requests go: connection `c` to `base[c % n]` (nodes behind no
    /// balancer), paced requests in turn.
    base: Bases,
    connections: usize,
    duration_secs: f64,
    kinds: Vec<Kind>,
}

/// One base URL, or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum Bases {
    One(String),
    Many(Vec<String>),
}

impl Bases {
    fn pick(&self, n: usize) -> &str {
        match self {
            Bases::One(base) => base,
            Bases::Many(bases) => &bases[n % bases.len()],
        }
    }
}

#[derive(Deserialize)]
struct Kind {
    name: String,
    #[serde(default = "get")]
    method: String,
    /// Taken in turn.
    paths: Vec<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Share of the connections' requests.
    #[serde(default)]
    weight: u32,
    /// Sent at this rate instead, beside the connections.
    #[serde(default)]
    per_second: f64,
    /// Files sent as bodies, one per request, paired with `paths`.
    #[serde(default)]
    bodies: Vec<PathBuf>,
    /// The status a success answers with.
    #[serde(default = "ok")]
    status: u16,
}

fn get() -> String {
    "GET".into()
}

fn ok() -> u16 {
    200
}

#[derive(Serialize)]
struct Figures {
    requests: u64,
    errors: u64,
    /// The first error seen, to say what went wrong.
    first_error: Option<String>,
    per_second: f64,
    mb_per_second: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// What one sender saw of each kind.
struct Tally {
    latency: Vec<Histogram<u64>>,
    errors: Vec<u64>,
    first_error: Vec<Option<String>>,
    bytes: Vec<u64>,
}

impl Tally {
    fn new(kinds: usize) -> Self {
        Tally {
            latency: (0..kinds)
                .map(|_| Histogram::new_with_bounds(1, 600_000_000, 3).expect("bounds"))
                .collect(),
            errors: vec![0; kinds],
            first_error: vec![None; kinds],
            bytes: vec![0; kinds],
        }
    }

    fn merge(&mut self, other: &Tally) {
        for (i, h) in other.latency.iter().enumerate() {
            self.latency[i].add(h).expect("same bounds");
            self.errors[i] += other.errors[i];
            self.bytes[i] += other.bytes[i];
            if self.first_error[i].is_none() {
                self.first_error[i].clone_from(&other.first_error[i]);
            }
        }
    }
}

struct Shared {
    plan: Plan,
    client: reqwest::Client,
    /// Each kind's next path (and body).
    next: Vec<AtomicUsize>,
    bodies: Vec<Vec<Arc<Vec<u8>>>>,
    deadline: Instant,
}

impl Shared {
    /// Sends one request of kind `k`, reading the whole answer; `None` once
    /// a kind with bodies has sent each of them.
    async fn send(&self, k: usize, node: usize, tally: &mut Tally) -> Option<()> {
        let kind = &self.plan.kinds[k];
        let n = self.next[k].fetch_add(1, Ordering::Relaxed);
        let body = if kind.bodies.is_empty() {
            None
        } else {
            Some(self.bodies[k].get(n)?.clone())
        };
        let path = &kind.paths[n % kind.paths.len()];
        let method = reqwest::Method::from_bytes(kind.method.as_bytes()).expect("checked");
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.plan.base.pick(node)));
        for (name, value) in &kind.headers {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.body(body.as_ref().clone());
        }
        let started = Instant::now();
        let outcome = async {
            let mut response = request.send().await?;
            let status = response.status().as_u16();
            let mut bytes = 0u64;
            while let Some(chunk) = response.chunk().await? {
                bytes += chunk.len() as u64;
            }
            Ok::<_, reqwest::Error>((status, bytes))
        }
        .await;
        let micros = started.elapsed().as_micros().max(1) as u64;
        match outcome {
            Ok((status, bytes)) if status == kind.status => {
                tally.latency[k].saturating_record(micros);
                tally.bytes[k] += bytes;
            }
            failed => {
                tally.errors[k] += 1;
                if tally.first_error[k].is_none() {
                    tally.first_error[k] = Some(match failed {
                        Ok((status, _)) => format!("{path}: status {status}"),
                        Err(e) => format!("{path}: {e}"),
                    });
                }
            }
        }
        Some(())
    }
}

/// One connection's loop: requests back to back, each of a kind drawn by
/// weight (xorshift; the draw need not be strong, only spread).
async fn connection(shared: Arc<Shared>, c: usize) -> Tally {
    let seed = 0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1);
    let kinds = &shared.plan.kinds;
    let weighted: Vec<(usize, u32)> = kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| k.weight > 0)
        .map(|(i, k)| (i, k.weight))
        .collect();
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut tally = Tally::new(kinds.len());
    let mut state = seed | 1;
    while Instant::now() < shared.deadline && total > 0 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut pick = (state % u64::from(total)) as u32;
        let k = weighted
            .iter()
            .find(|(_, w)| {
                let here = pick < *w;
                pick = pick.saturating_sub(*w);
                here
            })
            .map_or(0, |(i, _)| *i);
        shared.send(k, c, &mut tally).await;
    }
    tally
}

/// A kind sent at a fixed rate, each request on its own task so that a slow
/// one does not hold back the next.
async fn paced(shared: Arc<Shared>, k: usize) -> Tally {
    let every = Duration::from_secs_f64(1.0 / shared.plan.kinds[k].per_second);
    let mut ticks = tokio::time::interval(every);
    let mut sent = Vec::new();
    while Instant::now() < shared.deadline {
        ticks.tick().await;
        let shared = shared.clone();
        let node = sent.len();
        sent.push(tokio::spawn(async move {
            let mut tally = Tally::new(shared.plan.kinds.len());
            shared.send(k, node, &mut tally).await;
            tally
        }));
    }
    let mut tally = Tally::new(shared.plan.kinds.len());
    for task in sent {
        tally.merge(&task.await.expect("sender"));
    }
    tally
}

fn load(plan: Plan) -> anyhow::Result<Shared> {
    let mut bodies = Vec::new();
    for kind in &plan.kinds {
        reqwest::Method::from_bytes(kind.method.as_bytes())
            .with_context(|| format!("method of {}", kind.name))?;
        if kind.paths.is_empty() {
            bail!("kind {} has no paths", kind.name);
        }
        if kind.weight == 0 && kind.per_second <= 0.0 {
            bail!("kind {} has neither a weight nor a rate", kind.name);
        }
        let mut read = Vec::new();
        for path in &kind.bodies {
            read.push(Arc::new(
                std::fs::read(path).with_context(|| path.display().to_string())?,
            ));
        }
        bodies.push(read);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(plan.connections + 16)
        .timeout(Duration::from_mins(2))
        .build()?;
    Ok(Shared {
        next: plan.kinds.iter().map(|_| AtomicUsize::new(0)).collect(),
        deadline: Instant::now() + Duration::from_secs_f64(plan.duration_secs),
        plan,
        client,
        bodies,
    })
}

/// One thread: the bench pins the load to a core of its own.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let plan: Plan = serde_json::from_slice(&std::fs::read(&args.plan)?)?;
    let shared = Arc::new(load(plan)?);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..shared.plan.connections {
        tasks.push(tokio::spawn(connection(shared.clone(), c)));
    }
    for (k, kind) in shared.plan.kinds.iter().enumerate() {
        if kind.per_second > 0.0 {
            tasks.push(tokio::spawn(paced(shared.clone(), k)));
        }
    }
    let mut tally = Tally::new(shared.plan.kinds.len());
    for task in tasks {
        tally.merge(&task.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let mut out = BTreeMap::new();
    for (k, kind) in shared.plan.kinds.iter().enumerate() {
        let h = &tally.latency[k];
        out.insert(
            kind.name.clone(),
            Figures {
                requests: h.len(),
                errors: tally.errors[k],
                first_error: tally.first_error[k].clone(),
                per_second: h.len() as f64 / elapsed,
                mb_per_second: tally.bytes[k] as f64 / elapsed / 1e6,
                p50_ms: ms(h, 0.5),
                p90_ms: ms(h, 0.9),
                p99_ms: ms(h, 0.99),
                max_ms: h.max() as f64 / 1000.0,
            },
        );
    }
    let all = serde_json::json!({ "elapsed": elapsed, "kinds": out });
    println!("{}", serde_json::to_string_pretty(&all)?);
    Ok(())
}
