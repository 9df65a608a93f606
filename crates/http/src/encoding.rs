//! Compressed forms of rendered documents (packuments, index files): each
//! compressed once per rendering, off the executor's threads, when a
//! client first asks for it, and kept beside the rendering. Clients ask for
//! gzip (npm, pip, cargo, gem, NuGet) and some for brotli (pip with brotli
//! installed, browsers). Blobs are never compressed here: they are already
//! (tarballs, layers), and are served in ranges.

use std::sync::{Arc, OnceLock};

use axum::http::{HeaderMap, HeaderValue, header};
use bytes::Bytes;

/// Bodies smaller than this go out as they are: the headers would cost
/// more than compression saves.
const MIN_COMPRESSED: usize = 1024;
/// Brotli's quality: about gzip's speed at its best level, and smaller.
const BROTLI_QUALITY: u32 = 9;

/// A content coding this server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// The best coding `headers`' `Accept-Encoding` allows: brotli, then
    /// gzip, else none. `q=0` refuses a coding; `*` allows gzip.
    #[must_use]
    pub fn accepted(headers: &HeaderMap) -> Self {
        let (mut gzip, mut brotli, mut any) = (None, None, None);
        for value in headers.get_all(header::ACCEPT_ENCODING) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
                let allowed = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .all(|q| q.trim().parse::<f32>().map_or(true, |q| q > 0.0));
                match name.as_str() {
                    "gzip" | "x-gzip" => gzip = Some(allowed),
                    "br" => brotli = Some(allowed),
                    "*" => any = Some(allowed),
                    _ => {}
                }
            }
        }
        if brotli == Some(true) {
            Coding::Brotli
        } else if gzip.or(any) == Some(true) {
            Coding::Gzip
        } else {
            Coding::Identity
        }
    }

    /// The `Content-Encoding` it goes out with; none for identity.
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }
}

/// A rendered document and its compressed forms, made as asked for.
#[derive(Debug)]
pub struct Encoded {
    identity: Bytes,
    gzip: OnceLock<Option<Bytes>>,
    brotli: OnceLock<Option<Bytes>>,
}

impl Encoded {
    #[must_use]
    pub fn new(identity: Bytes) -> Arc<Self> {
        Arc::new(Encoded {
            identity,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        })
    }

    /// The document as rendered.
    #[must_use]
    pub fn identity(&self) -> &Bytes {
        &self.identity
    }

    /// The body for a client whose request carried `headers`, and the
    /// coding it is in (identity where compressing would not pay).
    pub async fn body_for(self: &Arc<Self>, headers: &HeaderMap) -> (Bytes, Coding) {
        let coding = Coding::accepted(headers);
        if coding == Coding::Identity || self.identity.len() < MIN_COMPRESSED {
            return (self.identity.clone(), Coding::Identity);
        }
        let slot = self.slot(coding);
        let compressed = if let Some(done) = slot.get() {
            done.clone()
        } else {
            let this = Arc::clone(self);
            let made = tokio::task::spawn_blocking(move || compress(&this.identity, coding))
                .await
                .ok()
                .flatten();
            // Two first requests may both compress; either result is kept.
            slot.get_or_init(|| made).clone()
        };
        match compressed {
            Some(body) => (body, coding),
            None => (self.identity.clone(), Coding::Identity),
        }
    }

    fn slot(&self, coding: Coding) -> &OnceLock<Option<Bytes>> {
        match coding {
            Coding::Brotli => &self.brotli,
            _ => &self.gzip,
        }
    }
}

/// `body` compressed, if that makes it smaller.
fn compress(body: &[u8], coding: Coding) -> Option<Bytes> {
    use std::io::Write;
    let out = match coding {
        Coding::Identity => return None,
        Coding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::best(),
            );
            encoder.write_all(body).ok()?;
            encoder.finish().ok()?
        }
        Coding::Brotli => {
            let mut out = Vec::with_capacity(body.len() / 4);
            let params = brotli::enc::BrotliEncoderParams {
                quality: i32::try_from(BROTLI_QUALITY).unwrap_or(9),
                ..Default::default()
            };
            brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
            out
        }
    };
    (out.len() < body.len()).then(|| Bytes::from(out))
}

/// Marks a response's headers for `coding`: its `Content-Encoding`, and
/// `Vary: Accept-Encoding` beside whatever else it varies on, so that
/// caches keep each form apart.
pub fn mark(headers: &mut HeaderMap, coding: Coding) {
    if let Some(name) = coding.name() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    let vary = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
        Some(other) if !other.is_empty() => {
            HeaderValue::from_str(&format!("{other}, Accept-Encoding"))
                .unwrap_or(HeaderValue::from_static("Accept-Encoding"))
        }
        _ => HeaderValue::from_static("Accept-Encoding"),
    };
    headers.insert(header::VARY, vary);
}

/// The `ETag` of `etag` (a quoted strong tag) in `coding`: each form its own,
/// as a strong tag names exact bytes.
#[must_use]
pub fn etag_for(etag: &str, coding: Coding) -> String {
    match coding.name() {
        Some(name) => match etag.strip_suffix('"') {
            Some(open) => format!("{open}-{name}\""),
            None => etag.to_owned(),
        },
        None => etag.to_owned(),
    }
}

/// Whether `If-None-Match` in `headers` names `etag` in any of its forms.
#[must_use]
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|t| {
            t == "*"
                || t == bare
                || t.strip_prefix(bare)
                    .is_some_and(|rest| rest == "-gzip" || rest == "-br")
        })
}

/// How a kept rendering goes out: its media type, and what else than the
/// coding its form depends on (`Vary`).
#[derive(Debug, Clone, Copy)]
pub struct Kept {
    pub content_type: &'static str,
    pub vary: &'static str,
}

/// The answer to a request for a kept rendering: `304` when the client's
/// copy (in any coding) is current, else the body in the coding the client
/// takes (for `HEAD`, none, with its length); with the form's `ETag`,
/// `Vary: VARY, Accept-Encoding`, and revalidated on every use (`private,
/// no-cache`: who may read it may change).
pub async fn kept(
    body: &Arc<Encoded>,
    etag: &str,
    request: &HeaderMap,
    head: bool,
    how: Kept,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (bytes, coding) = body.body_for(request).await;
    let mut response = if not_modified(request, etag) {
        axum::http::StatusCode::NOT_MODIFIED.into_response()
    } else if head {
        let mut r = axum::body::Body::empty().into_response();
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        r
    } else {
        bytes.into_response()
    };
    let h = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&etag_for(etag, coding)) {
        h.insert(header::ETAG, tag);
    }
    h.insert(header::VARY, HeaderValue::from_static(how.vary));
    mark(h, coding);
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(how.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

/// A strong `ETag` for `body`: the first 128 bits of its SHA-256.
#[must_use]
pub fn etag_of(body: &[u8]) -> String {
    use sha2::Digest;
    format!("\"{}\"", hex::encode(&sha2::Sha256::digest(body)[..16]))
}

/// Responses rendered for each request (pages, REST, the documents not
/// kept) are compressed as they go out, when the client asks and the body
/// is text of a known size worth it; never a blob, a range or what is
/// already encoded.
#[must_use]
pub fn layer() -> tower_http::compression::CompressionLayer<Compressible> {
    tower_http::compression::CompressionLayer::new()
        .no_deflate()
        .no_zstd()
        .compress_when(Compressible)
}

/// What [`layer`] compresses.
#[derive(Debug, Clone, Copy)]
pub struct Compressible;

/// Text worth compressing; blobs of any type are larger than this.
const MAX_COMPRESSED_ON_THE_FLY: u64 = 8 * 1024 * 1024;

impl tower_http::compression::Predicate for Compressible {
    fn should_compress<B: http_body::Body>(&self, response: &axum::http::Response<B>) -> bool {
        let headers = response.headers();
        let sized = response
            .body()
            .size_hint()
            .exact()
            .is_some_and(|n| (MIN_COMPRESSED as u64..=MAX_COMPRESSED_ON_THE_FLY).contains(&n));
        sized
            && !headers.contains_key(header::CONTENT_RANGE)
            && !headers.contains_key(header::CONTENT_DISPOSITION)
            && headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(is_text)
    }
}

/// Media types of text this server renders.
fn is_text(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "text/html"
            | "text/css"
            | "text/javascript"
            | "text/plain"
            | "text/xml"
            | "application/javascript"
            | "application/json"
            | "application/xml"
            | "application/problem+json"
            | "application/vnd.github+json"
            | "application/vnd.npm.install-v1+json"
            | "application/vnd.pypi.simple.v1+json"
            | "application/vnd.pypi.simple.v1+html"
            | "image/svg+xml"
    )
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn asking(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn the_best_coding_the_client_allows_is_chosen() {
        assert_eq!(Coding::accepted(&HeaderMap::new()), Coding::Identity);
        assert_eq!(Coding::accepted(&asking("gzip, deflate")), Coding::Gzip);
        assert_eq!(
            Coding::accepted(&asking("gzip, deflate, br")),
            Coding::Brotli
        );
        assert_eq!(Coding::accepted(&asking("br;q=0, gzip")), Coding::Gzip);
        assert_eq!(Coding::accepted(&asking("gzip;q=0")), Coding::Identity);
        assert_eq!(Coding::accepted(&asking("*")), Coding::Gzip);
        assert_eq!(Coding::accepted(&asking("identity")), Coding::Identity);
        assert_eq!(Coding::accepted(&asking("GZIP;q=0.5")), Coding::Gzip);
    }

    #[tokio::test]
    async fn a_document_is_compressed_once_and_reads_back_whole() {
        let text = (0..2000).fold(String::new(), |mut s, i| {
            s.push_str("\"v");
            s.push_str(&i.to_string());
            s.push_str("\":{},");
            s
        });
        let encoded = Encoded::new(Bytes::from(text.clone()));
        let (gz, coding) = encoded.body_for(&asking("gzip")).await;
        assert_eq!(coding, Coding::Gzip);
        assert!(gz.len() < text.len() / 4);
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
        let (again, _) = encoded.body_for(&asking("gzip")).await;
        assert_eq!(again.as_ptr(), gz.as_ptr(), "kept, not compressed again");

        let (br, coding) = encoded.body_for(&asking("br")).await;
        assert_eq!(coding, Coding::Brotli);
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
        assert_eq!(back, text.as_bytes());

        let small = Encoded::new(Bytes::from_static(b"{}"));
        assert_eq!(small.body_for(&asking("gzip")).await.1, Coding::Identity);
    }

    #[test]
    fn only_text_of_a_known_size_is_compressed_on_the_fly() {
        use tower_http::compression::Predicate;
        let response = |content_type: &str, body: Vec<u8>| {
            axum::http::Response::builder()
                .header(header::CONTENT_TYPE, content_type)
                .body(http_body_util::Full::new(Bytes::from(body)))
                .unwrap()
        };
        let page = response("text/html; charset=utf-8", vec![b'a'; 4096]);
        assert!(Compressible.should_compress(&page));
        let tarball = response("application/octet-stream", vec![0; 4096]);
        assert!(!Compressible.should_compress(&tarball));
        let tiny = response("application/json", b"{}".to_vec());
        assert!(!Compressible.should_compress(&tiny));
        let mut ranged = response("text/plain", vec![b'a'; 4096]);
        ranged.headers_mut().insert(
            header::CONTENT_RANGE,
            HeaderValue::from_static("bytes 0-4095/9000"),
        );
        assert!(!Compressible.should_compress(&ranged));
    }

    #[test]
    fn each_form_has_its_etag_and_any_of_them_matches() {
        assert_eq!(etag_for("\"abc\"", Coding::Gzip), "\"abc-gzip\"");
        assert_eq!(etag_for("\"abc\"", Coding::Identity), "\"abc\"");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("W/\"abc-br\""),
        );
        assert!(not_modified(&headers, "\"abc\""));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", \"abc\""),
        );
        assert!(not_modified(&headers, "\"abc\""));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abcd\""));
        assert!(!not_modified(&headers, "\"abc\""));
    }
}
