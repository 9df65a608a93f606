//! The publish body as cargo sends it: a little-endian `u32` length and
//! the JSON metadata, then a `u32` length and the `.crate`, read off the
//! stream keeping in memory only the metadata.

use axum::body::{Body, BodyDataStream};
use axum::http::StatusCode;
use bytes::{Bytes, BytesMut};
use entrepot_store::ByteStream;
use futures::{StreamExt, TryStreamExt};

use crate::index::NewCrate;
use crate::reply::{CargoError, Result};

/// The largest JSON part of a publish body. Cargo puts the README's text
/// in it, so it is roomier than the metadata alone would need.
const MAX_METADATA: u32 = 4 * 1024 * 1024;

/// Reads a publish body's length-prefixed parts off the stream, keeping in
/// memory only what is asked for.
pub struct BodyReader {
    stream: BodyDataStream,
    buffer: BytesMut,
}

impl BodyReader {
    pub fn new(body: Body) -> Self {
        BodyReader {
            stream: body.into_data_stream(),
            buffer: BytesMut::new(),
        }
    }

    async fn fill(&mut self, n: usize) -> Result<()> {
        while self.buffer.len() < n {
            match self.stream.next().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(e)) => return Err(CargoError::bad(format!("cannot read the body: {e}"))),
                None => {
                    return Err(CargoError::bad(
                        "the body ends before the length it declares",
                    ));
                }
            }
        }
        Ok(())
    }

    async fn u32(&mut self) -> Result<u32> {
        self.fill(4).await?;
        let bytes = self.buffer.split_to(4);
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    async fn bytes(&mut self, n: usize) -> Result<Bytes> {
        self.fill(n).await?;
        Ok(self.buffer.split_to(n).freeze())
    }

    /// The publish metadata and the declared length of the `.crate` after it.
    pub async fn head(&mut self) -> Result<(NewCrate, u32)> {
        let json_len = self.u32().await?;
        if json_len > MAX_METADATA {
            return Err(CargoError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the publish metadata is larger than {MAX_METADATA} bytes"),
            ));
        }
        let metadata = self.bytes(json_len as usize).await?;
        let krate: NewCrate = serde_json::from_slice(&metadata)
            .map_err(|e| CargoError::bad(format!("the publish metadata is not valid: {e}")))?;
        let crate_len = self.u32().await?;
        Ok((krate, crate_len))
    }

    /// The rest of the body: what is buffered, then the stream.
    pub fn into_stream(self) -> ByteStream {
        let head = self.buffer.freeze();
        let head = futures::stream::iter((!head.is_empty()).then_some(Ok(head)));
        Box::pin(head.chain(self.stream.map_err(std::io::Error::other)))
    }
}
