//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, generated from the same endpoint table as the
//! router.

use axum::Json;
use serde_json::{Map, Value, json};

use super::{Body, ParamKind};

/// Path parameters of `/customers/{id}/reveal` → `["id"]`.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/').filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect()
}

pub fn build() -> Value {
    let mut paths = Map::new();
    for e in super::endpoints() {
        let mut params: Vec<Value> = path_params(e.path)
            .into_iter()
            .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        params.extend(e.query.iter().map(|p| {
            let schema = match p.kind {
                ParamKind::Int { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
                ParamKind::Text { max_chars } => json!({ "type": "string", "maxLength": max_chars }),
                ParamKind::OneOf(words) => json!({ "type": "string", "enum": words }),
            };
            json!({ "name": p.name, "in": "query", "required": false, "description": p.about, "schema": schema })
        }));
        let mut op = json!({
            "summary": e.summary,
            "tags": [e.tag],
            "parameters": params,
            "responses": {
                "200": { "description": "Success", "content": { "application/json": {} } },
                "default": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        if e.public {
            op["security"] = json!([]);
        }
        match e.body {
            Body::None => {}
            Body::Json => op["requestBody"] = json!({ "required": true, "content": { "application/json": {} } }),
            Body::Upload => {
                op["requestBody"] = json!({ "required": true, "content": { "multipart/form-data": {} } });
            }
        }
        if let Some(why) = e.bounded {
            op["description"] = json!(format!("Not paged: {why}."));
        }
        let entry = paths.entry(format!("/api/v1{}", e.path)).or_insert_with(|| json!({}));
        entry[e.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "siyu API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "siyu (私域): customer operations for banks. Personal numbers are masked in every response; showing one in clear is an audited call. Errors carry a stable `code`."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API token created by an administrator" },
                "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE, "description": "The console's session; writes also need the X-CSRF-Token header" }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } }
                }
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
