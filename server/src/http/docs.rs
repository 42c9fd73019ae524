//! The whole API description and its browsable page: the server functions'
//! part from [`app::api::openapi`], plus the routes the server adds itself
//! (health, readiness, Prometheus metrics, exports, this description).
//!
//! `GET /api/openapi.json` serves the description; `GET /api/docs` renders
//! it as one HTML page, on the server, with the dashboard's stylesheet and
//! no script: nothing is fetched from elsewhere (no Swagger UI from a CDN).
//!
//! Over 500 lines by a little: building the description and rendering its
//! page read the same JSON; the page's HTML writers are the part to move to
//! `docs/page.rs` if it grows.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use leptos::prelude::LeptosOptions;
use serde_json::Value;
use utoipa::{Modify, OpenApi};

use super::markdown;

/// The routes outside the server functions.
#[derive(OpenApi)]
#[openapi(paths(
    crate::http::health::healthz,
    crate::http::health::readyz,
    crate::http::health::prometheus_metrics,
    crate::http::account_metrics::account_metrics,
    crate::http::export::export_handler,
    crate::http::avatars::avatar,
    crate::http::badges::badge,
    crate::http::cards::account,
    crate::http::cards::brand,
    crate::http::series::series,
    crate::http::live::live,
    openapi_json,
    api_docs,
))]
struct ServerRoutes;

/// Reach's API description, every public endpoint in it.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = app::api::openapi::ApiDoc::openapi();
    document.merge(ServerRoutes::openapi());
    // The server's own routes answer errors and take credentials as the
    // server functions do.
    app::api::openapi::ErrorAnswers.modify(&mut document);
    app::api::openapi::Security.modify(&mut document);
    document
}

/// The description as JSON and as a page, and the arguments it allows,
/// built once at start-up from one serialization.
#[derive(Clone)]
pub struct ApiDescription {
    json: Arc<str>,
    page: Arc<str>,
    arguments: crate::http::arguments::KnownArguments,
}

impl ApiDescription {
    pub fn new(options: &LeptosOptions) -> Self {
        let mut document = serde_json::to_value(document()).expect("the description serializes");
        registered_integer_formats(&mut document);
        Self {
            json: document.to_string().into(),
            page: page(&document, options).into(),
            arguments: crate::http::arguments::KnownArguments::of(&document),
        }
    }

    /// The query arguments of each `GET /api/…` endpoint.
    pub fn arguments(&self) -> crate::http::arguments::KnownArguments {
        self.arguments.clone()
    }
}

/// utoipa names its unsigned integer formats `u-int32` and the like (its
/// kebab-case of `UInt32`); the OpenAPI format registry's names are
/// `uint32`, `uint64`, `uint8`, `uint16`.
fn registered_integer_formats(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(format)) = object.get_mut("format")
                && let Some(bits) = format.strip_prefix("u-int")
            {
                *format = format!("uint{bits}");
            }
            object.values_mut().for_each(registered_integer_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(registered_integer_formats),
        _ => {}
    }
}

/// This API's OpenAPI description.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API.", content_type = "application/json", body = Object)),
)]
pub(crate) async fn openapi_json(State(description): State<ApiDescription>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        description.json.to_string(),
    )
        .into_response()
}

/// The API's description as a web page: every endpoint with its
/// parameters, answers and a `curl` example, and every schema.
#[utoipa::path(
    get,
    path = "/api/docs",
    tag = "operations",
    responses((status = 200, description = "An HTML page.", content_type = "text/html", body = String)),
)]
pub(crate) async fn api_docs(State(description): State<ApiDescription>) -> Html<String> {
    Html(description.page.to_string())
}

/// The dashboard's sections (as `app`'s top bar lists them), in the top
/// bar and in the phone's menu.
const NAV_LINKS: &str = r#"<a href="/">Overview</a><a href="/accounts">Accounts</a><a href="/leaderboard">Leaderboard</a><a href="/brands">Brands</a><a href="/compare">Compare</a><a href="/runs">Runs</a><a href="/performance">Performance</a><a href="/api/docs" aria-current="page">API</a>"#;

/// The page, from the description as JSON (the shape every OpenAPI reader
/// knows, rather than utoipa's types).
fn page(document: &Value, options: &LeptosOptions) -> String {
    let mut html = String::with_capacity(64 * 1024);
    let title = text(&document["info"]["title"]);
    let version = text(&document["info"]["version"]);
    let _ = write!(
        html,
        r##"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>{title} API</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">{stylesheet}</head><body class="api-docs"><a class="skip-link" href="#main">Skip to content</a><header class="topbar"><a class="brand" href="/">Reach</a><nav class="primary" aria-label="Main">{nav}</nav><details class="phone-menu"><summary>Menu</summary><nav aria-label="Main">{nav}</nav></details></header><main id="main" tabindex="-1"><h1>{title} API <span class="muted">{version}</span></h1>{description}<p class="muted">The same description as JSON: <a href="/api/openapi.json"><code>/api/openapi.json</code></a>, for code generators and API clients.</p>"##,
        stylesheet = stylesheet_link(options),
        nav = NAV_LINKS,
        description = markdown::block(&text(&document["info"]["description"])),
    );

    let tags = document["tags"].as_array().cloned().unwrap_or_default();
    let operations = operations(document);
    html.push_str(r#"<nav class="api-toc"><h2>Endpoints</h2><ul>"#);
    for &(method, path, operation) in &operations {
        let _ = write!(
            html,
            r##"<li><a href="#{id}"><code>{method} {path}</code></a> <span class="muted">{summary}</span></li>"##,
            id = escape(&operation_id(operation)),
            method = method.to_uppercase(),
            path = escape(path),
            summary = escape(&summary(operation)),
        );
    }
    html.push_str("</ul></nav>");

    for tag in &tags {
        let name = text(&tag["name"]);
        let _ = write!(
            html,
            r#"<section class="api-tag"><h2>{}</h2><div class="muted">{}</div>"#,
            escape(&name),
            markdown::block(&text(&tag["description"])),
        );
        for &(method, path, operation) in &operations {
            let tagged = operation["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t == &Value::String(name.clone())));
            if tagged {
                write_operation(&mut html, method, path, operation);
            }
        }
        html.push_str("</section>");
    }

    html.push_str(r#"<section class="api-schemas"><h2>Schemas</h2>"#);
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            write_schema(&mut html, name, schema);
        }
    }
    html.push_str("</section></main></body></html>");
    html
}

/// Every operation, in path order.
fn operations(document: &Value) -> Vec<(&str, &str, &Value)> {
    let mut found = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post"] {
                if let Some(operation) = item.get(method) {
                    found.push((method, path.as_str(), operation));
                }
            }
        }
    }
    found
}

fn operation_id(operation: &Value) -> String {
    format!("op-{}", text(&operation["operationId"]))
}

/// The first line of an operation's description.
fn summary(operation: &Value) -> String {
    let summary = text(&operation["summary"]);
    if summary.is_empty() {
        text(&operation["description"])
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    } else {
        summary
    }
}

fn write_operation(html: &mut String, method: &str, path: &str, operation: &Value) {
    let parameters = operation["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let _ = write!(
        html,
        // Folded: the page lists every operation; a reader opens the ones
        // they need (a link to one opens it).
        r#"<details class="api-operation" id="{id}"><summary><h3><code>{verb} {path}</code></h3> <span class="muted">{summary}</span></summary>"#,
        id = escape(&operation_id(operation)),
        verb = method.to_uppercase(),
        path = escape(path),
        summary = markdown::inline(&summary(operation)),
    );
    let description = [text(&operation["summary"]), text(&operation["description"])]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    html.push_str(&markdown::block(&description));
    if !parameters.is_empty() {
        html.push_str(r#"<div class="table-scroll"><table class="data"><thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>"#);
        for parameter in &parameters {
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&text(&parameter["name"])),
                escape(&text(&parameter["in"])),
                type_of(&parameter["schema"]),
                if parameter["required"] == Value::Bool(true) {
                    "yes"
                } else {
                    "no"
                },
                markdown::inline(&text(&parameter["description"])),
            );
        }
        html.push_str("</tbody></table></div>");
    }
    html.push_str(r#"<h4>Answers</h4><ul class="api-answers">"#);
    if let Some(responses) = operation["responses"].as_object() {
        for (status, response) in responses {
            let body = response["content"]
                .as_object()
                .and_then(|content| content.values().next())
                .map(|media| type_of(&media["schema"]))
                .unwrap_or_default();
            let _ = write!(
                html,
                "<li><code>{}</code> {} {}</li>",
                escape(status),
                body,
                markdown::inline(&text(&response["description"])),
            );
        }
    }
    html.push_str("</ul>");
    let _ = write!(
        html,
        "<pre><code>{}</code></pre></details>",
        escape(&curl_example(method, path, &parameters)),
    );
}

/// A `curl` command with the parameters' examples.
fn curl_example(method: &str, path: &str, parameters: &[Value]) -> String {
    let mut path = path.to_owned();
    let mut query = Vec::new();
    for parameter in parameters {
        let example = &parameter["example"];
        let value = match example {
            Value::Null => continue,
            Value::String(value) => value.clone(),
            other => other.to_string(),
        };
        let name = text(&parameter["name"]);
        match parameter["in"].as_str() {
            Some("path") => path = path.replace(&format!("{{{name}}}"), &value),
            _ => query.push(format!("{name}={value}")),
        }
    }
    let url = if query.is_empty() {
        format!("http://127.0.0.1:3000{path}")
    } else {
        format!("http://127.0.0.1:3000{path}?{}", query.join("&"))
    };
    match method {
        "get" => format!("curl '{url}'"),
        other => format!("curl -X {} '{url}'", other.to_uppercase()),
    }
}

fn write_schema(html: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        html,
        r#"<article class="api-schema" id="schema-{id}"><h3><code>{name}</code></h3>"#,
        id = escape(name),
        name = escape(name),
    );
    let description = text(&schema["description"]);
    if !description.is_empty() {
        html.push_str(&markdown::block(&description));
    }
    match schema["properties"].as_object() {
        Some(properties) => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            html.push_str(r#"<div class="table-scroll"><table class="data"><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>"#);
            for (field, property) in properties {
                let optional = if required.contains(&field.as_str()) {
                    ""
                } else {
                    " (optional)"
                };
                let _ = write!(
                    html,
                    "<tr><td><code>{}</code>{optional}</td><td>{}</td><td>{}</td></tr>",
                    escape(field),
                    type_of(property),
                    markdown::inline(&text(&property["description"])),
                );
            }
            html.push_str("</tbody></table></div>");
        }
        None => {
            let _ = write!(html, "<p>{}</p>", type_of(schema));
        }
    }
    html.push_str("</article>");
}

/// A schema's type in a few words, with links to named schemas.
fn type_of(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!(
            r##"<a href="#schema-{id}"><code>{name}</code></a>"##,
            id = escape(name),
            name = escape(name),
        );
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .filter(|value| !value.is_null())
            .map(|value| format!("<code>{}</code>", escape(&text(value))))
            .collect();
        return format!("one of {}", values.join(", "));
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(choices) = schema[combinator].as_array() {
            let nullable = choices.iter().any(|choice| choice["type"] == "null");
            let named: Vec<String> = choices
                .iter()
                .filter(|choice| choice["type"] != "null")
                .map(type_of)
                .collect();
            let joined = named.join(" or ");
            return if nullable {
                format!("{joined} or null")
            } else {
                joined
            };
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(single) => vec![single.as_str()],
        Value::Array(several) => several.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let nullable = types.contains(&"null");
    let described: Vec<String> = types
        .iter()
        .filter(|kind| **kind != "null")
        .map(|kind| match *kind {
            "array" => format!("array of {}", type_of(&schema["items"])),
            "object" if schema["additionalProperties"].is_object() => {
                format!("map to {}", type_of(&schema["additionalProperties"]))
            }
            other => match schema["format"].as_str() {
                Some(format) => format!("{other} ({format})"),
                None => other.to_owned(),
            },
        })
        .collect();
    let joined = if described.is_empty() {
        "any".to_owned()
    } else {
        described.join(" or ")
    };
    if nullable {
        format!("{joined} or null")
    } else {
        joined
    }
}

/// The dashboard's stylesheet, linked as its shell links it (the built
/// file's name carries its hash).
fn stylesheet_link(options: &LeptosOptions) -> String {
    use leptos::prelude::*;
    use leptos_meta::HashedStylesheet;
    view! { <HashedStylesheet options=options.clone() /> }.to_html()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_formats_have_their_registered_names() {
        let mut document = serde_json::json!({"a": {"format": "u-int32"}, "b": [{"format": "u-int64"}], "c": {"format": "int64"}});
        registered_integer_formats(&mut document);
        assert_eq!(
            document,
            serde_json::json!({"a": {"format": "uint32"}, "b": [{"format": "uint64"}], "c": {"format": "int64"}})
        );
    }

    #[test]
    fn curl_examples_fill_in_the_examples() {
        let parameters = serde_json::json!([
            {"name": "id", "in": "query", "example": 1},
            {"name": "range", "in": "query", "example": "30d"},
            {"name": "tag", "in": "query"},
            {"name": "file", "in": "path", "example": "accounts.csv"},
        ]);
        let parameters = parameters.as_array().unwrap();
        assert_eq!(
            curl_example("get", "/api/export/{file}", parameters),
            "curl 'http://127.0.0.1:3000/api/export/accounts.csv?id=1&range=30d'"
        );
        assert_eq!(
            curl_example("post", "/api/collect", &[]),
            "curl -X POST 'http://127.0.0.1:3000/api/collect'"
        );
    }

    #[test]
    fn types_name_their_schemas() {
        let nullable_ref = serde_json::json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Trend"}]});
        assert_eq!(
            type_of(&nullable_ref),
            r##"<a href="#schema-Trend"><code>Trend</code></a> or null"##
        );
        let array =
            serde_json::json!({"type": "array", "items": {"type": "integer", "format": "int64"}});
        assert_eq!(type_of(&array), "array of integer (int64)");
        let nullable = serde_json::json!({"type": ["string", "null"], "format": "date"});
        assert_eq!(type_of(&nullable), "string (date) or null");
    }
}
