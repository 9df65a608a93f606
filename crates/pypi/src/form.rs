//! twine's upload form, read as it arrives: text fields (repeatable), each
//! bounded, and the `content` file spooled to a temporary file with its
//! BLAKE2b-256 taken on the way.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use blake2::Digest as _;
use entrepot_http::spool::temp_file;
use entrepot_service::ServiceError;

use crate::error::{PypiError, Result};

/// The text fields of a form, each name with every value sent for it.
#[derive(Debug, Default)]
pub struct Form(HashMap<String, Vec<String>>);

impl Form {
    /// The first value of `name`, unless blank.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    /// Every value of `name`, in the order sent.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.get(name).cloned().unwrap_or_default()
    }
}

/// The file part of an upload, spooled to a temporary file.
pub struct Spooled {
    pub file: std::fs::File,
    pub filename: String,
    pub blake2_256: String,
}

/// The longest text field of an upload form: a long description (the
/// README) fits, anything longer is refused while it is read.
const MAX_FIELD_BYTES: usize = 1 << 20;
/// All text fields of one form together.
const MAX_FORM_TEXT_BYTES: usize = 4 << 20;
/// Fields in one form (twine sends a few dozen, more with many classifiers).
const MAX_FORM_PARTS: usize = 2000;

/// Reads twine's form: text fields (repeatable) and the `content` file.
pub async fn read_form(headers: &HeaderMap, body: Body, limit: u64) -> Result<(Form, Spooled)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| PypiError::bad_request("an upload is a multipart/form-data form"))?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut fields: HashMap<String, Vec<String>> = HashMap::new();
    let mut text_bytes = 0usize;
    let mut spooled = None;
    let bad_form = |e: multer::Error| PypiError::bad_request(format!("bad multipart form: {e}"));
    let mut parts = 0usize;
    while let Some(mut field) = form.next_field().await.map_err(bad_form)? {
        parts += 1;
        if parts > MAX_FORM_PARTS {
            return Err(PypiError::bad_request(format!(
                "the form has more than {MAX_FORM_PARTS} fields"
            )));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == "content" {
            let filename = field
                .file_name()
                .ok_or_else(|| PypiError::bad_request("the content part has no file name"))?
                .to_owned();
            let (file, mut out) = temp_file().await?;
            let mut hasher = blake2::Blake2b::<blake2::digest::consts::U32>::new();
            let mut written = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
                written += chunk.len() as u64;
                if written > limit {
                    return Err(PypiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("the file exceeds the limit of {limit} bytes"),
                    ));
                }
                hasher.update(&chunk);
                tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
                    .await
                    .map_err(ServiceError::from)?;
            }
            tokio::io::AsyncWriteExt::flush(&mut out)
                .await
                .map_err(ServiceError::from)?;
            spooled = Some(Spooled {
                file,
                filename,
                blake2_256: hex::encode(hasher.finalize()),
            });
        } else {
            // Each field is bounded as it arrives: a huge `summary` is
            // refused at its first megabyte, never read whole.
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
                text_bytes += chunk.len();
                if text.len() + chunk.len() > MAX_FIELD_BYTES {
                    return Err(PypiError::bad_request(format!(
                        "the form field {name:?} is longer than {MAX_FIELD_BYTES} bytes"
                    )));
                }
                if text_bytes > MAX_FORM_TEXT_BYTES {
                    return Err(PypiError::bad_request("the form's metadata is too large"));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|_| {
                PypiError::bad_request(format!("the form field {name:?} is not UTF-8"))
            })?;
            fields.entry(name).or_default().push(text);
        }
    }
    let spooled =
        spooled.ok_or_else(|| PypiError::bad_request("the upload has no content file"))?;
    Ok((Form(fields), spooled))
}
