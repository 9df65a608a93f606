//! Reads npm's publish document as a stream: the metadata is parsed, and
//! each base64 attachment is decoded straight into the blob store (which
//! verifies its digests), so a 256 MiB tarball never sits in memory or on a
//! node's disk. READMEs and descriptions, at the document's top level and
//! in each version, are read through their limits (`entrepot_core::limits`):
//! what is past a limit is discarded as it arrives, never held.

use std::io::{BufReader, Read};

use axum::body::Body;
use bytes::Bytes;
use entrepot_core::limits::{MAX_DESCRIPTION_BYTES, MAX_README_BYTES, utf8_prefix};
use entrepot_service::{Registry, ServiceError};
use entrepot_store::{BlobInfo, Expected};
use futures::TryStreamExt;
use serde_json::{Map, Value};
use struson::reader::{JsonReader, JsonStreamReader, ValueType};
use tokio::runtime::Handle;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::error::{NpmError, NpmResult, invalid};
use crate::metadata::Manifest;

/// Decoded bytes handed to the blob store at a time.
const CHUNK: usize = 64 * 1024;

/// One attachment, already in the blob store.
pub struct StoredAttachment {
    pub filename: String,
    pub blob: BlobInfo,
    pub declared_length: Option<u64>,
}

pub struct PublishBody {
    /// Every member of the document except `_attachments`.
    pub doc: Map<String, Value>,
    pub attachments: Vec<StoredAttachment>,
}

impl PublishBody {
    /// The document's `name`, where it has one.
    pub fn name(&self) -> Option<&str> {
        self.doc.get("name").and_then(Value::as_str)
    }

    /// The document's `versions`: each version's manifest by its name.
    pub fn versions(&self) -> Map<String, Value> {
        match self.doc.get("versions") {
            Some(Value::Object(v)) => v.clone(),
            _ => Map::new(),
        }
    }

    /// The document's `dist-tags` that point at `version`.
    pub fn tags_of(&self, version: &str) -> Vec<String> {
        match self.doc.get("dist-tags") {
            Some(Value::Object(t)) => t
                .iter()
                .filter(|(_, v)| v.as_str() == Some(version))
                .map(|(k, _)| k.clone())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Counts bytes read and fails past a limit, so a hostile body cannot run
/// on for ever.
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
        NpmError(ServiceError::TooLarge { limit: 0 })
    } else {
        invalid(format!("invalid publish document: {text}"))
    }
}

/// The digests the document promises for its one version's tarball, known
/// before the attachment when npm's member order is kept.
fn expected_from(doc: &Map<String, Value>) -> Expected {
    let mut expected = Expected {
        want_sha512: true,
        want_sha1: true,
        ..Expected::default()
    };
    if let Some(Value::Object(versions)) = doc.get("versions")
        && versions.len() == 1
        && let Some(dist) = versions
            .values()
            .next()
            .and_then(|v| Manifest::from_value(v.clone()).dist)
    {
        expected.sha512 = dist.sha512();
        expected.sha1 = dist.sha1();
    }
    expected
}

/// Streams the request body through the JSON reader on a blocking thread,
/// each attachment into the blob store, which stops one at `max_attachment`
/// bytes (the room the owner's quota leaves), when given.
pub async fn read(
    body: Body,
    registry: Registry,
    (max_body, max_attachment): (u64, Option<u64>),
) -> NpmResult<PublishBody> {
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let handle = Handle::current();
    let bridge = SyncIoBridge::new_with_handle(StreamReader::new(stream), handle.clone());
    tokio::task::spawn_blocking(move || {
        let reader = BufReader::with_capacity(
            CHUNK,
            Limited {
                inner: bridge,
                left: max_body,
            },
        );
        parse(reader, &handle, &registry, max_attachment)
    })
    .await
    .map_err(|e| NpmError(ServiceError::Internal(e.to_string())))?
}

fn parse(
    reader: impl Read,
    handle: &Handle,
    registry: &Registry,
    max_attachment: Option<u64>,
) -> NpmResult<PublishBody> {
    let mut json = JsonStreamReader::new(reader);
    let mut doc = Map::new();
    let mut attachments = Vec::new();
    json.begin_object().map_err(json_error)?;
    while json.has_next().map_err(json_error)? {
        let name = json.next_name_owned().map_err(json_error)?;
        if name == "_attachments" && json.peek().map_err(json_error)? == ValueType::Object {
            let mut expected = expected_from(&doc);
            expected.max_size = max_attachment;
            json.begin_object().map_err(json_error)?;
            while json.has_next().map_err(json_error)? {
                let filename = json.next_name_owned().map_err(json_error)?;
                let stored = read_attachment(&mut json, filename, handle, registry, &expected);
                match stored {
                    Ok(a) => attachments.push(a),
                    Err(e) => {
                        discard_all(handle, registry, &attachments);
                        return Err(e);
                    }
                }
            }
            json.end_object().map_err(json_error)?;
        } else {
            let value = read_member(&mut json, &name)?;
            doc.insert(name, value);
        }
    }
    let end = json
        .end_object()
        .map_err(json_error)
        .and_then(|()| json.consume_trailing_whitespace().map_err(json_error));
    if let Err(e) = end {
        discard_all(handle, registry, &attachments);
        return Err(e);
    }
    Ok(PublishBody { doc, attachments })
}

/// The value of the document's member `name`: `versions` manifest by
/// manifest, so that each version's README and description go through
/// their limits too.
fn read_member<R: Read>(json: &mut JsonStreamReader<R>, name: &str) -> NpmResult<Value> {
    if name != "versions" || json.peek().map_err(json_error)? != ValueType::Object {
        return read_field(json, name);
    }
    let mut versions = Map::new();
    json.begin_object().map_err(json_error)?;
    while json.has_next().map_err(json_error)? {
        let version = json.next_name_owned().map_err(json_error)?;
        let manifest = if json.peek().map_err(json_error)? == ValueType::Object {
            let mut manifest = Map::new();
            json.begin_object().map_err(json_error)?;
            while json.has_next().map_err(json_error)? {
                let key = json.next_name_owned().map_err(json_error)?;
                let value = read_field(json, &key)?;
                manifest.insert(key, value);
            }
            json.end_object().map_err(json_error)?;
            Value::Object(manifest)
        } else {
            json.deserialize_next().map_err(json_error)?
        };
        versions.insert(version, manifest);
    }
    json.end_object().map_err(json_error)?;
    Ok(Value::Object(versions))
}

/// The value of member `name`: a README or description string read
/// through its limit (the rest read and dropped), anything else whole.
fn read_field<R: Read>(json: &mut JsonStreamReader<R>, name: &str) -> NpmResult<Value> {
    let limit = match name {
        "readme" => MAX_README_BYTES,
        "description" => MAX_DESCRIPTION_BYTES,
        _ => return json.deserialize_next().map_err(json_error),
    };
    if json.peek().map_err(json_error)? != ValueType::String {
        return json.deserialize_next().map_err(json_error);
    }
    let mut kept = Vec::new();
    let mut text = json.next_string_reader().map_err(json_error)?;
    (&mut text)
        .take(limit as u64)
        .read_to_end(&mut kept)
        .map_err(json_error)?;
    std::io::copy(&mut text, &mut std::io::sink()).map_err(json_error)?;
    drop(text);
    let kept = utf8_prefix(kept, limit).map_err(json_error)?;
    Ok(Value::String(kept))
}

fn discard_all(handle: &Handle, registry: &Registry, attachments: &[StoredAttachment]) {
    for a in attachments {
        handle.block_on(discard(registry, &a.blob));
    }
}

/// Removes a blob stored for a publish that then failed; a failure to
/// remove it only leaves it to the collector.
pub async fn discard(registry: &Registry, blob: &BlobInfo) {
    let _ = registry.blobs().discard_upload(&blob.sha256).await;
}

fn read_attachment<R: Read>(
    json: &mut JsonStreamReader<R>,
    filename: String,
    handle: &Handle,
    registry: &Registry,
    expected: &Expected,
) -> NpmResult<StoredAttachment> {
    let mut blob = None;
    let mut declared_length = None;
    json.begin_object().map_err(json_error)?;
    while json.has_next().map_err(json_error)? {
        match json.next_name_owned().map_err(json_error)?.as_str() {
            "data" if blob.is_none() => {
                let text = json.next_string_reader().map_err(json_error)?;
                blob = Some(stream_into_store(
                    text, &filename, handle, registry, expected,
                )?);
            }
            "length" => declared_length = json.next_number::<u64>().map_err(json_error)?.ok(),
            _ => json.skip_value().map_err(json_error)?,
        }
    }
    json.end_object().map_err(json_error)?;
    let blob = blob.ok_or_else(|| invalid(format!("attachment {filename} has no data")))?;
    Ok(StoredAttachment {
        filename,
        blob,
        declared_length,
    })
}

/// Decodes base64 from `text` into the blob store, chunk by chunk.
fn stream_into_store(
    text: impl Read,
    filename: &str,
    handle: &Handle,
    registry: &Registry,
    expected: &Expected,
) -> NpmResult<BlobInfo> {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let store = {
        let registry = registry.clone();
        let expected = expected.clone();
        let body = Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }));
        handle.spawn(async move { registry.blobs().store_blob(body, expected).await })
    };
    let engine = base64::engine::general_purpose::STANDARD;
    let mut decoder = base64::read::DecoderReader::new(text, &engine);
    let mut buf = vec![0u8; CHUNK];
    let mut bad_base64 = None;
    loop {
        match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                // A closed channel means the store gave up (too large, say);
                // its own error is reported below.
                if tx
                    .blocking_send(Ok(Bytes::copy_from_slice(&buf[..n])))
                    .is_err()
                {
                    break;
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(std::io::Error::other("invalid base64")));
                bad_base64 = Some(invalid(format!(
                    "attachment {filename} is not valid base64: {e}"
                )));
                break;
            }
        }
    }
    drop(tx);
    let stored = handle
        .block_on(store)
        .map_err(|e| NpmError(ServiceError::Internal(e.to_string())))?;
    if let Some(e) = bad_base64 {
        return Err(e);
    }
    stored.map_err(|e| match e {
        ServiceError::DigestMismatch(m) => invalid(format!(
            "the tarball does not match dist.integrity / dist.shasum: {m}"
        )),
        other => NpmError(other),
    })
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    /// The document's members as `parse` reads them (without attachments).
    fn members(text: &[u8]) -> Map<String, Value> {
        let mut json = JsonStreamReader::new(text);
        json.begin_object().unwrap();
        let mut doc = Map::new();
        while json.has_next().unwrap() {
            let name = json.next_name_owned().unwrap();
            let value = read_member(&mut json, &name).unwrap();
            doc.insert(name, value);
        }
        json.end_object().unwrap();
        doc
    }

    #[test]
    fn readmes_and_descriptions_are_read_through_their_limits() {
        // Two bytes a character, plus one: the limit falls inside one.
        let long = format!("a{}", "é".repeat(MAX_README_BYTES));
        let doc = serde_json::json!({
            "readme": long, "description": long,
            "versions": {"1.0.0": {"name": "x", "readme": long, "description": long,
                "keywords": ["kept"], "other": "short"}},
        });
        let doc = members(&serde_json::to_vec(&doc).unwrap());
        let version = &doc["versions"]["1.0.0"];
        for (text, limit) in [
            (&doc["readme"], MAX_README_BYTES),
            (&doc["description"], MAX_DESCRIPTION_BYTES),
            (&version["readme"], MAX_README_BYTES),
            (&version["description"], MAX_DESCRIPTION_BYTES),
        ] {
            let text = text.as_str().unwrap();
            assert_eq!(text.len(), limit - 1, "cut before the split character");
            assert!(long.starts_with(text));
        }
        assert_eq!(version["name"], "x");
        assert_eq!(version["keywords"][0], "kept");
        assert_eq!(version["other"], "short");
        let small = members(br##"{"readme": "# Hi", "versions": {"1.0.0": {"readme": null}}}"##);
        assert_eq!(small["readme"], "# Hi");
        assert_eq!(small["versions"]["1.0.0"]["readme"], Value::Null);
    }

    #[test]
    fn expected_digests_come_from_the_single_version() {
        let digest = [7u8; 64];
        let sri = format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        );
        let doc = serde_json::json!({"versions": {"1.0.0": {"dist": {"integrity": sri, "shasum": "ABC"}}}});
        let e = expected_from(doc.as_object().unwrap());
        assert_eq!(e.sha512, Some(hex::encode(digest)));
        assert_eq!(e.sha1.as_deref(), Some("abc"));
        let none = expected_from(&Map::new());
        assert!(none.sha512.is_none() && none.want_sha512);
    }
}
