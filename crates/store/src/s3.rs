//! The S3 blob store (AWS S3, MinIO, Ceph, R2, GCS's S3 API), on the
//! `object_store` crate. Uploads stream (multipart past a few MiB) to a
//! temporary key while hashed, and are copied under their digest only once
//! every expectation held, so a reader never sees a partial or wrong blob.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;

use crate::blob::{
    BlobInfo, BlobRead, BlobStore, ByteRange, ByteStream, Expected, Hasher, is_sha256_hex,
};
use crate::{StoreError, StoreResult};

/// Parts of a multipart upload (and the threshold for using one).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Temporary uploads older than this are leftovers of a crash.
const STALE_TEMP_AGE: Duration = Duration::from_hours(1);

/// Where a bucket is and how to reach it.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    pub bucket: String,
    /// Keys are stored under this prefix (may be empty).
    pub prefix: String,
    /// For S3-compatible servers; path-style addressing is used with one.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// When unset, the usual `AWS_*` environment variables apply.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl S3Config {
    /// Parses `s3://BUCKET[/PREFIX]?endpoint=…&region=…`.
    pub fn from_url(url: &str) -> StoreResult<S3Config> {
        let parsed = url::Url::parse(url)
            .map_err(|e| StoreError::Invalid(format!("blob store URL {url}: {e}")))?;
        if parsed.scheme() != "s3" {
            return Err(StoreError::Invalid(format!("not an s3:// URL: {url}")));
        }
        let bucket = parsed
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| StoreError::Invalid(format!("no bucket in {url}")))?
            .to_owned();
        let mut config = S3Config {
            bucket,
            prefix: parsed.path().trim_matches('/').to_owned(),
            ..S3Config::default()
        };
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "endpoint" => config.endpoint = Some(value.into_owned()),
                "region" => config.region = Some(value.into_owned()),
                other => {
                    return Err(StoreError::Invalid(format!(
                        "unknown s3 URL parameter `{other}`"
                    )));
                }
            }
        }
        Ok(config)
    }
}

pub struct S3BlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

impl S3BlobStore {
    /// Connects to the bucket and sweeps temporary uploads a crash left.
    pub async fn open(config: &S3Config) -> StoreResult<Self> {
        let env_has = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let keys_given = config.access_key_id.is_some()
            || env_has("AWS_ACCESS_KEY_ID")
            || env_has("AWS_WEB_IDENTITY_TOKEN_FILE")
            || env_has("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            || env_has("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        if config.endpoint.is_some() && !keys_given {
            // An S3-compatible server has no instance metadata to ask.
            return Err(StoreError::Invalid(
                "no credentials for the S3 endpoint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
            ));
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&config.bucket);
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        builder = builder.with_region(config.region.clone().unwrap_or_else(|| {
            std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|_| "us-east-1".into())
        }));
        if let (Some(id), Some(secret)) = (&config.access_key_id, &config.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        let store = builder
            .build()
            .map_err(|e| StoreError::Invalid(format!("S3 configuration: {e}")))?;
        let s3 = S3BlobStore {
            store: Arc::new(store),
            prefix: config.prefix.clone(),
        };
        s3.sweep_temp(STALE_TEMP_AGE).await?;
        Ok(s3)
    }

    fn key(&self, rest: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(rest)
        } else {
            Path::from(format!("{}/{rest}", self.prefix))
        }
    }

    fn blob_key(&self, sha256: &str) -> StoreResult<Path> {
        if !is_sha256_hex(sha256) {
            return Err(StoreError::Invalid(format!(
                "not a sha256 digest: {sha256}"
            )));
        }
        Ok(self.key(&format!("sha256/{}/{sha256}", &sha256[..2])))
    }

    /// Removes temporary uploads older than `age`.
    pub async fn sweep_temp(&self, age: Duration) -> StoreResult<usize> {
        let temps: Vec<_> = self
            .store
            .list(Some(&self.key("tmp")))
            .try_collect()
            .await
            .map_err(os_error)?;
        let mut removed = 0;
        for meta in temps {
            let written: SystemTime = meta.last_modified.into();
            if written.elapsed().unwrap_or_default() >= age {
                self.store.delete(&meta.location).await.map_err(os_error)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    async fn upload(
        &self,
        temp: &Path,
        mut body: ByteStream,
        expected: &Expected,
    ) -> StoreResult<BlobInfo> {
        let mut writer = BufWriter::with_capacity(Arc::clone(&self.store), temp.clone(), PART_SIZE);
        let mut hasher = Hasher::new(expected);
        let written: StoreResult<()> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                hasher.update(&chunk)?;
                writer.write_all(&chunk).await?;
            }
            writer.shutdown().await?;
            Ok(())
        }
        .await;
        if let Err(e) = written {
            let _ = writer.abort().await;
            return Err(e);
        }
        hasher.finish(expected)
    }
}

fn os_error(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        other => StoreError::Io(std::io::Error::other(other)),
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, body: ByteStream, expected: Expected) -> StoreResult<BlobInfo> {
        let temp = self.key(&format!("tmp/{:032x}", rand::random::<u128>()));
        let info = match self.upload(&temp, body, &expected).await {
            Ok(info) => info,
            Err(e) => {
                let _ = self.store.delete(&temp).await;
                return Err(e);
            }
        };
        let target = self.blob_key(&info.sha256)?;
        // Copied even over an identical blob: the fresh modification time
        // keeps the collector from taking it while its metadata is on the way.
        let placed = self.store.copy(&temp, &target).await.map_err(os_error);
        let _ = self.store.delete(&temp).await;
        placed?;
        Ok(info)
    }

    async fn get(&self, sha256: &str, range: Option<ByteRange>) -> StoreResult<BlobRead> {
        let key = self.blob_key(sha256)?;
        let total_size = self.store.head(&key).await.map_err(os_error)?.size;
        let bounds = match range {
            Some(r) => Some(
                r.resolve(total_size)
                    .ok_or(StoreError::RangeNotSatisfiable { size: total_size })?,
            ),
            None => (total_size > 0).then(|| (0, total_size - 1)),
        };
        let stream: ByteStream = match bounds {
            Some((start, end)) => {
                let options = GetOptions {
                    range: Some(GetRange::Bounded(start..end + 1)),
                    ..GetOptions::default()
                };
                let result = self.store.get_opts(&key, options).await.map_err(os_error)?;
                Box::pin(result.into_stream().map_err(std::io::Error::other))
            }
            None => Box::pin(futures::stream::empty()),
        };
        Ok(BlobRead {
            total_size,
            range: bounds,
            stream,
        })
    }

    async fn size(&self, sha256: &str) -> StoreResult<Option<u64>> {
        match self.store.head(&self.blob_key(sha256)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(os_error(e)),
        }
    }

    async fn modified(&self, sha256: &str) -> StoreResult<Option<SystemTime>> {
        match self.store.head(&self.blob_key(sha256)?).await {
            Ok(meta) => Ok(Some(meta.last_modified.into())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(os_error(e)),
        }
    }

    async fn delete(&self, sha256: &str) -> StoreResult<()> {
        match self.store.delete(&self.blob_key(sha256)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(os_error(e)),
        }
    }

    async fn list(&self) -> StoreResult<Vec<String>> {
        let metas: Vec<_> = self
            .store
            .list(Some(&self.key("sha256")))
            .try_collect()
            .await
            .map_err(os_error)?;
        let mut out: Vec<String> = metas
            .into_iter()
            .filter_map(|m| {
                m.location
                    .filename()
                    .filter(|n| is_sha256_hex(n))
                    .map(str::to_owned)
            })
            .collect();
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_name_the_bucket_prefix_endpoint_and_region() {
        let c = S3Config::from_url(
            "s3://packages/prod/eu?endpoint=http://127.0.0.1:9000&region=eu-west-1",
        )
        .unwrap();
        assert_eq!(c.bucket, "packages");
        assert_eq!(c.prefix, "prod/eu");
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert!(S3Config::from_url("s3://bucket?colour=blue").is_err());
        assert!(S3Config::from_url("file:///x").is_err());
    }
}
