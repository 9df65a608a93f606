//! Reads npm's publish document as a stream: the metadata is parsed, and
//! each base64 attachment is decoded straight to a staging file, so a
//! 256 MiB tarball never sits in memory.

use std::io::{BufReader, Read, Write};
use std::path::Path;

use axum::body::Body;
use base64::Engine;
use futures::TryStreamExt;
use serde_json::{Map, Value};
use struson::reader::{JsonReader, JsonStreamReader, ValueType};
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::error::{NpmError, NpmResult, invalid};

/// The README is read from the tarball up to this size.
const MAX_README_BYTES: u64 = 1024 * 1024;
/// Decompressed bytes inspected while looking for the README.
const MAX_INSPECTED_BYTES: u64 = 512 * 1024 * 1024;

/// One decoded attachment, waiting in a staging file.
pub struct StagedAttachment {
    pub filename: String,
    pub file: tempfile::NamedTempFile,
    pub size: u64,
    pub declared_length: Option<u64>,
    /// The README found in the tarball (`package/README*`), if any.
    pub readme: Option<String>,
}

pub struct PublishBody {
    /// Every member of the document except `_attachments`.
    pub doc: Map<String, Value>,
    pub attachments: Vec<StagedAttachment>,
}

/// Counts bytes read and fails past a limit, so a hostile body cannot fill
/// the disk or memory.
struct Limited<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self
            .left
            .checked_sub(n as u64)
            .ok_or_else(|| std::io::Error::other(BodyTooLarge))?;
        Ok(n)
    }
}

#[derive(Debug)]
struct BodyTooLarge;

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body too large")
    }
}

impl std::error::Error for BodyTooLarge {}

fn json_error(e: impl std::fmt::Display) -> NpmError {
    let text = e.to_string();
    if text.contains("request body too large") {
        NpmError(entrepot_service::ServiceError::TooLarge { limit: 0 })
    } else {
        invalid(format!("invalid publish document: {text}"))
    }
}

/// Streams the request body through the JSON reader on a blocking thread.
pub async fn read(
    body: Body,
    staging: &Path,
    max_body: u64,
    max_file: u64,
) -> NpmResult<PublishBody> {
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let bridge = SyncIoBridge::new(StreamReader::new(stream));
    let staging = staging.to_owned();
    tokio::task::spawn_blocking(move || {
        let reader = BufReader::with_capacity(
            64 * 1024,
            Limited {
                inner: bridge,
                left: max_body,
            },
        );
        parse(reader, &staging, max_file)
    })
    .await
    .map_err(|e| NpmError(entrepot_service::ServiceError::Internal(e.to_string())))?
}

fn parse(reader: impl Read, staging: &Path, max_file: u64) -> NpmResult<PublishBody> {
    let mut json = JsonStreamReader::new(reader);
    let mut doc = Map::new();
    let mut attachments = Vec::new();
    json.begin_object().map_err(json_error)?;
    while json.has_next().map_err(json_error)? {
        let name = json.next_name_owned().map_err(json_error)?;
        if name == "_attachments" && json.peek().map_err(json_error)? == ValueType::Object {
            json.begin_object().map_err(json_error)?;
            while json.has_next().map_err(json_error)? {
                let filename = json.next_name_owned().map_err(json_error)?;
                attachments.push(read_attachment(&mut json, filename, staging, max_file)?);
            }
            json.end_object().map_err(json_error)?;
        } else {
            let value: Value = json.deserialize_next().map_err(json_error)?;
            doc.insert(name, value);
        }
    }
    json.end_object().map_err(json_error)?;
    json.consume_trailing_whitespace().map_err(json_error)?;
    Ok(PublishBody { doc, attachments })
}

fn read_attachment<R: Read>(
    json: &mut JsonStreamReader<R>,
    filename: String,
    staging: &Path,
    max_file: u64,
) -> NpmResult<StagedAttachment> {
    let io = |e: std::io::Error| NpmError(entrepot_service::ServiceError::Internal(e.to_string()));
    std::fs::create_dir_all(staging).map_err(io)?;
    let mut file = tempfile::NamedTempFile::new_in(staging).map_err(io)?;
    let mut size = 0;
    let mut declared_length = None;
    json.begin_object().map_err(json_error)?;
    while json.has_next().map_err(json_error)? {
        match json.next_name_owned().map_err(json_error)?.as_str() {
            "data" => {
                let text = json.next_string_reader().map_err(json_error)?;
                let engine = base64::engine::general_purpose::STANDARD;
                let mut decoder = base64::read::DecoderReader::new(text, &engine);
                let mut limited = (&mut decoder).take(max_file + 1);
                size = std::io::copy(&mut limited, &mut file).map_err(|e| {
                    invalid(format!("attachment {filename} is not valid base64: {e}"))
                })?;
                if size > max_file {
                    return Err(NpmError(entrepot_service::ServiceError::TooLarge {
                        limit: max_file,
                    }));
                }
                // Drain what the limit left unread so the JSON reader can go on.
                std::io::copy(&mut decoder, &mut std::io::sink()).map_err(json_error)?;
            }
            "length" => declared_length = json.next_number::<u64>().map_err(json_error)?.ok(),
            _ => json.skip_value().map_err(json_error)?,
        }
    }
    json.end_object().map_err(json_error)?;
    file.flush().map_err(io)?;
    let readme = find_readme(file.path());
    Ok(StagedAttachment {
        filename,
        file,
        size,
        declared_length,
        readme,
    })
}

/// Looks for `package/README*` in a gzipped tarball; any failure means no README.
fn find_readme(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let gz = flate2::read::GzDecoder::new(BufReader::new(file)).take(MAX_INSPECTED_BYTES);
    let mut archive = tar::Archive::new(gz);
    for entry in archive.entries().ok()?.take(10_000) {
        let mut entry = entry.ok()?;
        let path = entry.path().ok()?.into_owned();
        let mut components = path.components();
        components.next();
        let rest = components.as_path();
        let is_readme = rest.components().count() == 1
            && rest
                .to_str()
                .is_some_and(|n| n.to_ascii_lowercase().starts_with("readme"));
        if is_readme && entry.header().entry_type().is_file() {
            let mut text = String::new();
            (&mut entry)
                .take(MAX_README_BYTES)
                .read_to_string(&mut text)
                .ok()?;
            return Some(text);
        }
    }
    None
}

/// The hex SHA-512 inside an SRI `integrity` value (`sha512-BASE64`).
pub fn sha512_of_integrity(integrity: &str) -> Option<String> {
    integrity.split_whitespace().find_map(|part| {
        let b64 = part.strip_prefix("sha512-")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        (bytes.len() == 64).then(|| hex::encode(bytes))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tarball_with_readme(readme: &str) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, body) in [
            ("package/package.json", "{}"),
            ("package/README.md", readme),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, path, body.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn attachments_are_decoded_to_staging_files_and_the_rest_parsed() {
        let dir = tempfile::tempdir().unwrap();
        let tgz = tarball_with_readme("# Hello");
        let body = serde_json::json!({
            "name": "@alice/hello",
            "versions": {"1.0.0": {"name": "@alice/hello", "version": "1.0.0"}},
            "_attachments": {"@alice/hello-1.0.0.tgz": {
                "content_type": "application/octet-stream",
                "data": base64::engine::general_purpose::STANDARD.encode(&tgz),
                "length": tgz.len(),
            }},
        });
        let parsed = parse(body.to_string().as_bytes(), dir.path(), 1 << 20).unwrap();
        assert_eq!(parsed.doc["name"], "@alice/hello");
        assert!(!parsed.doc.contains_key("_attachments"));
        let a = &parsed.attachments[0];
        assert_eq!(a.filename, "@alice/hello-1.0.0.tgz");
        assert_eq!(std::fs::read(a.file.path()).unwrap(), tgz);
        assert_eq!(a.declared_length, Some(tgz.len() as u64));
        assert_eq!(a.readme.as_deref(), Some("# Hello"));
    }

    #[test]
    fn oversized_attachments_and_bad_documents_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = serde_json::json!({"_attachments": {"a.tgz": {"data": base64::engine::general_purpose::STANDARD.encode(vec![0u8; 100])}}});
        assert!(matches!(
            parse(big.to_string().as_bytes(), dir.path(), 10),
            Err(NpmError(entrepot_service::ServiceError::TooLarge { .. }))
        ));
        assert!(parse(&b"{\"a\": "[..], dir.path(), 10).is_err());
        assert!(parse(&b"[1]"[..], dir.path(), 10).is_err());
        let not_b64 = serde_json::json!({"_attachments": {"a.tgz": {"data": "!!!"}}});
        assert!(parse(not_b64.to_string().as_bytes(), dir.path(), 10).is_err());
    }

    #[test]
    fn integrity_strings_yield_the_sha512() {
        let digest = [7u8; 64];
        let sri = format!(
            "sha1-abc sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        );
        assert_eq!(sha512_of_integrity(&sri), Some(hex::encode(digest)));
        assert_eq!(sha512_of_integrity("sha256-xyz"), None);
    }
}
