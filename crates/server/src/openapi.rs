//! The OpenAPI 3.1 document of the REST API, written by hand as JSON so that it says
//! exactly what the handlers do. A test checks that every route of [`crate::ROUTES`]
//! appears in it.

use serde_json::{Map, Value, json};

use crate::ServerConfig;

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn json_response(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn param(name: &str, location: &str, required: bool, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": location, "required": required, "description": description, "schema": schema })
}

fn id_param() -> Value {
    param(
        "id",
        "path",
        true,
        "A STIX identifier, `type--UUID`.",
        json!({ "type": "string" }),
    )
}

fn list_params(q_required: bool) -> Vec<Value> {
    vec![
        param(
            "q",
            "query",
            q_required,
            "Full-text query over names, descriptions and values.",
            json!({ "type": "string" }),
        ),
        json!({
            "name": "type", "in": "query", "required": false,
            "description": "Only these STIX types; repeat the parameter or separate with commas.",
            "schema": { "type": "array", "items": { "type": "string" } },
            "style": "form", "explode": true
        }),
        param(
            "added_after",
            "query",
            false,
            "Only objects this node stored strictly after this timestamp (RFC 3339, UTC).",
            json!({ "type": "string", "format": "date-time" }),
        ),
        param(
            "limit",
            "query",
            false,
            "Page size, 1 to 1000 (default 100).",
            json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 }),
        ),
        param(
            "next",
            "query",
            false,
            "Opaque cursor: the `next` value of the previous page.",
            json!({ "type": "string" }),
        ),
        param(
            "order",
            "query",
            false,
            "`newest` (default): newest first; `seq`: in the order this node stored them.",
            json!({ "type": "string", "enum": ["newest", "seq"], "default": "newest" }),
        ),
    ]
}

/// Responses shared by authenticated routes.
fn auth_responses(responses: &mut Map<String, Value>) {
    responses.insert(
        "401".into(),
        error_response("Missing, malformed or unknown bearer token."),
    );
    responses.insert(
        "403".into(),
        error_response("The token's role may not do this."),
    );
    responses.insert(
        "500".into(),
        error_response("Internal error; the message carries an id to find in the log."),
    );
}

fn operation(
    summary: &str,
    tag: &str,
    secured: bool,
    params: Vec<Value>,
    mut responses: Map<String, Value>,
) -> Value {
    if secured {
        auth_responses(&mut responses);
    }
    let mut op = json!({
        "summary": summary,
        "tags": [tag],
        "parameters": params,
        "responses": responses,
    });
    if !secured {
        op["security"] = json!([]);
    }
    op
}

/// The `/api/v1/community` routes.
fn community_paths() -> Map<String, Value> {
    let community = param(
        "community",
        "query",
        false,
        "The community's id, id prefix or name; needed only when the node holds several.",
        json!({ "type": "string" }),
    );
    let not_held = || error_response("The node holds no such community (`community_not_found`).");
    let bad = || {
        error_response(
            "An unknown parameter, a bad `limit` or `next`, or several communities and no `community` (`bad_parameter`).",
        )
    };
    let object = json!({ "type": "object" });
    let publish_op = |summary: &str, body: Value| {
        let mut op = operation(
            summary,
            "community",
            true,
            vec![],
            responses(vec![
                (
                    "201",
                    json_response(
                        "Stored: the entry id, the proposal and its outcome.",
                        json!({ "type": "object", "properties": {
                "entry": { "type": "string" }, "proposal": { "type": "string" }, "outcome": { "type": "object" } } }),
                    ),
                ),
                (
                    "400",
                    error_response(
                        "A malformed body or choice, or several communities and no `community`.",
                    ),
                ),
                (
                    "404",
                    error_response(
                        "No such community (`community_not_found`) or proposal (`proposal_not_found`).",
                    ),
                ),
                (
                    "409",
                    error_response(
                        "This node does not federate (`not_federating`) or is not a member (`not_a_member`).",
                    ),
                ),
                (
                    "422",
                    error_response(
                        "The entry would not count (`would_not_count`, with the reason), or an admission without the candidate's valid application (`application_required`, `bad_application`); nothing was stored.",
                    ),
                ),
            ]),
        );
        op["requestBody"] =
            json!({ "required": true, "content": { "application/json": { "schema": body } } });
        op
    };
    let array = json!({ "type": "array", "items": { "type": "object" } });
    let paths = json!({
        "/api/v1/community": { "get": operation(
            "The community: name, charter, definitions, members with their status and keys, equivocations, counts of the log's entries; for admins also the members this node refuses locally (`refused_here`).",
            "community", true, vec![community.clone()], responses(vec![
                ("200", json_response("The community.", json!({ "type": "object", "properties": {
                    "community": { "type": "string" }, "name": { "type": "string" },
                    "created": { "type": "string" }, "charter": object, "definitions": object,
                    "members": array, "equivocations": array, "entries": object,
                    "refused_here": array } }))),
                ("400", bad()),
                ("404", not_held()),
            ])) },
        "/api/v1/community/log": { "get": operation(
            "The governance log in its order (signed time, then id): each signed entry, whether it counted and why not.",
            "community", true, vec![
                community.clone(),
                param("limit", "query", false, "Page size, 1 to 1000 (default 100).", json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 })),
                param("next", "query", false, "The `next` value of the previous page.", json!({ "type": "string" })),
            ], responses(vec![
                ("200", json_response("A page of entries.", json!({ "type": "object", "properties": {
                    "community": { "type": "string" }, "total": { "type": "integer" },
                    "entries": array, "more": { "type": "boolean" },
                    "next": { "type": ["string", "null"] } } }))),
                ("400", bad()),
                ("404", not_held()),
            ])) },
        "/api/v1/community/proposals": { "get": operation(
            "The open proposals (undecided, within their period), oldest first, with their votes, the yes votes needed and the seconds left.",
            "community", true, vec![community], responses(vec![
                ("200", json_response("The open proposals.", json!({ "type": "object", "properties": {
                    "community": { "type": "string" }, "proposals": array.clone() } }))),
                ("400", bad()),
                ("404", not_held()),
            ])),
            "post": publish_op(
                "Propose a decision, signed with the node key (admin); it counts as this node's yes. `action` is as in a log entry, e.g. `{\"action\": \"define\", \"name\": \"taxonomies\", \"value\": [...]}`.",
                json!({ "type": "object", "required": ["action"], "properties": {
                    "community": { "type": "string" }, "action": { "type": "object" }, "note": { "type": "string" } } })),
        },
        "/api/v1/community/votes": {
            "post": publish_op(
                "Vote on an open proposal, signed with the node key (admin).",
                json!({ "type": "object", "required": ["proposal", "choice"], "properties": {
                    "community": { "type": "string" },
                    "proposal": { "type": "string", "description": "The proposal's entry id or a unique prefix." },
                    "choice": { "type": "string", "enum": ["yes", "no"] } } })),
        },
    });
    match paths {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn responses(items: Vec<(&str, Value)>) -> Map<String, Value> {
    items.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The document, with `config.public_url` as its server.
pub fn document(config: &ServerConfig) -> Value {
    let page = json!({ "$ref": "#/components/schemas/ObjectPage" });
    let import = json!({ "$ref": "#/components/schemas/ImportResult" });
    let bad_param = error_response("A parameter is invalid; `details` names it.");
    let not_found = error_response("No object with this id.");
    let mut paths = json!({
        "/healthz": { "get": operation("Liveness probe.", "meta", false, vec![], responses(vec![
            ("200", json_response("The node serves requests; `leases`: the background work this replica runs (a node on PostgreSQL).", json!({ "type": "object", "properties": { "status": { "type": "string", "const": "ok" }, "leases": { "type": "array", "items": { "type": "string" } } } }))),
        ])) },
        "/readyz": { "get": operation("Readiness probe: the database answers and the indexer is caught up within a bound.", "meta", false, vec![], responses(vec![
            ("200", json_response("Ready.", json!({ "type": "object", "properties": { "status": { "type": "string", "const": "ready" }, "index_lag": { "type": "integer" } } }))),
            ("503", json_response("Not ready; `problems` says why.", json!({ "type": "object", "properties": { "status": { "type": "string", "const": "not ready" }, "problems": { "type": "array", "items": { "type": "string" } } } }))),
        ])) },
        "/metrics": { "get": operation("Prometheus metrics (text format 0.0.4).", "meta", false, vec![], responses(vec![
            ("200", json!({ "description": "Metrics.", "content": { "text/plain": { "schema": { "type": "string" } } } })),
            ("401", error_response("`[metrics] access = \"token\"`: a client not on loopback sent no valid bearer token.")),
            ("403", error_response("`[metrics] access = \"loopback\"` (the default): the client is not on loopback.")),
        ])) },
        "/api/v1/openapi.json": { "get": operation("This document.", "meta", false, vec![], responses(vec![
            ("200", json_response("The OpenAPI document.", json!({ "type": "object" }))),
        ])) },
        "/api/v1/objects": {
            "get": operation("List current object versions (reader).", "objects", true, list_params(false), responses(vec![
                ("200", json_response("A page of objects.", page.clone())),
                ("400", bad_param.clone()),
            ])),
            "post": {
                "summary": "Import a STIX bundle, a JSON array of objects, or one object (analyst).",
                "description": "Each object is validated on its own; valid ones are stored even when others are rejected. 200 when at least one object was accepted (or the document was empty), 422 when every object was rejected; both bodies list a result per object.",
                "tags": ["objects"],
                "requestBody": {
                    "required": true,
                    "content": {
                        "application/json": { "schema": { "$ref": "#/components/schemas/Document" } },
                        "application/stix+json": { "schema": { "$ref": "#/components/schemas/Document" } }
                    }
                },
                "responses": {
                    "200": json_response("Imported; `results` has one entry per object, in order, for up to 10,000 objects; past that only rejections and conflicts (at most 10,000), with `omitted_results` counting the rest.", import.clone()),
                    "400": error_response("Not JSON (message names line and column), nested too deeply, or not a bundle / array / object."),
                    "401": error_response("Missing, malformed or unknown bearer token."),
                    "403": error_response("The token's role may not write objects."),
                    "413": error_response("The body is larger than the node's limit (`payload_too_large`), or holds more objects than `max_objects_per_request` (`too_many_objects`; nothing of it is stored)."),
                    "415": error_response("Content-Type is not JSON."),
                    "422": json_response("Every object was rejected; `results` says why.", import),
                    "500": error_response("Internal error; the message carries an id to find in the log.")
                }
            }
        },
        "/api/v1/objects/{id}": { "get": operation("The current version of an object (reader).", "objects", true, vec![id_param()], responses(vec![
            ("200", json_response("The object and its node-local metadata.", json!({
                "type": "object",
                "required": ["object", "seq", "date_added", "revoked"],
                "properties": {
                    "object": { "type": "object", "description": "The STIX object." },
                    "seq": { "type": "integer" },
                    "date_added": { "type": "string", "format": "date-time" },
                    "revoked": { "type": "boolean" },
                    "provenance": {
                        "description": "null when created at this node; else where it came from (origin signature verified on receipt).",
                        "type": ["object", "null"],
                        "properties": {
                            "origin": { "type": "string" },
                            "origin_key": { "type": "string" },
                            "received_from": { "type": "string" },
                            "hops_left": { "type": "integer" },
                            "redacted_by": { "type": ["string", "null"] },
                            "signer_key_revoked": {
                                "description": "null unless a community revoked the key that signed this version (after it was made): which signer (origin or redactor), the key, from when, and the community.",
                                "type": ["object", "null"],
                                "properties": {
                                    "role": { "type": "string", "enum": ["origin", "redactor"] },
                                    "key": { "type": "string" },
                                    "since": { "type": "string", "format": "date-time" },
                                    "community": { "type": "string" }
                                }
                            }
                        }
                    }
                }
            }))),
            ("400", bad_param.clone()),
            ("404", not_found.clone()),
        ])) },
        "/api/v1/objects/{id}/versions": { "get": operation("Every held version of an object, oldest first (reader).", "objects", true, vec![id_param()], responses(vec![
            ("200", json_response("The versions.", json!({
                "type": "object",
                "properties": {
                    "id": { "type": "string" },
                    "versions": { "type": "array", "items": { "type": "object", "properties": {
                        "object": { "type": "object" }, "seq": { "type": "integer" },
                        "date_added": { "type": "string" }, "current": { "type": "boolean" }
                    } } }
                }
            }))),
            ("400", bad_param.clone()),
            ("404", not_found.clone()),
        ])) },
        "/api/v1/objects/{id}/relationships": { "get": operation("Objects related through SROs and references, both directions (reader).", "objects", true, vec![id_param()], responses(vec![
            ("200", json_response("The related objects.", json!({
                "type": "object",
                "properties": {
                    "id": { "type": "string" },
                    "relationships": { "type": "array", "items": { "type": "object", "properties": {
                        "id": { "type": "string" },
                        "direction": { "type": "string", "enum": ["outgoing", "incoming"] },
                        "via": { "type": "string" },
                        "relationship": { "type": ["object", "null"], "properties": { "id": { "type": "string" }, "relationship_type": { "type": "string" } } }
                    } } }
                }
            }))),
            ("400", bad_param.clone()),
            ("404", not_found.clone()),
        ])) },
        "/api/v1/correlations/{id}": { "get": operation("Objects sharing an observable value with this one (reader).", "objects", true, vec![id_param()], responses(vec![
            ("200", json_response("The correlations.", json!({
                "type": "object",
                "properties": {
                    "id": { "type": "string" },
                    "correlations": { "type": "array", "items": { "type": "object", "properties": {
                        "id": { "type": "string" }, "object_type": { "type": "string" },
                        "kind": { "type": "string" }, "value": { "type": "string" }
                    } } }
                }
            }))),
            ("400", bad_param.clone()),
            ("404", not_found),
        ])) },
        "/api/v1/search": { "get": operation("Full-text search over current versions (reader).", "objects", true, list_params(true), responses(vec![
            ("200", json_response("A page of matching objects.", page)),
            ("400", error_response("`q` is missing or empty, or another parameter is invalid.")),
        ])) },
        "/api/v1/match": { "post": {
            "summary": "Match a log against the node's current indicators and store one sighting per indicator hit (analyst).",
            "description": "The body is the log text in `format`. Malformed lines are counted and the first 20 listed with their line number; matching goes on after them. Sightings have no `where_sighted_refs` yet (the node has no identity object).",
            "tags": ["matching"],
            "parameters": [param("format", "query", false, "The log format (default `eve`).", json!({ "type": "string", "enum": ["eve", "zeek", "ecs", "csv", "lines", "stix"], "default": "eve" }))],
            "requestBody": {
                "required": true,
                "content": {
                    "text/plain": { "schema": { "type": "string" } },
                    "application/json": { "schema": { "type": "string" } },
                    "application/x-ndjson": { "schema": { "type": "string" } }
                }
            },
            "responses": {
                "200": json_response("The summary and the stored sightings.", json!({
                    "type": "object", "required": ["summary", "sightings"],
                    "properties": {
                        "summary": { "type": "object", "properties": {
                            "lines": { "type": "integer", "description": "Records read (blank lines are not counted)." },
                            "observations": { "type": "integer" },
                            "malformed": { "type": "integer" },
                            "errors": { "type": "array", "items": { "type": "object", "properties": {
                                "line": { "type": "integer" }, "message": { "type": "string" }
                            } } },
                            "indicators_hit": { "type": "integer" },
                            "sightings_written": { "type": "integer" },
                            "compile_errors": { "type": "integer", "description": "Stored indicators whose pattern did not compile." }
                        } },
                        "sightings": { "type": "array", "items": { "type": "object", "description": "A STIX sighting." } }
                    }
                })),
                "400": error_response("`format` is unknown, or another parameter was given."),
                "401": error_response("Missing, malformed or unknown bearer token."),
                "403": error_response("The token's role may not match logs."),
                "413": error_response("The body is larger than the node's limit."),
                "500": error_response("Internal error; the message carries an id to find in the log.")
            }
        } },
        "/api/v1/tokens": {
            "get": operation("List API tokens, without secrets (admin).", "tokens", true, vec![], responses(vec![
                ("200", json_response("The tokens.", json!({ "type": "object", "properties": { "tokens": { "type": "array", "items": { "$ref": "#/components/schemas/Token" } } } }))),
            ])),
            "post": {
                "summary": "Create an API token (admin). The secret is shown only in this answer.",
                "tags": ["tokens"],
                "requestBody": {
                    "required": true,
                    "content": { "application/json": { "schema": {
                        "type": "object", "required": ["name", "role"], "additionalProperties": false,
                        "properties": {
                            "name": { "type": "string", "minLength": 1, "maxLength": 200 },
                            "role": { "$ref": "#/components/schemas/Role" },
                            "clearance": { "$ref": "#/components/schemas/Clearance" },
                            "expires": { "type": "string", "description": "When the token stops working: a duration from now (`90m`, `12h`, `30d`, `8w`) or an RFC 3339 time. Omitted: never." }
                        }
                    } } }
                },
                "responses": {
                    "201": json_response("Created.", json!({ "allOf": [
                        { "$ref": "#/components/schemas/Token" },
                        { "type": "object", "required": ["token"], "properties": { "token": { "type": "string", "description": "The secret; send it as `Authorization: Bearer <token>`." } } }
                    ] })),
                    "400": error_response("Invalid JSON, name, role, clearance or expiry."),
                    "401": error_response("Missing, malformed or unknown bearer token."),
                    "403": error_response("The token's role may not manage tokens, or the clearance asked for is above the caller's."),
                    "413": error_response("The body is larger than the node's limit."),
                    "415": error_response("Content-Type is not application/json."),
                    "422": error_response("The JSON does not have the fields `name` and `role` (and no others)."),
                    "500": error_response("Internal error; the message carries an id to find in the log.")
                }
            }
        },
        "/api/v1/tokens/{id}": { "delete": operation("Revoke an API token (admin).", "tokens", true,
            vec![param("id", "path", true, "The token's id.", json!({ "type": "integer", "format": "int64" }))],
            responses(vec![
                ("204", json!({ "description": "Revoked." })),
                ("400", bad_param),
                ("404", error_response("No token with this id.")),
            ])) },
    });
    if let Some(p) = paths.as_object_mut() {
        p.extend(crate::routes::incidents::openapi_paths());
        p.extend(community_paths());
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("Concord node API ({})", config.node_name),
            "version": env!("CARGO_PKG_VERSION"),
            "description": "REST API of a Concord threat-intelligence sharing node. Objects are STIX 2.1. Every error has the body `{\"error\": {\"status\", \"code\", \"message\", \"details\"}}`."
        },
        "servers": [{ "url": config.public_url }],
        "security": [{ "bearer": [] }],
        "tags": [
            { "name": "meta", "description": "Health, metrics, this document (no token needed)." },
            { "name": "objects", "description": "STIX objects." },
            { "name": "matching", "description": "Logs matched against the node's indicators." },
            { "name": "tokens", "description": "API tokens." },
            { "name": "response", "description": "Coordinated response: incidents, alerts, requests, routing." },
            { "name": "community", "description": "The community of equal members this node belongs to: its state and governance log." }
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API token (`cnc_...`) created by an admin. Roles: reader (GET), analyst (also POST objects and match), admin (also tokens)." }
            },
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": { "error": {
                        "type": "object", "required": ["status", "code", "message", "details"],
                        "properties": {
                            "status": { "type": "integer" },
                            "code": { "type": "string" },
                            "message": { "type": "string" },
                            "details": { "type": "array", "items": {} }
                        }
                    } }
                },
                "Role": { "type": "string", "enum": ["reader", "analyst", "admin"] },
                "Token": {
                    "type": "object", "required": ["id", "name", "role", "created"],
                    "properties": {
                        "id": { "type": "integer", "format": "int64" },
                        "name": { "type": "string" },
                        "role": { "$ref": "#/components/schemas/Role" },
                        "created": { "type": "string", "format": "date-time" },
                        "clearance": { "$ref": "#/components/schemas/Clearance" },
                        "expires": { "type": ["string", "null"], "format": "date-time", "description": "After this the token is refused (401); null: never." },
                        "last_used": { "type": ["string", "null"], "format": "date-time", "description": "Last use, recorded at most once a minute." }
                    }
                },
                "Clearance": {
                    "description": "The highest TLP level a token reads (default green; a token owned by a user reads at most the user's clearance).",
                    "type": "string", "enum": ["clear", "green", "amber", "amber-strict", "amber+strict", "red"]
                },
                "Document": {
                    "description": "A STIX bundle, a JSON array of STIX objects, or one STIX object.",
                    "oneOf": [
                        { "type": "object" },
                        { "type": "array", "items": { "type": "object" } }
                    ]
                },
                "ObjectPage": {
                    "type": "object", "required": ["objects", "next"],
                    "properties": {
                        "objects": { "type": "array", "items": { "type": "object" } },
                        "next": { "type": ["string", "null"], "description": "Pass as `next` to get the following page; null when there are no more." }
                    }
                },
                "Violation": {
                    "type": "object",
                    "properties": {
                        "object_id": { "type": ["string", "null"] },
                        "path": { "type": "string" },
                        "rule": { "type": "string" },
                        "message": { "type": "string" }
                    }
                },
                "ImportResult": {
                    "type": "object", "required": ["message", "summary", "results"],
                    "properties": {
                        "message": { "type": "string" },
                        "summary": { "type": "object", "properties": {
                            "new": { "type": "integer" }, "new_versions": { "type": "integer" },
                            "unchanged": { "type": "integer" }, "conflicts": { "type": "integer" },
                            "rejected": { "type": "integer" }
                        } },
                        "results": { "type": "array", "items": { "type": "object", "required": ["status", "index"], "properties": {
                            "status": { "type": "string", "enum": ["accepted", "rejected"] },
                            "index": { "type": "integer" },
                            "id": { "type": ["string", "null"] },
                            "outcome": { "type": "string", "enum": ["new", "new_version", "unchanged", "conflict"] },
                            "reasons": { "type": "array", "items": { "$ref": "#/components/schemas/Violation" } }
                        } } },
                        "omitted_results": { "description": "Results not listed in `results` (present only when some are left out).", "type": "integer" },
                        "error": { "description": "Present with 422 only.", "type": "object" }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented() {
        let doc = document(&ServerConfig::default());
        for (method, path) in crate::ROUTES {
            let op = &doc["paths"][path][method.to_ascii_lowercase()];
            assert!(
                op.is_object(),
                "{method} {path} missing from the OpenAPI document"
            );
            assert!(
                op["responses"].is_object(),
                "{method} {path} has no responses"
            );
        }
    }
}
