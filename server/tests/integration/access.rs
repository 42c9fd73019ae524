//! Who may do what, over HTTP: writes need an admin (a session cookie or an
//! API token), cookie writes from other sites are refused, sign-in and the
//! API are rate limited per address, reading can be made private, secrets
//! never come back, and every answer carries the security headers.

use app::model::{Me, NewToken, SignedInVia, TokenRow};
use app::ssr::state::AccessSettings;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::common::{ADMIN_PASSWORD, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    writes_need_an_admin_and_tokens_can_be_revoked,
    signing_in_sets_a_strict_cookie_that_only_this_site_can_use,
    tokens_are_shown_once_and_stored_hashed,
    sign_in_and_the_api_are_rate_limited_per_address,
    reading_can_require_an_admin,
    answers_carry_the_security_headers,
);

async fn error_kind(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON error");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

fn post(app: &TestApp, path: &str) -> reqwest::RequestBuilder {
    app.client
        .post(format!("{}{path}", app.address))
        .header("accept", "application/json")
}

/// Signs in as the tests' admin; returns the session cookie (`name=value`)
/// and the whole `Set-Cookie` header.
async fn sign_in(app: &TestApp, extra: &[(&str, &str)]) -> (String, String) {
    let mut request =
        post(app, "/api/login").form(&[("username", "tester"), ("password", ADMIN_PASSWORD)]);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let me: Me = response.json().await.unwrap();
    assert_eq!(
        me,
        Me {
            username: "tester".into(),
            via: SignedInVia::Session
        }
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    (cookie, set_cookie)
}

async fn writes_need_an_admin_and_tokens_can_be_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anonymous = post(&app, "/api/collect").send().await.unwrap();
    assert_eq!(
        error_kind(anonymous).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );
    let forged = post(&app, "/api/collect")
        .bearer_auth("reach_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    // Admin-only reads are refused too.
    assert_eq!(app.get("/api/tokens").await.status(), 401);

    let token = app.admin_token().await;
    let allowed = post(&app, "/api/collect")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    let me: Option<Me> = app
        .client
        .get(format!("{}/api/me", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me.map(|me| me.via), Some(SignedInVia::Token));

    let tokens: Vec<TokenRow> = app
        .client
        .get(format!("{}/api/tokens", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(tokens[0].last_used_at.is_some(), "{tokens:?}");
    let revoked = post(&app, "/api/tokens/revoke")
        .bearer_auth(&token)
        .form(&[("id", tokens[0].id)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let after = post(&app, "/api/collect")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}

async fn signing_in_sets_a_strict_cookie_that_only_this_site_can_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.admin_token().await; // creates the admin
    let wrong = post(&app, "/api/login")
        .form(&[("username", "tester"), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_kind(wrong).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );
    let unknown = post(&app, "/api/login")
        .form(&[("username", "nobody"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    let (status, _) = error_kind(unknown).await;
    assert_eq!(status, 401);

    let (cookie, set_cookie) = sign_in(&app, &[]).await;
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=604800"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let (_, behind_https) = sign_in(&app, &[("x-forwarded-proto", "https")]).await;
    assert!(behind_https.contains("; Secure"), "{behind_https}");

    let host = app.address.trim_start_matches("http://").to_owned();
    let write = |origin: Option<&str>| {
        let mut request = post(&app, "/api/collect").header("cookie", &cookie);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let same_site = write(Some(&format!("http://{host}"))).await.unwrap();
    assert_eq!(same_site.status(), 200);
    let cross_site = write(Some("https://evil.example")).await.unwrap();
    assert_eq!(
        error_kind(cross_site).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let no_origin = write(None).await.unwrap();
    assert_eq!(no_origin.status(), 403);

    let me = |cookie: String| {
        let app = &app;
        async move {
            app.client
                .get(format!("{}/api/me", app.address))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .json::<Option<Me>>()
                .await
                .unwrap()
        }
    };
    assert_eq!(me(cookie.clone()).await.unwrap().username, "tester");
    let logout = post(&app, "/api/logout")
        .header("cookie", &cookie)
        .header("origin", format!("http://{host}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    assert!(
        logout.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(me(cookie).await, None, "the session ended on the server");
}

async fn tokens_are_shown_once_and_stored_hashed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    // A token cannot make tokens: revoking a leaked one must end it.
    let by_token = post(&app, "/api/tokens/create")
        .bearer_auth(&admin)
        .form(&[("name", "offspring")])
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 403);
    let session = app.admin_session().await;
    let create = |name: &'static str| {
        post(&app, "/api/tokens/create")
            .header("cookie", &session)
            .header("origin", &app.address)
            .form(&[("name", name)])
            .send()
    };
    let created = create("grafana").await.unwrap();
    assert_eq!(created.status(), 200);
    let created: NewToken = created.json().await.unwrap();
    assert!(created.token.starts_with("reach_"));
    assert_eq!(created.row.name, "grafana");
    assert_eq!(created.row.admin, "tester");

    // Nothing after creation shows the secret: not the list, not the
    // database, not the performance figures or the metrics.
    let stored = db::entities::api_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(stored.iter().all(|t| !t.token_hash.contains(&created.token)
        && t.token_hash.len() == 64
        && t.token_hash != created.token));
    let (cookie, _) = sign_in(&app, &[]).await;
    let password = ADMIN_PASSWORD;
    let secret = cookie.split_once('=').unwrap().1.to_owned();
    for path in ["/api/tokens", "/api/performance", "/metrics", "/api/me"] {
        let body = app
            .client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&created.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for hidden in [created.token.as_str(), admin.as_str(), password, &secret] {
            assert!(!body.contains(hidden), "{path} shows a secret");
        }
    }
    let bad_name = create("  ").await.unwrap();
    assert_eq!(bad_name.status(), 400);
}

async fn sign_in_and_the_api_are_rate_limited_per_address(backend: Backend) {
    let app = TestApp::with_access(
        backend,
        AccessSettings {
            login_per_minute: 3,
            // The slowest rate, so that a loaded machine answering slowly
            // refills as little as possible while the burst is sent.
            api_per_second: 1,
            ..AccessSettings::default()
        },
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let attempt = post(&app, "/api/login")
            .form(&[("username", "tester"), ("password", "guessing wrong")])
            .send()
            .await
            .unwrap();
        statuses.push(attempt.status().as_u16());
        if attempt.status() == 429 {
            let wait: u64 = attempt.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&wait), "{wait}");
            let (_, kind) = error_kind(attempt).await;
            assert_eq!(kind, "too_many_requests");
        }
    }
    assert_eq!(statuses, [401, 401, 401, 429]);

    // A burst of twice the rate passes, then the API answers 429 (20
    // requests at once cannot all be refilled for: at one a second, only if
    // answering them took 15 s); pages and health checks are not counted.
    for _ in 0..2 {
        assert_eq!(app.get("/api/tags").await.status(), 200);
    }
    let burst = futures::future::join_all((0..20).map(|_| app.get("/api/tags"))).await;
    let limited = burst.iter().filter(|r| r.status() == 429).count();
    assert!(limited >= 5, "{limited} of 20 limited");
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/accounts").await.status(), 200);
}

async fn reading_can_require_an_admin(backend: Backend) {
    let app = TestApp::private(backend).await;
    let (status, kind) = error_kind(app.get("/api/overview").await).await;
    assert_eq!((status.as_u16(), kind.as_str()), (401, "unauthorized"));
    assert_eq!(app.get("/metrics").await.status(), 401);
    let page = app
        .client
        .get(format!("{}/accounts", app.address))
        .send()
        .await
        .unwrap();
    // reqwest follows the redirect to the sign-in page.
    assert_eq!(page.url().path(), "/login");
    assert_eq!(page.status(), 200);
    for open in ["/healthz", "/readyz", "/login", "/api/me"] {
        assert_eq!(app.get(open).await.status(), 200, "{open}");
    }
    let token = app.admin_token().await;
    let read = app
        .client
        .get(format!("{}/api/overview", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let (cookie, _) = sign_in(&app, &[]).await;
    let page = app
        .client
        .get(format!("{}/accounts", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.url().path(), "/accounts");
}

async fn answers_carry_the_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Built assets carry only what applies to them (policies are for
    // documents): every byte counts on a page of a hundred chunks.
    let asset = app.get("/pkg/reach.wasm").await;
    assert_eq!(asset.headers()["x-content-type-options"], "nosniff");
    assert!(asset.headers().get("content-security-policy").is_none());
    assert!(asset.headers().get("x-frame-options").is_none());
    for path in [
        "/",
        "/accounts/1",
        "/api/overview",
        "/healthz",
        "/no-such-page",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .unwrap_or_else(|| panic!("{path}: no {name}"))
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("referrer-policy"), "same-origin");
        assert_eq!(header("x-frame-options"), "DENY");
        let policy = header("content-security-policy");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("default-src 'self'"), "{policy}");
        assert!(!policy.contains("'unsafe-eval'"), "{policy}");
        let script_src = policy
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src "))
            .unwrap()
            .to_owned();
        assert!(!script_src.contains("unsafe-inline"), "{policy}");
        let html = response.text().await.unwrap();
        if html.contains("<script") {
            // Every inline script carries the nonce the policy allows, and
            // it is new for every page.
            let nonce = script_src
                .split(' ')
                .find_map(|source| source.strip_prefix("'nonce-"))
                .and_then(|n| n.strip_suffix('\''))
                .unwrap_or_else(|| panic!("{path}: a page without a nonce: {policy}"));
            let scripts = html.matches("<script").count();
            let stamped = html.matches(&format!("nonce=\"{nonce}\"")).count();
            assert_eq!(scripts, stamped, "{path}: {scripts} scripts");
            let again = app.get(path).await;
            assert!(
                !again.headers()["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .contains(nonce)
            );
        }
    }
}
