//! The graph of an object's neighbourhood (`GET /objects/{id}/graph`), laid out on the
//! server as SVG: the object in the middle, related objects (solid edges, labelled with
//! the relationship or reference) and correlated objects (dashed edges, labelled with the
//! shared value) on rings around it. Every node is a link to its object page; the same
//! nodes follow as a list for screen readers and keyboards.

use std::collections::HashMap;
use std::f64::consts::PI;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::i18n::Lang;
use super::layout;
use super::objects::{Loaded, load};
use super::session::Ctx;
use super::view::{self, display_name, object_link, type_of};
use super::{Web, blocking};

/// Nodes drawn around the centre at most.
pub const MAX_NODES: usize = 48;
const W: f64 = 900.0;
const H: f64 = 640.0;

/// A node of the drawing.
struct Node {
    id: String,
    label: String,
    kind: String,
    edge: String,
    correlation: bool,
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        s.chars().take(n - 1).collect::<String>() + "…"
    } else {
        s.to_owned()
    }
}

fn nodes(loaded: &Loaded) -> Vec<Node> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Node> = Vec::new();
    for (r, other) in &loaded.related {
        let Some(o) = other else { continue };
        if seen.contains_key(&r.id) || out.len() >= MAX_NODES {
            continue;
        }
        seen.insert(r.id.clone(), out.len());
        out.push(Node {
            id: r.id.clone(),
            label: display_name(o),
            kind: type_of(o).to_owned(),
            edge: r.relationship.as_ref().map_or_else(
                || r.via.trim_start_matches("$.").to_owned(),
                |(_, t)| t.clone(),
            ),
            correlation: false,
        });
    }
    for (c, name) in &loaded.correlations {
        if seen.contains_key(&c.id) || out.len() >= MAX_NODES {
            continue;
        }
        seen.insert(c.id.clone(), out.len());
        out.push(Node {
            id: c.id.clone(),
            label: name.clone(),
            kind: c.object_type.clone(),
            edge: c.value.clone(),
            correlation: true,
        });
    }
    out
}

/// Positions on one or two rings around the centre.
fn positions(n: usize) -> Vec<(f64, f64)> {
    let (cx, cy) = (W / 2.0, H / 2.0);
    let inner = n.min(16);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (ring, k, count) = if i < inner {
            (0, i, inner)
        } else {
            (1, i - inner, n - inner)
        };
        #[allow(clippy::cast_precision_loss)]
        let angle = -PI / 2.0 + 2.0 * PI * (k as f64) / (count as f64) + f64::from(ring) * 0.2;
        let (rx, ry) = if ring == 0 {
            (240.0, 190.0)
        } else {
            (400.0, 280.0)
        };
        out.push((cx + rx * angle.cos(), cy + ry * angle.sin()));
    }
    out
}

/// The SVG drawing.
fn svg(l: Lang, center: &serde_json::Value, nodes: &[Node]) -> Markup {
    let (cx, cy) = (W / 2.0, H / 2.0);
    let pos = positions(nodes.len());
    let center_name = display_name(center);
    let center_id = center.get("id").and_then(|v| v.as_str()).unwrap_or("");
    html! {
        svg.graph viewBox={ "0 0 " (W) " " (H) } role="group" aria-labelledby="graph-title" xmlns="http://www.w3.org/2000/svg" {
            title #graph-title { (l.t_s("graph-svg-title", "name", &center_name)) }
            @for (node, (x, y)) in nodes.iter().zip(&pos) {
                line class=(if node.correlation { "edge corr" } else { "edge" }) x1=(cx) y1=(cy) x2=(format!("{x:.1}")) y2=(format!("{y:.1}")) {}
                text x=(format!("{:.1}", (cx + x) / 2.0)) y=(format!("{:.1}", (cy + y) / 2.0 - 3.0)) text-anchor="middle" {
                    (short(&node.edge, 22))
                }
            }
            a href={ "/objects/" (center_id) } {
                g.node.center {
                    circle cx=(cx) cy=(cy) r="16" {}
                    text x=(cx) y=(cy + 32.0) text-anchor="middle" font-weight="700" { (short(&center_name, 30)) }
                }
            }
            @for (node, (x, y)) in nodes.iter().zip(&pos) {
                a href={ "/objects/" (node.id) } {
                    g.node {
                        title { (node.kind) ": " (node.label) }
                        circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="10" {}
                        text x=(format!("{x:.1}")) y=(format!("{:.1}", y + 24.0)) text-anchor="middle" { (short(&node.label, 24)) }
                        text x=(format!("{x:.1}")) y=(format!("{:.1}", y + 37.0)) text-anchor="middle" fill="#4a5360" { (node.kind) }
                    }
                }
            }
        }
    }
}

/// `GET /objects/{id}/graph`.
pub async fn page(
    ctx: Ctx,
    State(web): State<Web>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let user = ctx.require()?.clone();
    let l = ctx.lang;
    let not_found = || layout::error_page(&ctx, StatusCode::NOT_FOUND, &l.t("error-no-object"));
    if !view::is_stix_id(&id) {
        return Err(not_found());
    }
    let store = web.app.store.clone();
    let key = id.clone();
    let Some(loaded) = blocking(&ctx, move || load(&*store, &key, user.clearance)).await? else {
        return Err(not_found());
    };
    let center = loaded.current.value();
    let nodes = nodes(&loaded);
    let name = display_name(&center);
    let body = html! {
        p { a href={ "/objects/" (id) } { (l.t("graph-back")) } }
        @if nodes.is_empty() {
            p.card { (l.t("graph-empty")) }
        } @else {
            (svg(l, &center, &nodes))
            p.muted { (l.t("graph-legend")) }
            h2 { (l.t_n("graph-nodes", "count", i64::try_from(nodes.len()).unwrap_or(0))) }
            ul {
                @for n in &nodes {
                    li {
                        (object_link(&n.id, &n.label)) " "
                        span.muted { "(" (n.kind) ", " bdi { (n.edge) } ")" }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &ctx,
        &l.t_s("graph-title", "name", &name),
        None,
        body,
    ))
}
