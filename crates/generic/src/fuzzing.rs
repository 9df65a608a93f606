//! Entry points for the fuzz targets (`crates/fuzzing`): what a request
//! path can make of the endpoint parser.

use axum::http::Method;

use crate::endpoint::Endpoint;

/// A path under `/generic/OWNER/`, read with every method.
pub fn endpoint(data: &[u8]) {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    for method in [Method::GET, Method::PUT, Method::HEAD, Method::DELETE] {
        let _ = Endpoint::parse(&method, path);
    }
}
