//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, generated from the endpoint table: each row's
//! operation as its handler's `#[utoipa::path]` documents it (path parameters, body, success answers,
//! the schemas derived from the types), with what the table alone knows added — its query parameters
//! and their bounds, who may call it, and the refusals the layers in front of the handler answer.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required,
    ResponseBuilder, Server,
};

use super::{Body, Endpoint, ParamKind};

/// Where the table's paths are served.
pub const BASE: &str = "/api/v1";

/// The security schemes, by the names the operations use.
pub const BEARER: &str = "bearer";
pub const SESSION: &str = "session";
pub const CSRF: &str = "csrf";

/// A query parameter's schema, with the bounds the guard in front of the handler enforces.
pub fn param_schema(kind: ParamKind) -> Schema {
    let b = ObjectBuilder::new();
    let b = match kind {
        ParamKind::Int { min, max } => b.schema_type(Type::Integer).minimum(Some(min)).maximum(Some(max)),
        ParamKind::Text { max_chars } => b.schema_type(Type::String).max_length(Some(max_chars)),
        ParamKind::OneOf(words) => {
            b.schema_type(Type::String).enum_values(Some(std::iter::once("").chain(words.iter().copied())))
        }
        ParamKind::Id(prefix) => {
            b.schema_type(Type::String).pattern(Some(format!("^({prefix}_{})?$", siyu_domain::openapi::ID_DIGITS)))
        }
        ParamKind::SomeOf { words, max } => {
            let one = format!("({})", words.join("|"));
            b.schema_type(Type::String).pattern(Some(format!("^({one}(,{one}){{0,{}}})?$", max - 1)))
        }
        ParamKind::Ids { prefix, max } => {
            let one = format!("{prefix}_{}", siyu_domain::openapi::ID_DIGITS);
            b.schema_type(Type::String).pattern(Some(format!("^({one}(,{one}){{0,{}}})?$", max - 1)))
        }
    };
    Schema::Object(b.build())
}

/// A refusal answered with the shared error body.
fn refusal(why: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(why)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Error"))).build())
        .into()
}

/// What the layers in front of a handler (sign-in, permission, CSRF, query and body checks) can
/// answer for this endpoint, by status.
fn refusals(e: &Endpoint, has_path_params: bool) -> Vec<(&'static str, &'static str)> {
    let mut r = Vec::new();
    if !e.public {
        r.push(("401", "Not signed in: no session, or an unknown, expired or revoked token"));
    }
    if !e.public && (e.permission.is_some() || e.is_write()) {
        r.push((
            "403",
            "The caller lacks the permission, or (with the session cookie) the write has no valid CSRF token",
        ));
    }
    if has_path_params {
        r.push(("404", "Nothing by that id in the caller's data scope (an id of the wrong kind names nothing)"));
    }
    if e.is_write() {
        r.push(("409", "A unique key is taken (a name, a code, a login) or the record moved on meanwhile"));
    }
    if !e.query.is_empty() || e.body != Body::None || e.is_write() {
        r.push(("422", "A query parameter, the body or a value in it breaks a rule; `code` says which"));
    }
    match e.body {
        Body::None => {}
        Body::Json => r.push(("413", "The body is larger than 64 KiB")),
        Body::Upload => {
            r.push(("413", "The file is larger than the configured upload limit"));
            r.push(("408", "The upload did not arrive in full in time"));
            r.push(("503", "Too many uploads are being read; try again shortly"));
        }
    }
    r
}

fn query_param(p: &super::Param) -> Parameter {
    ParameterBuilder::new()
        .name(p.name)
        .parameter_in(ParameterIn::Query)
        .required(if p.required { Required::True } else { Required::False })
        .description(Some(p.about))
        .schema(Some(param_schema(p.kind)))
        .build()
}

/// One row's operation, complete.
fn operation(e: &Endpoint) -> Operation {
    let mut op = e.operation.clone();
    let tag = op.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_default();
    let name = op.operation_id.take().unwrap_or_default();
    op.operation_id = Some(format!("{tag}.{name}"));
    let mut params = op.parameters.take().unwrap_or_default();
    let has_path_params = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
    params.extend(e.query.iter().map(query_param));
    op.parameters = (!params.is_empty()).then_some(params);
    for (status, why) in refusals(e, has_path_params) {
        op.responses.responses.entry(status.to_owned()).or_insert_with(|| refusal(why));
    }
    op.security = Some(if e.public {
        vec![SecurityRequirement::default()]
    } else if e.is_write() {
        vec![
            SecurityRequirement::new(BEARER, Vec::<String>::new()),
            SecurityRequirement::new(SESSION, Vec::<String>::new()).add(CSRF, Vec::<String>::new()),
        ]
    } else {
        vec![
            SecurityRequirement::new(BEARER, Vec::<String>::new()),
            SecurityRequirement::new(SESSION, Vec::<String>::new()),
        ]
    });
    if let Some(why) = e.bounded {
        op.description = Some(format!("Not paged: {why}."));
    }
    op
}

/// The document for these endpoints.
pub fn build(endpoints: &[Endpoint]) -> OpenApi {
    let mut paths = Paths::new();
    let mut components = ComponentsBuilder::new()
        .schema_from::<crate::error::ErrorBody>()
        .schema_from::<crate::error::ErrorDetail>()
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token created by an administrator"))
                    .build(),
            ),
        )
        .security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The console's session, from signing in at /login",
            ))),
        )
        .security_scheme(
            CSRF,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The session's CSRF token (`csrf_token` of GET /api/v1/me), needed with the cookie on every write",
            ))),
        );
    for e in endpoints {
        for (name, schema) in &e.schemas {
            components = components.schema(name.clone(), schema.clone());
        }
        let method = match e.method {
            "get" => utoipa::openapi::HttpMethod::Get,
            "post" => utoipa::openapi::HttpMethod::Post,
            "put" => utoipa::openapi::HttpMethod::Put,
            "delete" => utoipa::openapi::HttpMethod::Delete,
            other => panic!("{other} {}: not a method the API uses", e.path),
        };
        paths.add_path_operation(format!("{BASE}{}", e.path), vec![method], operation(e));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("siyu API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "siyu (私域): customer operations for banks. Personal numbers are masked in every response; \
                     showing one in clear is an audited call. Errors carry a stable `code`.",
                ))
                .build(),
        )
        .servers(Some([Server::new("/")]))
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

/// The document, built once.
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(build(&super::endpoints())).expect("the document serialises");
        let schemas = doc["components"]["schemas"].clone();
        merge_flattened(&mut doc, &schemas);
        serde_json::to_string(&doc).expect("the document serialises")
    })
}

/// `#[serde(flatten)]` of a struct that denies unknown fields comes out of utoipa as `allOf` of the
/// closed schema and the outer fields — which no object satisfies (the closed part refuses the outer
/// fields). Each such `allOf` of plain objects is merged into one object: the fields of all, their
/// required ones, closed when a part was. What the server accepts and answers does not change.
fn merge_flattened(v: &mut serde_json::Value, schemas: &serde_json::Value) {
    use serde_json::{Map, Value};
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(parts)) = map.get("allOf") {
                let resolved: Vec<Value> = parts
                    .iter()
                    .map(|p| match p["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
                        Some(name) => schemas[name].clone(),
                        None => p.clone(),
                    })
                    .collect();
                let plain = resolved.iter().all(|p| p.get("properties").is_some() && p.get("allOf").is_none());
                if plain && resolved.len() > 1 {
                    let (mut props, mut required, mut closed) = (Map::new(), Vec::new(), false);
                    for p in &resolved {
                        if let Some(Value::Object(ps)) = p.get("properties") {
                            props.extend(ps.clone());
                        }
                        if let Some(Value::Array(r)) = p.get("required") {
                            required.extend(r.iter().cloned());
                        }
                        closed |= p.get("additionalProperties") == Some(&Value::Bool(false));
                    }
                    map.remove("allOf");
                    map.insert("type".into(), Value::String("object".into()));
                    map.insert("properties".into(), Value::Object(props));
                    if !required.is_empty() {
                        map.insert("required".into(), Value::Array(required));
                    }
                    if closed {
                        map.insert("additionalProperties".into(), Value::Bool(false));
                    }
                }
            }
            for (_, child) in map.iter_mut() {
                merge_flattened(child, schemas);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| merge_flattened(i, schemas)),
        _ => {}
    }
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI document", body = Object))
)]
pub async fn document() -> axum::response::Response {
    ([(header::CONTENT_TYPE, "application/json")], document_json()).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::super::{Reads, endpoints};
    use super::{BASE, document_json, param_schema};

    fn doc() -> Value {
        serde_json::from_str(document_json()).unwrap()
    }

    /// `{id}` and `{tag}` of `/customers/{id}/tags/{tag}`.
    fn path_names(path: &str) -> BTreeSet<String> {
        path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}').map(str::to_owned)).collect()
    }

    /// The router and the document are one table: each row is one operation at the path it is served
    /// on, with the table's query parameters and bounds, its path parameters declared, and the refusals
    /// its guard can answer; nothing else is documented.
    #[test]
    fn the_document_and_the_table_agree() {
        let doc = doc();
        let table = endpoints();
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
            .collect();
        let served: BTreeSet<(String, String)> =
            table.iter().map(|e| (e.method.to_owned(), format!("{BASE}{}", e.path))).collect();
        assert_eq!(documented, served);
        assert_eq!(served.len(), table.len(), "one row per method and path");
        let mut ids = BTreeSet::new();
        for e in &table {
            let op = &doc["paths"][format!("{BASE}{}", e.path)][e.method];
            let at = format!("{} {}", e.method, e.path);
            assert!(ids.insert(op["operationId"].as_str().unwrap().to_owned()), "{at}: operation id taken");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let of = |place: &str| params.iter().filter(|p| p["in"] == place).cloned().collect::<Vec<_>>();
            let query: Vec<(Value, Value, Value)> =
                of("query").iter().map(|p| (p["name"].clone(), p["required"].clone(), p["schema"].clone())).collect();
            let table_query: Vec<(Value, Value, Value)> = e
                .query
                .iter()
                .map(|p| (p.name.into(), p.required.into(), serde_json::to_value(param_schema(p.kind)).unwrap()))
                .collect();
            assert_eq!(query, table_query, "{at}: query parameters");
            let declared: BTreeSet<String> =
                of("path").iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
            assert_eq!(declared, path_names(&e.path), "{at}: path parameters");
            assert!(of("path").iter().all(|p| p["required"] == true), "{at}");
            let responses = op["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            assert!(responses.keys().any(|s| s.starts_with('2')), "{at}: no success answer");
            assert_eq!(!has("401"), e.public, "{at}: 401");
            assert_eq!(has("403"), e.permission.is_some() || (e.is_write() && !e.public), "{at}: 403");
            assert!(!path_names(&e.path).is_empty() <= has("404"), "{at}: 404");
            assert!(e.query.is_empty() && e.body == super::Body::None || has("422"), "{at}: 422");
            for (status, r) in responses.iter().filter(|(s, _)| !s.starts_with('2')) {
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Error",
                    "{at} {status}: refusals carry the error body"
                );
            }
            let security = op["security"].as_array().unwrap();
            if e.public {
                assert_eq!(security, &[serde_json::json!({})], "{at}");
            } else {
                let session = if e.is_write() {
                    serde_json::json!({"session": [], "csrf": []})
                } else {
                    serde_json::json!({"session": []})
                };
                assert_eq!(security, &[serde_json::json!({"bearer": []}), session], "{at}");
            }
            let body = op["requestBody"]["content"].as_object().map(|c| c.keys().cloned().collect::<Vec<_>>());
            let expected = match e.body {
                super::Body::None => None,
                super::Body::Json => Some(vec!["application/json".to_owned()]),
                super::Body::Upload => Some(vec!["multipart/form-data".to_owned()]),
            };
            assert_eq!(body, expected, "{at}: body");
        }
    }

    /// No `allOf` has a closed part (which would refuse the other parts' fields).
    #[test]
    fn no_schema_is_an_all_of_no_object_can_satisfy() {
        // A flattened closed struct is merged into its parent (see `merge_flattened`).
        fn walk(v: &Value, schemas: &Value, at: &str) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::Array(parts)) = m.get("allOf") {
                        for p in parts {
                            let target = match p["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/"))
                            {
                                Some(n) => &schemas[n],
                                None => p,
                            };
                            assert!(
                                target.get("additionalProperties") != Some(&Value::Bool(false)) || parts.len() == 1,
                                "{at}: allOf with a closed part"
                            );
                        }
                    }
                    for (k, c) in m {
                        walk(c, schemas, &format!("{at}/{k}"));
                    }
                }
                Value::Array(a) => a.iter().for_each(|c| walk(c, schemas, at)),
                _ => {}
            }
        }
        let d = doc();
        walk(&d, &d["components"]["schemas"], "");
        let version = &d["components"]["schemas"]["VersionView"];
        assert!(
            version["properties"]["title"].is_object() && version["properties"]["revision"].is_object(),
            "{version}"
        );
    }

    /// Every `$ref` names a schema the document holds.
    #[test]
    fn every_reference_resolves() {
        fn refs(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc = doc();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 100);
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r}"));
            assert!(doc["components"]["schemas"].get(name).is_some(), "{r} is not in the document");
        }
    }

    /// The schemas an answer can hold, following references through the components.
    fn reached(doc: &Value, from: &Value) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(v) = todo.pop() {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        let name = r.trim_start_matches("#/components/schemas/").to_owned();
                        if seen.insert(name.clone()) {
                            todo.push(doc["components"]["schemas"][&name].clone());
                        }
                    }
                    todo.extend(m.into_iter().map(|(_, v)| v));
                }
                Value::Array(a) => todo.extend(a),
                _ => {}
            }
        }
        seen
    }

    /// An endpoint whose answer can hold a customer (anything carrying a customer's id: the customer
    /// itself, inlined in a page or referenced) is marked as reading customers, so the data-scope walk
    /// calls it; and one marked so answers customers, names one in its path, or sends a file.
    #[test]
    fn every_endpoint_that_answers_customers_is_marked() {
        let doc = doc();
        let mut marked = 0;
        for e in endpoints() {
            let op = &doc["paths"][format!("{BASE}{}", e.path)][e.method];
            let success: Vec<&Value> = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(s, _)| s.starts_with('2'))
                .map(|(_, r)| r)
                .collect();
            let answers_customers = success.iter().any(|r| reached(&doc, r).contains("CustomerId"));
            // In its path or query, or its body (a link issued for a customer in the caller's scope).
            let names_a_customer = reached(&doc, &op["parameters"]).contains("CustomerId")
                || reached(&doc, &op["requestBody"]).contains("CustomerId");
            let sends_a_file = success.iter().any(|r| r["content"].get("text/csv").is_some());
            let at = format!("{} {}", e.method, e.path);
            if answers_customers {
                assert_eq!(e.reads, Reads::Customers, "{at} answers customers: mark it Reads::Customers");
            }
            if e.reads == Reads::Customers {
                marked += 1;
                assert!(answers_customers || names_a_customer || sends_a_file, "{at} is marked but reads no customer");
            }
        }
        assert!(marked >= 12, "only {marked} endpoints read customers");
    }
}
