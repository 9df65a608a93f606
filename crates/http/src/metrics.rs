//! Prometheus metrics: requests by route and status, latency, bytes in and
//! out, the service's publish and download counters, the stores' latency,
//! the database's pools and the webhook queue.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    format: &'static str,
    method: String,
    route: String,
    status: u16,
}

/// The part of the server a route belongs to: a format's registry, the
/// REST API, the web pages, or the server's own endpoints.
fn format_of(route: &str) -> &'static str {
    let first = route
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    match first {
        "npm" | "-" => "npm",
        "maven" => "maven",
        "rubygems" => "rubygems",
        "nuget" => "nuget",
        "pypi" | "_" => "pypi",
        "cargo" => "cargo",
        "generic" => "generic",
        "v2" | "token" => "container",
        "api" => "rest",
        "healthz" | "readyz" | "metrics" => "server",
        "unmatched" => "none",
        _ => "web",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    bytes_in: Counter,
    bytes_out: Counter,
    storage_full: Counter,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("entrepot");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let bytes_in = Counter::default();
        let bytes_out = Counter::default();
        let storage_full = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head",
            latency.clone(),
        );
        registry.register(
            "http_request_bytes",
            "Request body bytes received (declared length)",
            bytes_in.clone(),
        );
        registry.register(
            "http_response_bytes",
            "Response body bytes sent (declared length)",
            bytes_out.clone(),
        );
        registry.register(
            "storage_full",
            "Requests refused with 507 because the stores had no room left",
            storage_full.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            requests,
            latency,
            bytes_in,
            bytes_out,
            storage_full,
        }
    }

    /// The OpenMetrics text, with the service's own counters added.
    pub fn render(
        &self,
        stats: &entrepot_service::Stats,
        database: &entrepot_service::timing::DatabaseUse,
    ) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(
            &mut out,
            &self.registry.lock().expect("metrics lock"),
        )
        .expect("writing to a String cannot fail");
        let eof = out.rfind("# EOF").unwrap_or(out.len());
        let mut extra = format!(
            "# HELP entrepot_publishes Versions published.\n# TYPE entrepot_publishes counter\n\
             entrepot_publishes_total {}\n\
             # HELP entrepot_downloads Package files downloaded.\n# TYPE entrepot_downloads counter\n\
             entrepot_downloads_total {}\n",
            stats.publishes.load(Ordering::Relaxed),
            stats.downloads.load(Ordering::Relaxed)
        );
        let by_format = stats.by_format();
        for (name, help, pick) in [
            (
                "publishes_by_format",
                "Versions and files published, by format.",
                1,
            ),
            (
                "downloads_by_format",
                "Package files downloaded, by format.",
                2,
            ),
        ] {
            let _ = write!(
                extra,
                "# HELP entrepot_{name} {help}\n# TYPE entrepot_{name} counter\n"
            );
            for (format, published, downloaded) in &by_format {
                let n = if pick == 1 { published } else { downloaded };
                let _ = writeln!(extra, "entrepot_{name}_total{{format=\"{format}\"}} {n}");
            }
        }
        let _ = write!(
            extra,
            "# HELP entrepot_upstream_files Files served by the upstream proxies, from the cache (hit) or fetched (miss).\n\
             # TYPE entrepot_upstream_files counter\n\
             entrepot_upstream_files_total{{result=\"hit\"}} {}\n\
             entrepot_upstream_files_total{{result=\"miss\"}} {}\n",
            stats.proxy_hits.load(Ordering::Relaxed),
            stats.proxy_misses.load(Ordering::Relaxed)
        );
        stores(&mut extra, stats, database);
        out.insert_str(eof, &extra);
        out
    }
}

/// The blob store's latency, the database's pools and round trip, and the
/// webhook queue.
fn stores(
    out: &mut String,
    stats: &entrepot_service::Stats,
    database: &entrepot_service::timing::DatabaseUse,
) {
    use entrepot_service::timing::BLOB_OPERATIONS;
    out.push_str(
        "# HELP entrepot_blob_store_seconds Blob store calls by operation (put: until durable; get: until open).\n\
         # TYPE entrepot_blob_store_seconds histogram\n",
    );
    for (operation, latency) in BLOB_OPERATIONS.iter().zip(&stats.blob_latency.0) {
        let seen = latency.snapshot();
        for (bound, n) in &seen.cumulative {
            let _ = writeln!(
                out,
                "entrepot_blob_store_seconds_bucket{{operation=\"{operation}\",le=\"{bound}\"}} {n}"
            );
        }
        let _ = write!(
            out,
            "entrepot_blob_store_seconds_bucket{{operation=\"{operation}\",le=\"+Inf\"}} {count}\n\
             entrepot_blob_store_seconds_sum{{operation=\"{operation}\"}} {sum}\n\
             entrepot_blob_store_seconds_count{{operation=\"{operation}\"}} {count}\n",
            count = seen.count,
            sum = seen.sum_seconds,
        );
    }
    out.push_str(
        "# HELP entrepot_database_connections Database connections by pool: open, idle, and the most allowed.\n\
         # TYPE entrepot_database_connections gauge\n",
    );
    for p in &database.pools {
        for (state, n) in [("open", p.open), ("idle", p.idle), ("max", p.max)] {
            let _ = writeln!(
                out,
                "entrepot_database_connections{{pool=\"{}\",state=\"{state}\"}} {n}",
                p.pool
            );
        }
    }
    if let Some(ping) = database.ping {
        let _ = write!(
            out,
            "# HELP entrepot_database_ping_seconds Round trip of the simplest query, at this scrape.\n\
             # TYPE entrepot_database_ping_seconds gauge\n\
             entrepot_database_ping_seconds {}\n",
            ping.as_secs_f64()
        );
    }
    if let Some(pending) = database.pending_deliveries {
        let _ = write!(
            out,
            "# HELP entrepot_webhook_deliveries_pending Webhook deliveries waiting to be sent or retried.\n\
             # TYPE entrepot_webhook_deliveries_pending gauge\n\
             entrepot_webhook_deliveries_pending {pending}\n"
        );
    }
    let _ = write!(
        out,
        "# HELP entrepot_webhook_attempts Webhook delivery attempts by this node: taken (2xx) or failed.\n\
         # TYPE entrepot_webhook_attempts counter\n\
         entrepot_webhook_attempts_total{{result=\"delivered\"}} {}\n\
         entrepot_webhook_attempts_total{{result=\"failed\"}} {}\n",
        stats.webhook_delivered.load(Ordering::Relaxed),
        stats.webhook_failed.load(Ordering::Relaxed)
    );
}

fn declared_length(headers: &axum::http::HeaderMap) -> u64 {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The method as a label: the standard ones by name, any other as
/// `other`, so that made-up methods cannot grow the label set (and
/// `/metrics`) without bound.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Middleware recording each request.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    metrics.bytes_in.inc_by(declared_length(request.headers()));
    let response = next.run(request).await;
    let m = &metrics;
    m.bytes_out.inc_by(declared_length(response.headers()));
    if response.status() == axum::http::StatusCode::INSUFFICIENT_STORAGE {
        m.storage_full.inc();
    }
    m.requests
        .get_or_create(&RequestLabels {
            format: format_of(&route),
            method: method.clone(),
            route: route.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    m.latency
        .get_or_create(&RouteLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    response
}
