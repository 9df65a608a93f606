//! A pushed body into a temporary file under the upload limit: the first
//! part of a multipart form, or the raw body. The form is cut out by hand
//! because NuGet 2.x ends its part with a bare `\n` before the closing
//! boundary, which strict multipart parsers refuse.

use std::io::{Seek, SeekFrom};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use entrepot_http::spool::temp_file;
use entrepot_service::ServiceError;
use futures::StreamExt;

use crate::respond::{NuGetError, Result};

/// The `.nupkg` of a push body, in a temporary file of at most `limit`
/// bytes.
pub async fn spool(headers: &HeaderMap, body: Body, limit: u64) -> Result<std::fs::File> {
    let internal = |e: std::io::Error| NuGetError::from(ServiceError::from(e));
    let too_large = || {
        NuGetError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the package exceeds the limit of {limit} bytes"),
        )
    };
    let (raw, mut out) = temp_file().await?;
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    // The form's own bytes come on top of the package's.
    let allowed = limit + 64 * 1024;
    let mut written = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| NuGetError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
        written += chunk.len() as u64;
        if written > allowed {
            return Err(too_large());
        }
        tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
            .await
            .map_err(internal)?;
    }
    tokio::io::AsyncWriteExt::flush(&mut out)
        .await
        .map_err(internal)?;
    let Some(boundary) = boundary else {
        return if written > limit {
            Err(too_large())
        } else {
            Ok(raw)
        };
    };
    let package = tokio::task::spawn_blocking(move || first_part(raw, &boundary, written))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|m| NuGetError::new(StatusCode::BAD_REQUEST, m))?;
    // The slack above was for the form; the package itself keeps the limit.
    let size = package.metadata().map_err(internal)?.len();
    if size > limit {
        return Err(too_large());
    }
    Ok(package)
}

/// Copies the body of a form's first part out of `raw` (`len` bytes).
fn first_part(
    mut raw: std::fs::File,
    boundary: &str,
    len: u64,
) -> std::result::Result<std::fs::File, String> {
    use std::io::Read as _;
    let io = |e: std::io::Error| format!("cannot read the upload: {e}");
    let delimiter = format!("--{boundary}");
    let mut head = vec![0u8; len.min(64 * 1024) as usize];
    raw.seek(SeekFrom::Start(0)).map_err(io)?;
    raw.read_exact(&mut head).map_err(io)?;
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let open = find(&head, delimiter.as_bytes()).ok_or("the form has no part")?;
    let rest = &head[open..];
    let headers_end = find(rest, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(rest, b"\n\n").map(|i| i + 2))
        .ok_or("the form's part has no end of headers")?;
    let start = (open + headers_end) as u64;
    let tail_len = len.saturating_sub(start).min(u64::from(u16::MAX));
    let mut tail = vec![0u8; tail_len as usize];
    raw.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    raw.read_exact(&mut tail).map_err(io)?;
    let close = tail
        .windows(delimiter.len())
        .rposition(|w| w == delimiter.as_bytes())
        .ok_or("the form is not closed")?;
    let mut end = len - tail_len + close as u64;
    for byte in [b'\n', b'\r'] {
        if end > start && tail.get((end - (len - tail_len)) as usize - 1) == Some(&byte) {
            end -= 1;
        }
    }
    if end <= start {
        return Err("the form's part is empty".into());
    }
    let mut part = tempfile::tempfile().map_err(io)?;
    raw.seek(SeekFrom::Start(start)).map_err(io)?;
    std::io::copy(&mut (&mut raw).take(end - start), &mut part).map_err(io)?;
    Ok(part)
}
