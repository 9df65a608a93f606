//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay
//! test: each parser of what a client sends, on raw bytes. They must never
//! panic, hang or allocate without bound, whatever the input.

use axum::http::Method;

/// Request paths, as the router splits them.
pub fn endpoint(data: &[u8]) {
    if let Ok(path) = std::str::from_utf8(data) {
        for method in [Method::GET, Method::PUT, Method::DELETE, Method::POST] {
            let _ = crate::endpoint::Endpoint::parse(&method, path, Some(path));
        }
        let _ = crate::name::NpmName::parse(path);
        let _ = crate::metadata::sha512_of_integrity(path);
    }
}

/// A package tarball: gzip, then tar, searched for its README.
pub fn tarball(data: &[u8]) {
    let _ = crate::tarball::find_readme(data);
}

/// What the publish reader needs: a runtime and a registry over a
/// throwaway SQLite database and blob folder, made once per process.
fn publish_harness() -> &'static (tokio::runtime::Runtime, entrepot_service::Registry) {
    static HARNESS: std::sync::OnceLock<(tokio::runtime::Runtime, entrepot_service::Registry)> =
        std::sync::OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = std::env::temp_dir().join(format!("entrepot-fuzz-npm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        let registry = runtime.block_on(async {
            let meta = entrepot_store::SqlStore::open(&format!(
                "sqlite://{}?mode=rwc",
                dir.join("meta.db").display()
            ))
            .await
            .expect("a database");
            let blobs = entrepot_store::FsBlobStore::open(dir.join("blobs"))
                .await
                .expect("a blob folder");
            entrepot_service::Registry::new(
                std::sync::Arc::new(meta),
                std::sync::Arc::new(blobs),
                entrepot_core::Policy::default(),
                entrepot_service::Limits::default(),
            )
        });
        (runtime, registry)
    })
}

/// A publish body: the streamed JSON document with base64 attachments.
pub fn publish_body(data: &[u8]) {
    let (runtime, registry) = publish_harness();
    let body = axum::body::Body::from(data.to_vec());
    let _ = runtime.block_on(crate::document::read(
        body,
        registry.clone(),
        (1 << 24, None),
    ));
}

/// An `npm audit` body, plain and as gzip (both as `Content-Encoding`
/// says).
pub fn audit_body(data: &[u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        for gzip in [false, true] {
            let mut headers = axum::http::HeaderMap::new();
            if gzip {
                headers.insert(
                    axum::http::header::CONTENT_ENCODING,
                    axum::http::HeaderValue::from_static("gzip"),
                );
            }
            let body = axum::body::Body::from(data.to_vec());
            let _ = crate::audit::read_json(&headers, body).await;
        }
    });
}
