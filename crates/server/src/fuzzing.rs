//! The `http_request` fuzz target: any request, through the whole
//! application the binary serves (every format, the REST API, OSV, the web
//! pages) on a scratch registry. Whatever the method, path, query and body,
//! the answer is never a 5xx: a handler's error is the client's fault or a
//! bug, and a panic (which the application turns into a 500) is a bug.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Method, Request, header};
use clap::Parser;
use tower::ServiceExt;

use crate::cli::Cli;
use crate::config::Config;

const METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::PATCH,
];

struct Harness {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    /// alice's token with every package scope.
    token: String,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = std::env::temp_dir().join(format!("entrepot-fuzz-app-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        let cli = Cli::try_parse_from([
            "entrepot",
            "--data-dir",
            dir.to_str().expect("a UTF-8 temporary folder"),
            "--base-url",
            "http://127.0.0.1:8080",
            "serve",
        ])
        .expect("the arguments parse");
        let config = Config::resolve(&cli.global).expect("a configuration");
        let (app, token) = runtime.block_on(async {
            let registry = config.open_registry(true).await.expect("a registry");
            registry
                .accounts()
                .create_user("alice", None, false, None)
                .await
                .expect("alice");
            let scopes = entrepot_core::Scopes::parse_list(
                "read:packages,write:packages,delete:packages,repo",
            )
            .expect("scopes");
            let issued = registry
                .accounts()
                .create_token("alice", scopes, None, None)
                .await
                .expect("a token");
            let application = crate::serve::Application::new(&config, registry);
            (application.router(), issued.secret)
        });
        Harness {
            runtime,
            app,
            token,
        }
    })
}

/// The first byte picks the method (low bits) and whether alice's token is
/// sent (high bit); the bytes up to the first newline are the path and
/// query; the rest is the body.
pub fn request(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (target, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    if target.first() != Some(&b'/') || body.len() > 1 << 16 {
        return;
    }
    let Ok(uri) = axum::http::Uri::try_from(target) else {
        return;
    };
    let h = harness();
    let mut builder = Request::builder()
        .method(METHODS[usize::from(first) % METHODS.len()].clone())
        .uri(uri);
    if first & 0x80 != 0 {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {}", h.token));
    }
    let Ok(request) = builder.body(Body::from(body.to_vec())) else {
        return;
    };
    let app = h.app.clone();
    h.runtime.block_on(async move {
        let response = app.oneshot(request).await.expect("the router answers");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .unwrap_or_default();
        assert!(
            !status.is_server_error(),
            "{status}: {}",
            String::from_utf8_lossy(&body)
        );
    });
}
