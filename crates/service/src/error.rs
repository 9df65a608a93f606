//! The one typed service error that every wire protocol wraps and renders in
//! its own client's format.

use entrepot_core::Denial;
use entrepot_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No credentials, where some are needed: 401 with a challenge.
    #[error("authentication required")]
    Unauthenticated,
    /// Credentials were sent but are wrong, expired or revoked: 401.
    #[error("bad credentials")]
    BadCredentials,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// 403: the organization enforces single sign-on and this credential
    /// has not come through it; `url` is where the caller authorizes it
    /// (GitHub's `X-GitHub-SSO` header carries it).
    #[error(
        "Resource protected by organization single sign-on: `{org}` requires your token to be authorized for it, or your browser to sign on; go to {url}"
    )]
    SsoRequired { org: String, url: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    DigestMismatch(String),
    #[error("upload exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("requested range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    /// Too many attempts (password guesses): 429, try again later.
    #[error("{0}")]
    Throttled(String),
    /// The stores have no room left: 507. Details are logged, never sent.
    #[error("storage is full: {0}")]
    StorageFull(String),
    /// An upstream registry could not answer and nothing usable was
    /// cached: 502, naming the upstream.
    #[error("{0}")]
    Upstream(String),
    /// Details are logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// What a caller who may not see a thing is told: an anonymous caller
    /// is asked to sign in (401 with the protocol's challenge), a signed-in
    /// one hears that it does not exist (404), so that a private name is
    /// never confirmed to someone who may not see it. Every protocol's
    /// "missing or hidden" answer comes from here.
    pub fn unseen(actor: &entrepot_core::Actor, what: impl Into<String>) -> Self {
        match actor {
            entrepot_core::Actor::Anonymous => ServiceError::Unauthenticated,
            entrepot_core::Actor::User { .. } => ServiceError::NotFound(what.into()),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ServiceError::NotFound(what.into())
    }

    /// The HTTP status this error maps to in every protocol.
    pub fn status(&self) -> u16 {
        match self {
            ServiceError::Unauthenticated | ServiceError::BadCredentials => 401,
            ServiceError::NotFound(_) => 404,
            ServiceError::Forbidden(_) | ServiceError::SsoRequired { .. } => 403,
            ServiceError::Conflict(_) => 409,
            ServiceError::Invalid(_) | ServiceError::DigestMismatch(_) => 400,
            ServiceError::TooLarge { .. } => 413,
            ServiceError::RangeNotSatisfiable { .. } => 416,
            ServiceError::Throttled(_) => 429,
            ServiceError::StorageFull(_) => 507,
            ServiceError::Upstream(_) => 502,
            ServiceError::Internal(_) => 500,
        }
    }
}

impl From<Denial> for ServiceError {
    fn from(d: Denial) -> Self {
        match d {
            Denial::Unauthenticated => ServiceError::Unauthenticated,
            Denial::NotFound => ServiceError::NotFound("Not Found".into()),
            // The organization is named where the refusal is made
            // (`Registry::authorize_package`); this is the fallback.
            Denial::Forbidden(_) | Denial::MissingScope(_) | Denial::SsoRequired => {
                ServiceError::Forbidden(d.to_string())
            }
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound("Not Found".into()),
            StoreError::Conflict(m) => ServiceError::Conflict(m),
            StoreError::Reserved(m) => ServiceError::Forbidden(m),
            StoreError::DigestMismatch { .. } => ServiceError::DigestMismatch(e.to_string()),
            StoreError::TooLarge { limit } => ServiceError::TooLarge { limit },
            StoreError::RangeNotSatisfiable { size } => ServiceError::RangeNotSatisfiable { size },
            StoreError::Invalid(m) => ServiceError::Invalid(m),
            StoreError::Full(m) => ServiceError::StorageFull(m),
            StoreError::Io(_) | StoreError::Database(_) => ServiceError::Internal(e.to_string()),
        }
    }
}

/// An I/O error of the service's own (a spooled upload, a temporary file):
/// a full disk is `StorageFull`, anything else internal.
impl From<std::io::Error> for ServiceError {
    fn from(e: std::io::Error) -> Self {
        StoreError::from(e).into()
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
