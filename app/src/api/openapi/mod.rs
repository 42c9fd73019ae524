//! The OpenAPI description of the server functions (the JSON API), generated
//! by utoipa from the annotations beside each function in [`crate::api`]
//! and the DTOs' `ToSchema` derives. The server adds its own routes
//! (health, metrics, exports) and serves the whole at `/api/openapi.json`.
//!
//! The query parameters are documented by the groups in
//! [`crate::api::params`]: the
//! server functions' arguments are fields of structs the `#[server]` macro
//! generates, which cannot derive `IntoParams`. A test keeps both in step:
//! every registered server function is described, with exactly its
//! arguments.

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDocument, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::error::ApiError;

/// The server functions' part of the API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Reach",
        description = "Public counters of social-media accounts over time. Every read is a GET (and a HEAD) with URL query parameters and a JSON answer; errors are JSON too (`ApiError`), with the HTTP status of their kind. An argument is optional by leaving it out: an empty value (`?sort=`), a repeated one, an unknown one or one that is not UTF-8 once decoded is a 400. Dates are RFC 3339 full dates, from 0000-01-01 to 9999-12-31.",
    ),
    paths(
        crate::api::get_overview,
        crate::api::lists::list_accounts,
        crate::api::lists::get_leaderboard,
        crate::api::list_tags,
        crate::api::get_account,
        crate::api::get_history,
        crate::api::list_instances,
        crate::api::list_runs,
        crate::api::get_run,
        crate::api::get_cache_stats,
        crate::api::get_growth,
        crate::api::get_rollups,
        crate::api::get_projection,
        crate::api::list_brands,
        crate::api::get_brand,
        crate::api::list_events,
        crate::api::compare_accounts,
        crate::api::get_performance,
        crate::api::get_platforms,
        crate::api::collect_now,
        crate::api::watch_account,
        crate::api::add_account,
        crate::api::update_account,
        crate::api::delete_account,
        crate::api::login,
        crate::api::logout,
        crate::api::get_me,
        crate::api::list_tokens,
        crate::api::create_token,
        crate::api::revoke_token,
        crate::api::list_digests,
        crate::api::create_digest,
        crate::api::delete_digest,
        crate::api::send_digest,
        crate::api::preview_digest,
        crate::api::list_deliveries,
    ),
    components(schemas(ApiError)),
    modifiers(&ErrorAnswers, &Security, &Forms),
    tags(
        (name = "dashboard", description = "What the overview page shows."),
        (name = "accounts", description = "Tracked accounts and their history; adding, editing and deleting them (admins)."),
        (name = "analytics", description = "Growth, rankings, projections, comparisons and events."),
        (name = "brands", description = "Accounts grouped by the creator or company behind them."),
        (name = "collection", description = "Collection runs, and asking for one (admins)."),
        (name = "access", description = "Signing in and out, and the API tokens of other programs (admins). Writes need an admin: a session cookie from `POST /api/login`, or `Authorization: Bearer <token>`."),
        (name = "digests", description = "Scheduled summaries of a period, by e-mail or to a chat webhook (admins)."),
        (name = "exports", description = "Whole datasets as CSV or JSON files."),
        (name = "operations", description = "This instance's health, performance and this description."),
    ),
)]
pub struct ApiDoc;

/// The error answers of every operation, all with an [`ApiError`] body:
/// those any request may get are added here rather than on each function;
/// those of some (`404` where an id is looked up, `409`) are declared
/// beside their function, and get their body here.
pub struct ErrorAnswers;

impl ErrorAnswers {
    /// Any request may get these.
    const EVERY: [(&'static str, &'static str); 8] = [
        (
            "400",
            "Invalid arguments: unknown, repeated, empty or out of range (`bad_request`).",
        ),
        (
            "401",
            "Needs an admin: writes always, reads when `REACH_PUBLIC_READ=false`; or the bearer token is unknown or revoked (`unauthorized`).",
        ),
        (
            "408",
            "The request was not received and answered within `REACH_REQUEST_TIMEOUT` (`request_timeout`).",
        ),
        ("414", "The address is longer than 8 KiB (`uri_too_long`)."),
        (
            "429",
            "Too many requests from this address; `Retry-After` says when to retry (`too_many_requests`).",
        ),
        (
            "431",
            "More than 64 headers, or more than 16 KiB of them (`headers_too_large`).",
        ),
        (
            "500",
            "The server failed; the details are in its log (`internal`).",
        ),
        (
            "503",
            "The database is unavailable; try again shortly (`unavailable`).",
        ),
    ];

    /// Writes (`POST`) may also get these.
    const WRITES: [(&'static str, &'static str); 2] = [
        (
            "403",
            "A write with a session cookie from another site, or without `Origin` (`forbidden`).",
        ),
        (
            "413",
            "The body is larger than 64 KiB (`payload_too_large`).",
        ),
    ];

    fn add_to(operation: &mut Operation, write: bool) {
        let body = || {
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name("ApiError"))))
                .build()
        };
        let extra: &[(&str, &str)] = if write { &Self::WRITES } else { &[] };
        for (status, description) in Self::EVERY.iter().chain(extra) {
            let answer = ResponseBuilder::new()
                .description(*description)
                .content("application/json", body())
                .build();
            operation
                .responses
                .responses
                .entry((*status).to_owned())
                .or_insert(RefOr::T(answer));
        }
        // The errors declared beside their function, with their body.
        for (status, answer) in &mut operation.responses.responses {
            if let RefOr::T(answer) = answer
                && (status.starts_with('4') || status.starts_with('5'))
                && answer.content.is_empty()
            {
                answer
                    .content
                    .insert("application/json".to_owned(), RefOr::T(body()));
            }
        }
    }
}

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        for item in openapi.paths.paths.values_mut() {
            if let Some(operation) = &mut item.get {
                Self::add_to(operation, false);
            }
            if let Some(operation) = &mut item.post {
                Self::add_to(operation, true);
            }
        }
    }
}

/// How a client acts as an admin: the session cookie of `POST /api/login`,
/// or an API token. The admins' operations name both as their `security`
/// beside their function; every other operation takes either, or neither
/// (anonymous reads, unless `REACH_PUBLIC_READ=false`).
pub struct Security;

impl Security {
    pub const SESSION: &'static str = "session";
    pub const BEARER: &'static str = "bearer";
}

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            Self::SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::ssr::auth::SESSION_COOKIE,
                "The session of a signed-in admin, set by `POST /api/login`.",
            ))),
        );
        components.add_security_scheme(
            Self::BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token made by an admin (`POST /api/tokens/create`, or `reach token create`).",
                    ))
                    .build(),
            ),
        );
        let optional = vec![
            SecurityRequirement::default(),
            SecurityRequirement::new(Self::SESSION, Vec::<String>::new()),
            SecurityRequirement::new(Self::BEARER, Vec::<String>::new()),
        ];
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
                if operation.security.is_none() {
                    operation.security = Some(optional.clone());
                }
            }
        }
    }
}

/// The form bodies take their fields and no others (a server function
/// refuses unknown and repeated keys): `additionalProperties: false` on
/// each schema a request body names.
pub struct Forms;

impl Modify for Forms {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        use utoipa::openapi::schema::{AdditionalProperties, Schema};
        let mut forms = Vec::new();
        for item in openapi.paths.paths.values() {
            let Some(RefOr::T(body)) = item.post.as_ref().and_then(|op| op.request_body.as_ref())
            else {
                continue;
            };
            for content in body.content.values() {
                if let RefOr::T(content) = content
                    && let Some(RefOr::Ref(reference)) = &content.schema
                {
                    let name = reference
                        .ref_location
                        .rsplit('/')
                        .next()
                        .unwrap_or_default();
                    forms.push(name.to_owned());
                }
            }
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for name in forms {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&name) {
                object.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde::de::DeserializeOwned;
    use serde_aux::serde_introspection::serde_introspect;
    use server_fn::ServerFn;

    use super::*;
    use crate::api::*;

    /// A server function's path and its arguments' names, read from the
    /// struct its macro generates.
    fn arguments<F: ServerFn + DeserializeOwned>() -> (&'static str, BTreeSet<&'static str>) {
        (F::PATH, serde_introspect::<F>().iter().copied().collect())
    }

    #[test]
    fn every_server_function_is_described_with_exactly_its_arguments() {
        let functions = [
            arguments::<GetOverview>(),
            arguments::<ListAccounts>(),
            arguments::<GetLeaderboard>(),
            arguments::<ListTags>(),
            arguments::<GetAccount>(),
            arguments::<GetHistory>(),
            arguments::<ListInstances>(),
            arguments::<ListRuns>(),
            arguments::<GetRun>(),
            arguments::<GetCacheStats>(),
            arguments::<GetGrowth>(),
            arguments::<GetRollups>(),
            arguments::<GetProjection>(),
            arguments::<ListBrands>(),
            arguments::<GetBrand>(),
            arguments::<ListEvents>(),
            arguments::<CompareAccounts>(),
            arguments::<GetPerformance>(),
            arguments::<GetPlatforms>(),
            arguments::<CollectNow>(),
            arguments::<WatchAccount>(),
            arguments::<AddAccount>(),
            arguments::<UpdateAccount>(),
            arguments::<DeleteAccount>(),
            arguments::<Login>(),
            arguments::<Logout>(),
            arguments::<GetMe>(),
            arguments::<ListTokens>(),
            arguments::<CreateToken>(),
            arguments::<RevokeToken>(),
            arguments::<ListDigests>(),
            arguments::<CreateDigest>(),
            arguments::<DeleteDigest>(),
            arguments::<SendDigest>(),
            arguments::<PreviewDigest>(),
            arguments::<ListDeliveries>(),
        ];
        // The list above is every function the server registers.
        let registered: BTreeSet<&str> = server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .collect();
        let listed: BTreeSet<&str> = functions.iter().map(|(path, _)| *path).collect();
        assert_eq!(registered, listed);

        let document = ApiDoc::openapi();
        for (path, method) in server_fn::axum::server_fn_paths() {
            let item = document
                .paths
                .paths
                .get(path)
                .unwrap_or_else(|| panic!("{path} is not described"));
            let operation = match method.as_str() {
                "GET" => item.get.as_ref(),
                "POST" => item.post.as_ref(),
                other => panic!("{path}: unexpected method {other}"),
            };
            let operation = operation.unwrap_or_else(|| panic!("{method} {path} is not described"));
            let mut described: BTreeSet<&str> = operation
                .parameters
                .iter()
                .flatten()
                .map(|parameter| match parameter {
                    RefOr::T(parameter) => parameter.name.as_str(),
                    RefOr::Ref(reference) => {
                        panic!("{path}: unexpected {}", reference.ref_location)
                    }
                })
                .collect();
            // A POST's arguments are the fields of its form body.
            if let Some(body) = &operation.request_body {
                let RefOr::T(body) = body else {
                    panic!("{path}: the body is not described in place");
                };
                let RefOr::T(form) = &body.content["application/x-www-form-urlencoded"] else {
                    panic!("{path}: the form is not described in place");
                };
                let Some(RefOr::Ref(reference)) = &form.schema else {
                    panic!("{path}: the form is not a named schema");
                };
                let name = reference.ref_location.rsplit('/').next().expect("a name");
                let Some(RefOr::T(utoipa::openapi::schema::Schema::Object(object))) = document
                    .components
                    .as_ref()
                    .and_then(|c| c.schemas.get(name))
                else {
                    panic!("{path}: {name} is not an object schema");
                };
                described.extend(object.properties.keys().map(String::as_str));
            }
            let (_, arguments) = functions.iter().find(|(p, _)| *p == path).expect("listed");
            assert_eq!(&described, arguments, "the parameters of {path}");
            for status in ["200", "400", "500"] {
                assert!(
                    operation.responses.responses.contains_key(status),
                    "{path} has no {status} answer"
                );
            }
        }
    }

    #[test]
    fn the_described_bounds_are_the_enforced_ones() {
        let document = serde_json::to_value(ApiDoc::openapi()).expect("serializable");
        let per_page = document["paths"]["/api/accounts"]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|parameter| parameter["name"] == "per_page")
            .expect("a per_page parameter");
        assert_eq!(
            per_page["schema"]["maximum"],
            crate::model::MAX_PAGE_SIZE,
            "{per_page}"
        );
    }
}
