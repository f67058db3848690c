//! `/api/v1/incidents` and the other coordinated-response routes.

use axum::Router;

use crate::AppState;

/// The coordinated-response routes.
pub fn router(state: AppState) -> Router {
    Router::new().with_state(state)
}
