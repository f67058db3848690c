//! Parts of the node's application built in other crates (the web interface, in
//! `concord-web`): a router together with the paths it was folded from.
//! [`crate::app_with`] merges parts under the same fallback and layers as the server's
//! own routes, and [`crate::route_paths`] lists their paths, so that a test walking the
//! node's routes walks theirs too.

use axum::Router;
use axum::routing::MethodRouter;

/// A part of the node's application: its router and the paths of its routes, both from
/// one table of paths and handlers, so that the paths listed are exactly the routes
/// served.
#[derive(Clone)]
pub struct Part {
    router: Router,
    paths: Vec<String>,
}

impl Part {
    /// The part folded from `table` (paths and handlers) over `state`, as every router of
    /// the node is folded from its table.
    pub fn from_table<S>(table: Vec<(&'static str, MethodRouter<S>)>, state: S) -> Part
    where
        S: Clone + Send + Sync + 'static,
    {
        let paths = table.iter().map(|(p, _)| (*p).to_owned()).collect();
        let router = table
            .into_iter()
            .fold(Router::new(), |r, (path, m)| r.route(path, m))
            .with_state(state);
        Part { router, paths }
    }

    /// The paths of the part's routes, as templates (`/objects/{id}`).
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// The part's router, for [`crate::app_with`].
    pub(crate) fn into_router(self) -> Router {
        self.router
    }
}

impl std::fmt::Debug for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Part")
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use concord_store::sqlite::SqliteStore;
    use tower::ServiceExt;

    use super::Part;
    use crate::{AppState, ServerConfig, app, app_with, route_paths};

    fn state() -> AppState {
        let store = SqliteStore::open_in_memory().expect("store");
        AppState::new(Arc::new(store), ServerConfig::default())
    }

    async fn status(router: axum::Router, path: &str) -> StatusCode {
        let req = Request::get(path).body(Body::empty()).expect("request");
        router.oneshot(req).await.expect("infallible").status()
    }

    /// A part's routes are served and listed with the node's own; without the part the
    /// same path falls back to the node's 404.
    #[tokio::test]
    async fn parts_are_served_and_listed_with_the_nodes_routes() {
        let state = state();
        let part = Part::from_table(vec![("/extra/{n}", get(|| async { "extra" }))], 7_u8);
        assert_eq!(part.paths(), ["/extra/{n}"]);
        let paths = route_paths(&state, std::slice::from_ref(&part));
        assert!(paths.iter().any(|p| p == "/extra/{n}"), "{paths:?}");
        assert!(paths.iter().any(|p| p == "/api/v1/objects"), "{paths:?}");
        assert_eq!(paths.len(), route_paths(&state, &[]).len() + 1, "{paths:?}");
        let with = app_with(state.clone(), vec![part]);
        assert_eq!(status(with.clone(), "/extra/1").await, StatusCode::OK);
        assert_eq!(status(with, "/healthz").await, StatusCode::OK);
        assert_eq!(status(app(state), "/extra/1").await, StatusCode::NOT_FOUND);
    }
}
