//! The web interface, served at `/`.

use axum::Router;

use crate::AppState;

/// The web interface's routes.
pub fn router(state: AppState) -> Router {
    Router::new().with_state(state)
}
