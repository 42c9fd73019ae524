//! The API description against the running server: every endpoint the
//! server registers is described, and what each really answers matches the
//! schema the description gives for it.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    every_endpoint_is_described,
    answers_match_their_schemas,
    the_docs_page_lists_every_endpoint,
    the_description_states_what_the_server_enforces,
);

/// Routes the server adds beside the server functions (`startup::router`).
const SERVER_ROUTES: [&str; 13] = [
    "/healthz",
    "/api/live",
    "/avatars/{id}",
    "/badge/{platform}/{file}",
    "/card/{platform}/{file}",
    "/card/brand/{file}",
    "/api/series",
    "/readyz",
    "/metrics",
    "/metrics/accounts",
    "/api/export/{file}",
    "/api/openapi.json",
    "/api/docs",
];

async fn description(app: &TestApp) -> Value {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "served as JSON"
    );
    response.json().await.expect("JSON")
}

async fn every_endpoint_is_described(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let document = description(&app).await;
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with('3'))
    );
    let described: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("a path item")
                .keys()
                .filter(|method| {
                    ["get", "post", "put", "delete", "patch"].contains(&method.as_str())
                })
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let mut registered: BTreeSet<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (method.to_string(), path.to_owned()))
        .collect();
    registered.extend(
        SERVER_ROUTES
            .iter()
            .map(|path| ("GET".to_owned(), (*path).to_owned())),
    );
    assert_eq!(described, registered);
    // Every route answers where the description says it is.
    for path in SERVER_ROUTES {
        let path = if path.starts_with("/badge/") {
            "/badge/github/not-tracked.svg".to_owned()
        } else if path.starts_with("/card/") {
            path.replace("{platform}", "github")
                .replace("{file}", "not-tracked")
        } else if path == "/api/series" {
            "/api/series?ids=1".to_owned()
        } else {
            path.replace("{file}", "accounts.csv").replace("{id}", "1")
        };
        // Demo accounts have no pictures, and no one tracks `not-tracked`:
        // the described 404s.
        let expected = if ["/avatars/", "/badge/", "/card/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
        {
            404
        } else {
            200
        };
        assert_eq!(app.get(&path).await.status(), expected, "{path}");
    }
}

/// A validator for `schema`, a schema of the description; its `$ref`s
/// resolve against the description's components.
fn validator(document: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root.as_object_mut()
        .expect("a schema object")
        .insert("components".to_owned(), document["components"].clone());
    jsonschema::draft202012::new(&root)
        .unwrap_or_else(|error| panic!("an invalid schema {schema}: {error}"))
}

fn assert_matches(document: &Value, schema: &Value, answer: &Value, what: &str) {
    let validator = validator(document, schema);
    let errors: Vec<String> = validator
        .iter_errors(answer)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema: {errors:#?}"
    );
}

/// The query with each parameter's example; `all` adds the optional ones.
fn example_query(operation: &Value, all: bool) -> String {
    let mut pairs = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        if parameter["in"] != "query" {
            continue;
        }
        let required = parameter["required"] == json!(true);
        let example = &parameter["example"];
        assert!(
            !required || !example.is_null(),
            "required parameter {} has no example",
            parameter["name"]
        );
        if example.is_null() || !(required || all) {
            continue;
        }
        let value = match example {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        pairs.push(format!("{}={value}", parameter["name"].as_str().unwrap()));
    }
    pairs.join("&")
}

async fn answers_match_their_schemas(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let document = description(&app).await;
    // As an admin: some reads (the tokens) are theirs only.
    let token = app.admin_token().await;
    // Digest 1, for the reads that name one (the examples' `id=1`).
    let made = app
        .client
        .post(format!("{}/api/digests/create", app.address))
        .header("accept", "application/json")
        .bearer_auth(&token)
        .form(&[
            ("name", "described"),
            ("period", "weekly"),
            ("channel", "json"),
            ("target", "http://127.0.0.1:9/hook"),
        ])
        .send()
        .await
        .expect("an answer");
    assert_eq!(made.status(), 200);
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        let Some(operation) = item.get("get") else {
            continue;
        };
        if path.contains('{') {
            // The exports' path parameter; their bodies are files.
            continue;
        }
        if path == "/api/live" {
            // An endless stream: `live.rs` reads it event by event.
            continue;
        }
        for all in [false, true] {
            let query = example_query(operation, all);
            let url = if query.is_empty() {
                path.clone()
            } else {
                format!("{path}?{query}")
            };
            let response = app
                .client
                .get(format!("{}{url}", app.address))
                .bearer_auth(&token)
                .send()
                .await
                .expect("an answer");
            let status = response.status().as_u16().to_string();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let body = response.text().await.expect("a body");
            assert_eq!(status, "200", "GET {url}: {body}");
            let described = &operation["responses"][&status]["content"];
            let media = described
                .as_object()
                .and_then(|content| {
                    content
                        .iter()
                        .find(|(media, _)| content_type.starts_with(media.as_str()))
                })
                .unwrap_or_else(|| panic!("GET {url}: {content_type} is not described"));
            if media.0 == "application/json" {
                let answer: Value = serde_json::from_str(&body).expect("JSON");
                assert_matches(
                    &document,
                    &media.1["schema"],
                    &answer,
                    &format!("GET {url}"),
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 2 * 19, "only {checked} JSON answers checked");

    // Errors have the described error schema.
    for (path, expected) in [
        ("/api/accounts?per_page=0", "400"),
        ("/api/account?id=999999", "404"),
        ("/api/export/nothing.csv", "404"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_str(), expected, "{path}");
        let answer: Value = response.json().await.expect("a JSON error");
        let route = path.split('?').next().unwrap();
        let route = if route.starts_with("/api/export/") {
            "/api/export/{file}"
        } else {
            route
        };
        let schema = &document["paths"][route]["get"]["responses"][expected]["content"]["application/json"]
            ["schema"];
        assert_matches(&document, schema, &answer, path);
    }

    // The writes, as an admin.
    let post = |path: &str, form: &[(&str, &str)]| {
        app.client
            .post(format!("{}{path}", app.address))
            .header("accept", "application/json")
            .bearer_auth(&token)
            .form(form)
            .send()
    };
    // Tokens are made by a signed-in admin.
    let created = app
        .client
        .post(format!("{}/api/tokens/create", app.address))
        .header("cookie", app.admin_session().await)
        .header("origin", &app.address)
        .form(&[("name", "schema check")])
        .send()
        .await
        .expect("an answer");
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.expect("JSON");
    let id = created["id"].to_string();
    for (path, form) in [
        ("/api/collect", vec![]),
        (
            "/api/login",
            vec![
                ("username", "tester"),
                ("password", crate::common::ADMIN_PASSWORD),
            ],
        ),
        ("/api/tokens/revoke", vec![("id", id.as_str())]),
    ] {
        let response = post(path, &form).await.expect("an answer");
        assert_eq!(response.status(), 200, "POST {path}");
        let answer: Value = response.json().await.expect("JSON");
        let schema = &document["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
            ["schema"];
        assert_matches(&document, schema, &answer, &format!("POST {path}"));
    }
    let schema = &document["paths"]["/api/tokens/create"]["post"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_matches(&document, schema, &created, "POST /api/tokens/create");
}

async fn the_docs_page_lists_every_endpoint(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let document = description(&app).await;
    let response = app.get("/api/docs").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.expect("a page");
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in ["get", "post"] {
            if item.get(method).is_some() {
                let heading = format!("<code>{} {path}</code>", method.to_uppercase());
                assert!(page.contains(&heading), "{heading} is not on the page");
            }
        }
    }
    for name in document["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        assert!(
            page.contains(&format!("id=\"schema-{name}\"")),
            "schema {name}"
        );
    }
    assert!(
        page.contains("curl 'http://127.0.0.1:3000/api/history?id=1&amp;range=30d"),
        "curl examples"
    );
    assert!(!page.contains("<script"), "a page without scripts");
    // Markdown rendered, rustdoc's links to the source gone, operations
    // folded, the dashboard's sections a click away.
    assert!(!page.contains("[`crate::") && !page.contains("[crate::"));
    assert!(!page.contains("`per_page`"), "backticks become code");
    assert!(page.contains("<details class=\"api-operation\""));
    assert!(page.contains("<a href=\"/leaderboard\">Leaderboard</a>"));
}

/// The parameter `name` of `GET path`.
fn parameter<'a>(document: &'a Value, path: &str, name: &str) -> &'a Value {
    document["paths"][path]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|parameter| parameter["name"] == name)
        .unwrap_or_else(|| panic!("{path} has no {name}"))
}

/// Bounds, enumerations, formats, credentials and statuses as the server
/// enforces them (what Schemathesis relies on in CI).
async fn the_description_states_what_the_server_enforces(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let document = description(&app).await;
    let page = &parameter(&document, "/api/accounts", "page")["schema"];
    assert_eq!(
        (&page["format"], &page["minimum"], &page["maximum"]),
        (&json!("uint32"), &json!(1), &json!(u32::MAX)),
        "{page}"
    );
    assert_eq!(
        parameter(&document, "/api/leaderboard", "days")["schema"]["enum"],
        json!(app::model::LEADERBOARD_PERIODS)
    );
    assert_eq!(
        parameter(&document, "/api/projection", "basis")["schema"]["enum"],
        json!(app::model::PROJECTION_BASES)
    );
    assert_eq!(
        parameter(&document, "/api/accounts", "q")["schema"]["minLength"],
        1,
        "an empty value is refused, so the description has none"
    );
    // No `u-int32`: utoipa's spelling, not the format registry's.
    assert!(!document.to_string().contains("u-int"));

    // Forms: their fields and no others, optional ones absent rather than null.
    for form in ["AddAccountForm", "UpdateAccountForm", "TokenNameForm"] {
        let schema = &document["components"]["schemas"][form];
        assert_eq!(schema["additionalProperties"], false, "{form}");
        for (name, property) in schema["properties"].as_object().unwrap() {
            assert!(
                !property.to_string().contains("null"),
                "{form}.{name} is not nullable: {property}"
            );
        }
    }

    // Credentials: required by the admins' operations, optional elsewhere.
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["name"], app::ssr::auth::SESSION_COOKIE);
    let admin_only = json!([{"session": []}, {"bearer": []}]);
    for path in ["/api/collect", "/api/accounts/add", "/api/tokens/create"] {
        assert_eq!(
            document["paths"][path]["post"]["security"], admin_only,
            "{path}"
        );
    }
    assert_eq!(
        document["paths"]["/api/tokens"]["get"]["security"],
        admin_only
    );
    assert_eq!(
        document["paths"]["/api/overview"]["get"]["security"][0],
        json!({}),
        "reads may be anonymous"
    );

    // Statuses where they occur.
    let add = &document["paths"]["/api/accounts/add"]["post"]["responses"];
    for status in ["409", "413", "403", "401", "408", "414", "431", "429"] {
        assert!(
            add[status]["content"]["application/json"].is_object(),
            "{status}"
        );
    }
    let account = &document["paths"]["/api/account"]["get"]["responses"];
    assert!(account["404"].is_object());
    assert!(account["413"].is_null(), "a GET takes no body");
}
