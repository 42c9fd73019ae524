//! The headers that tell browsers what Reach's pages may do: a
//! Content-Security-Policy that runs only Reach's own scripts and WASM (the
//! one inline script, Leptos' hydration, carries the page's nonce), no
//! framing, no MIME sniffing, and no referrer sent to other sites.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::use_context;

/// The policy of a page whose inline scripts carry `nonce`, or (`None`) of
/// any other answer: scripts only from this origin, WASM compiled from
/// them, styles from this origin (and `style` attributes, which the charts
/// and bars set), data only from this origin; no plugins, no `<base>`,
/// forms only to this origin, and no framing by anyone.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    // `cargo leptos watch` reloads the page over a WebSocket of its own;
    // whether it runs is known once, not asked of the environment per page.
    static RELOAD: std::sync::LazyLock<&str> = std::sync::LazyLock::new(|| {
        if std::env::var_os("LEPTOS_WATCH").is_some() {
            " ws:"
        } else {
            ""
        }
    });
    let reload = *RELOAD;
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'{reload}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Called while Leptos renders a page (its additional context): the page's
/// policy names the nonce Leptos put on its inline scripts.
pub fn page_policy() {
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(policy) = HeaderValue::from_str(&content_security_policy(Some(&nonce)))
    {
        response.insert_header(header::CONTENT_SECURITY_POLICY, policy);
    }
}

/// The middleware: every answer gets the headers; one without a policy of
/// its own (anything but a rendered page) gets the nonce-less policy.
/// Built assets (`/pkg/`, `/vendor/`) get only `nosniff`: a policy and the
/// framing rules apply to documents, and a page loads a hundred WASM chunks,
/// each of which would carry half a kilobyte of them.
pub async fn add(request: Request, next: Next) -> Response {
    let asset = {
        let path = request.uri().path();
        path.starts_with("/pkg/") || path.starts_with("/vendor/")
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if asset {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        return response;
    }
    // The same for every answer without a page's nonce: built once.
    static WITHOUT_NONCE: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
        HeaderValue::from_str(&content_security_policy(None)).expect("the policy is ASCII")
    });
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, WITHOUT_NONCE.clone());
    }
    let fixed: [(HeaderName, &str); 2] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // For browsers older than `frame-ancestors`, unless the answer's own
    // policy lets someone frame it (a share card the operator allows).
    let framing_allowed = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|policy| policy.to_str().ok())
        .is_some_and(|policy| !policy.contains("frame-ancestors 'none'"));
    if !framing_allowed {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_origin_and_the_nonce_may_run_scripts() {
        let policy = content_security_policy(Some("abc"));
        let directive = |name: &str| {
            policy
                .split(';')
                .map(str::trim)
                .find(|d| d.split(' ').next() == Some(name))
                .unwrap_or_else(|| panic!("no {name} in {policy}"))
                .to_owned()
        };
        assert_eq!(
            directive("script-src"),
            "script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"
        );
        assert_eq!(directive("frame-ancestors"), "frame-ancestors 'none'");
        assert_eq!(directive("object-src"), "object-src 'none'");
        // No source that would let injected script run.
        for name in ["default-src", "script-src"] {
            let sources = directive(name);
            for open in [
                "'unsafe-eval'",
                "'unsafe-inline'",
                "*",
                "data:",
                "http:",
                "https:",
            ] {
                assert!(!sources.split(' ').any(|s| s == open), "{sources}");
            }
        }
        assert!(!content_security_policy(None).contains("nonce"));
    }
}
