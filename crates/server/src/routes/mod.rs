//! The route handlers, one module per resource.

pub mod community;
pub mod incidents;
pub mod matching;
pub mod meta;
pub mod objects;
pub mod tokens;

use crate::error::ApiError;

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await?
}
