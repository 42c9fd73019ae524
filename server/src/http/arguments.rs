//! The rules every request to a described `/api/…` endpoint follows,
//! read from the API description once at start-up: its method, and for a
//! `GET` its query arguments (see [`KnownArguments`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// What each `/api/…` endpoint takes, from the description: its method,
/// and for a `GET` its query arguments. A request breaking these rules is
/// a 4xx that says which, rather than a typo silently ignored:
/// - another method: 405, with `Allow`;
/// - an argument the endpoint does not take, or one given twice: 400;
/// - an empty value (`?sort=`): 400, as every argument is optional by
///   leaving it out (the description's strings have `minLength: 1`);
/// - a name or value whose percent-decoding is not UTF-8: 400.
#[derive(Clone)]
pub struct KnownArguments(Arc<std::collections::HashMap<String, Endpoint>>);

struct Endpoint {
    method: axum::http::Method,
    arguments: Vec<String>,
}

impl KnownArguments {
    pub(crate) fn of(document: &Value) -> Self {
        let mut known = std::collections::HashMap::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for (name, method) in [
                ("get", axum::http::Method::GET),
                ("post", axum::http::Method::POST),
            ] {
                let Some(operation) = item.get(name) else {
                    continue;
                };
                let arguments = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|parameter| parameter["in"] == "query")
                    .filter_map(|parameter| parameter["name"].as_str().map(str::to_owned))
                    .collect();
                known.insert(path.clone(), Endpoint { method, arguments });
            }
        }
        Self(Arc::new(known))
    }

    /// The endpoint at `path`; a template's last segment (`{file}`) takes
    /// any value.
    fn endpoint(&self, path: &str) -> Option<&Endpoint> {
        self.0.get(path).or_else(|| {
            let (parent, _) = path.rsplit_once('/')?;
            self.0
                .iter()
                .find(|(template, _)| {
                    template
                        .strip_prefix(parent)
                        .and_then(|last| last.strip_prefix('/'))
                        .is_some_and(|last| last.starts_with('{') && last.ends_with('}'))
                })
                .map(|(_, endpoint)| endpoint)
        })
    }
}

/// The middleware of [`KnownArguments`].
pub async fn check_api_request(
    State(known): State<KnownArguments>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::http::Method;
    let Some(endpoint) = known.endpoint(request.uri().path()) else {
        return next.run(request).await;
    };
    if request.method() != endpoint.method {
        let allow = if endpoint.method == Method::GET {
            "GET, HEAD"
        } else {
            "POST"
        };
        let mut answer =
            app::error::ApiError::for_status(axum::http::StatusCode::METHOD_NOT_ALLOWED)
                .expect("the API has a 405")
                .into_response();
        answer
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        return answer;
    }
    if request.method() == Method::GET
        && let Some(query) = request.uri().query()
        && let Err(message) = check_query(query, &endpoint.arguments)
    {
        return app::error::ApiError::bad_request(message).into_response();
    }
    next.run(request).await
}

/// The rules of [`KnownArguments`] for one query string.
fn check_query(query: &str, expected: &[String]) -> Result<(), String> {
    let mut seen: Vec<&str> = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let shown: String = name.chars().take(40).collect();
        let decoded = |text: &str| {
            percent_encoding::percent_decode_str(&text.replace('+', " "))
                .decode_utf8()
                .map(|text| text.into_owned())
        };
        let Ok(decoded_name) = decoded(name) else {
            return Err(format!(
                "the argument name `{shown}` is not UTF-8 once decoded"
            ));
        };
        if !expected.contains(&decoded_name) {
            let takes = if expected.is_empty() {
                "no arguments".to_owned()
            } else {
                expected.join(", ")
            };
            return Err(format!(
                "unknown argument `{shown}`; this endpoint takes {takes}"
            ));
        }
        if seen.contains(&name) {
            return Err(format!("the argument `{shown}` is given twice"));
        }
        seen.push(name);
        if value.is_empty() {
            return Err(format!(
                "the argument `{shown}` is empty; leave it out for its default"
            ));
        }
        if decoded(value).is_err() {
            return Err(format!("the argument `{shown}` is not UTF-8 once decoded"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_query;

    #[test]
    fn queries_follow_the_rules() {
        let expected = ["q".to_owned(), "page".to_owned()];
        assert!(check_query("q=rust&page=2", &expected).is_ok());
        assert!(check_query("q=caf%C3%A9+bar", &expected).is_ok());
        let refused = |query| check_query(query, &expected).unwrap_err();
        assert!(refused("sort=x").contains("unknown argument `sort`"));
        assert!(refused("q=a&q=b").contains("given twice"));
        assert!(refused("q=").contains("empty"));
        assert!(refused("page").contains("empty"));
        assert!(refused("q=%FF%FE").contains("not UTF-8"));
    }
}
