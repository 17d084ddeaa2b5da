//! The contract: generated from the handlers, completed with the responses every endpoint
//! shares, committed at `openapi/openapi.json`.

use std::sync::OnceLock;

use actix_web::App;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, OpenApi as Spec, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::problem::{ErrorCode, FieldProblem, Problem};
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "oneonone",
        description = "The system of record for a company's 1:1 program: people and the org \
chart, manager–employee 1:1s, and the performance practices around them.\n\n\
**Conventions.** Everything is under `/api/v1`, JSON with `snake_case` fields. Errors are RFC 9457 \
problems (`application/problem+json`) with a stable `code`, on every path, including requests \
refused before routing: a malformed request line or header (400 `bad_request`), a request line \
and headers over 128 KiB (431 `headers_too_large`), a head not sent within 5 seconds (408 \
`request_timeout`). Lists return `{\"data\": [...], \
\"next_cursor\": ...}`; pass `next_cursor` back as `cursor`. Creates accept `Idempotency-Key`; \
single resources carry an `ETag` to send back as `If-Match`. Authenticate with \
`Authorization: Bearer <token>`: an access token from `POST /api/v1/auth/login`, or an API token \
an HR admin created.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        version = "1.0.0"
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = "auth", description = "Signing in and the signed-in person."),
        (name = "people", description = "The directory and the org chart."),
        (name = "api-tokens", description = "Credentials for integrations."),
        (name = "meetings", description = "Recurring 1:1s (series with a cadence) and their meetings."),
        (name = "action-items", description = "Commitments made in a 1:1, open until done or cancelled; shown in every following meeting of the series while open."),
        (name = "agenda", description = "The content of a 1:1: talking points and notes. It belongs to the two participants; private items and notes to their author alone."),
        (name = "goals", description = "Goals (OKR objectives with key results, or SMART targets) with progress history and alignment; a public goal is everyone's to read, a private one its owner's, their manager chain's and HR's."),
        (name = "check-ins", description = "Periodic check-ins (not 1:1s): HR launches a cycle; each person writes a self-assessment with their goals' progress, the manager reviews, the person acknowledges. Content is the person's and their manager's; HR sees completion counts."),
        (name = "enps", description = "eNPS surveys: HR asks an audience \"How likely are you to recommend working here?\" (0–10); each person answers once while it is open, and nobody — not HR, not the database owner through the API — ever reads an answer. Once a survey closes its results (eNPS, distribution, the second question, comments, breakdowns, trend, change against a baseline) are shown only for groups that are exactly a union of cells of at least the minimum group size, so no subtraction reveals a smaller group."),
        (name = "library", description = "Conversation starters and agenda templates, curated by HR admins."),
        (name = "changes", description = "The change log: follow every change you may know about from a cursor, to keep a copy in sync."),
        (name = "webhooks", description = "Events pushed to HR systems and scripts: subscriptions by event type, deliveries signed as Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of \"{id}.{timestamp}.{body}\">`), retried with exponential backoff for 24 hours, each with its delivery log. A delivery carries metadata only (`WebhookPayload`): never text, never anything private, never an eNPS answer or a rating's value. Every attempt of one delivery has the same `webhook-id`: de-duplicate on it. Deliveries about one record arrive in order."),
        (name = "notifications", description = "Email: a reminder before each 1:1 (open talking points — shared ones and your own private ones, never the other person's — and the pair's open action items), a summary after it (the shared note and the action items agreed), and a calendar invitation (iTIP, RFC 5546: `text/calendar; method=REQUEST` or `CANCEL`) whenever a 1:1 is scheduled, moved, skipped or cancelled, so calendar apps add, move and remove it themselves; for managers a weekly digest; check-in steps and eNPS invitations (to those who have not answered); each in your time zone. Every kind can be turned off here or with the one-click link each email carries (RFC 8058 `List-Unsubscribe`). An operator turns email on with `ONEONONE_SMTP_URL`."),
        (name = "calendar", description = "Calendars (RFC 5545). Each person may make a secret feed address for their calendar app: every recurring 1:1 of theirs is one event with its rule (`RRULE`) in the series' IANA time zone (with a `VTIMEZONE`), a moved meeting an override (`RECURRENCE-ID`), a skipped or cancelled one an `EXDATE`; UIDs are stable and `SEQUENCE` grows with every change. A meeting's `.ics` adds one meeting. Times, names and a link to the agenda only, never a talking point or a note."),
        (name = "chat", description = "Slack and Microsoft Teams. Each person may post their own reminders (before each 1:1: the shared talking points and the pair's open action items — never a private talking point, not even their own, since others may read a channel) and, as a manager, their weekly digest to an incoming webhook; a manager (or HR for them) may give their team's channel a line before each 1:1 the manager holds (who and when, no content) and the digest in counts (no names). Slack gets Block Kit (Mattermost and Rocket.Chat read it too), Teams an Adaptive Card through a workflow. The webhook address is a secret: it is never returned after it is set. Messages go out from the same job queue as webhooks and email, retried with backoff; each carries its id (`Idempotency-Key`) for receivers that de-duplicate."),
        (name = "escalations", description = "HR's record of performance problems that reached HR and of performance-improvement plans (a person, a day, a kind, the HR system's reference; no free text), each with whether a documented expectation-setting conversation preceded it: a held 1:1 in which the person was the report with a shared talking point or an action item, or a check-in they submitted, in the 90 days before or on the day. The report answers, for a window and a slice, how many escalations the program reached in time. HR admins record and read; a token reads only with `escalations:read`, which no other scope includes; managers never."),
        (name = "attention", description = "The attention list (early warning): recurring 1:1s behind twice their cadence, direct reports never met, shared talking points carried over three times or more, open action items past due, goals at risk or off track not discussed in the pair's last 1:1, and managers below whom expectations clarity fell from one closed month to the next (only groups no subtraction breaks down, like eNPS results). Each entry gives its reason, the numbers behind it and the ids it is about; never any text of a 1:1, and private talking points are neither named nor counted. A manager reads their own; HR admins and `reports:read` tokens the organisation or a slice."),
        (name = "reports", description = "The program report: for a window and a slice (the organisation, a department's managers, a manager's subtree), adoption — managers holding 1:1s, regular/partial/absent managers, coverage of direct reports over 30/60/90 days, frequency (median days between held 1:1s), adherence (held ÷ scheduled), skipped and cancelled, by kind — beside content signals in counts (topics by category, starters used, employee-led share, points carried over three times or more, action-item follow-through; shared talking points only, never text) and outcomes (goals at risk, check-in completion, eNPS as its results show the group). Optionally the same length of time before a launch date, and week by week. HR admins and `reports:read` tokens read any slice; a manager their own subtree, with content signals only when at least five pairs met."),
        (name = "exports", description = "Bulk exports for HR systems, streamed in constant memory as CSV or NDJSON (`format`, or the `Accept` header): the metadata of every meeting and every action item in a window and a slice, never a title, note or rating, and the program's figures per manager and per week. Each response carries the change-log cursor it is current to (`Oneonone-Changes-Cursor`); pass it back as `changed_since` and the next export holds only what changed since, with a `deleted` row for each meeting removed. HR admins and `reports:read` tokens; `external_id`s only for readers who may see HR fields."),
        (name = "feedback", description = "Feedback between colleagues: praise or constructive, to the recipient alone or to the recipient and their manager (the giver chooses), optionally about a goal of theirs and a topic; recognition, a short public thank-you. Requests: ask named colleagues a question about yourself (or, as their manager, about a direct report) with a due date; each answers once or declines; the requester sees who answered. An anonymous answer carries no giver and no time and reaches the person only together with at least two other anonymous answers to the request, so it cannot be attributed by elimination. HR admins read no one's feedback but their own; API tokens none."),
        (name = "health", description = "Probes.")
    ),
    components(schemas(Problem, FieldProblem, ErrorCode, routes::webhooks::WebhookPayload)),
    modifiers(&Security),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut Spec) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or oo_ API token")
                    .description(Some(
                        "An access token from POST /api/v1/auth/login, or an API token.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The shared error responses, by name, with their status codes and descriptions.
const SHARED: [(&str, &str, &str, &str); 11] = [
    (
        "400",
        "BadRequest",
        "Malformed request: bad JSON, query parameter, cursor or header.",
        "malformed_json",
    ),
    (
        "401",
        "Unauthorized",
        "Missing or invalid credentials.",
        "unauthorized",
    ),
    (
        "403",
        "Forbidden",
        "Authenticated, but not allowed to do this.",
        "forbidden",
    ),
    (
        "404",
        "NotFound",
        "No such resource, or it is not yours to know about.",
        "not_found",
    ),
    (
        "409",
        "Conflict",
        "Conflicts with the current state (a taken email, a request still running with the same Idempotency-Key).",
        "conflict",
    ),
    (
        "412",
        "PreconditionFailed",
        "The resource changed since you read it (stale If-Match).",
        "precondition_failed",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is too large.",
        "payload_too_large",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not application/json.",
        "unsupported_media_type",
    ),
    (
        "422",
        "UnprocessableContent",
        "Well-formed but invalid: the fields are listed in `errors`; or an Idempotency-Key reused with another body.",
        "validation_failed",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many attempts; retry after `Retry-After` seconds.",
        "rate_limited",
    ),
    (
        "503",
        "ServiceUnavailable",
        "The database is unavailable; retry after `Retry-After` seconds.",
        "service_unavailable",
    ),
];

fn shared_response(status: &str, description: &str, code: &str) -> Response {
    let title = actix_web::http::StatusCode::from_bytes(status.as_bytes())
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let example = serde_json::json!({
        "type": format!("urn:oneonone:problem:{code}"),
        "title": title,
        "status": status.parse::<u16>().unwrap_or(400),
        "detail": description,
        "code": code,
    });
    let mut builder = ResponseBuilder::new().description(description).content(
        crate::problem::PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .example(Some(example))
            .build(),
    );
    let string_header = |d: &str| {
        HeaderBuilder::new()
            .schema(
                utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String),
            )
            .description(Some(d))
            .build()
    };
    match status {
        "401" => builder = builder.header("WWW-Authenticate", string_header("`Bearer`")),
        "429" | "503" => builder = builder.header("Retry-After", string_header("Seconds to wait.")),
        _ => {}
    }
    builder.build()
}

fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    let mut ops = Vec::new();
    if let Some(op) = item.get.as_mut() {
        ops.push(("GET", op));
    }
    if let Some(op) = item.post.as_mut() {
        ops.push(("POST", op));
    }
    if let Some(op) = item.put.as_mut() {
        ops.push(("PUT", op));
    }
    if let Some(op) = item.patch.as_mut() {
        ops.push(("PATCH", op));
    }
    if let Some(op) = item.delete.as_mut() {
        ops.push(("DELETE", op));
    }
    ops
}

/// Add the error responses every operation can give, by what it is: authenticated or not, with
/// an id in its path, with a body, a create, a conditional update.
fn add_shared_responses(spec: &mut Spec) {
    let components = spec.components.get_or_insert_with(Default::default);
    for (status, name, description, code) in SHARED {
        components.responses.insert(
            name.to_owned(),
            RefOr::T(shared_response(status, description, code)),
        );
    }
    for (path, item) in spec.paths.paths.iter_mut() {
        let in_api = path.starts_with("/api/v1");
        let has_id = path.contains('{');
        for (method, op) in operations(item) {
            let public = op
                .security
                .as_ref()
                .is_some_and(|s| s.iter().all(|r| r == &Default::default()));
            let has_body = op.request_body.is_some();
            let has_header = |name: &str| {
                op.parameters
                    .as_ref()
                    .is_some_and(|ps| ps.iter().any(|p| p.name.eq_ignore_ascii_case(name)))
            };
            let idempotent_create = has_header(crate::idempotency::HEADER);
            let conditional = has_header("If-Match");
            let mut wanted: Vec<&str> = Vec::new();
            if in_api {
                wanted.extend(["400", "503"]);
            }
            if in_api && !public {
                wanted.extend(["401", "403"]);
            }
            if has_id {
                wanted.push("404");
            }
            if has_body {
                wanted.extend(["413", "415", "422"]);
            }
            if idempotent_create {
                wanted.extend(["409", "422"]);
            }
            if conditional || (matches!(method, "PATCH" | "DELETE") && has_id) {
                wanted.push("412");
            }
            if path.ends_with("/auth/login") {
                wanted.push("429");
            }
            for status in wanted {
                if op.responses.responses.contains_key(status) {
                    continue;
                }
                if let Some((_, name, _, _)) = SHARED.iter().find(|(s, ..)| *s == status) {
                    op.responses.responses.insert(
                        status.to_owned(),
                        RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))),
                    );
                }
            }
        }
    }
}

/// The full contract, built once.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let (_, mut spec) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .service(routes::health::healthz)
            .service(routes::health::readyz)
            .service(crate::metrics::metrics)
            .service(routes::api_v1())
            .split_for_parts();
        add_shared_responses(&mut spec);
        spec
    })
}

/// The contract as the committed file holds it: pretty JSON with a final newline.
pub fn spec_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut s = serde_json::to_string_pretty(spec()).unwrap_or_default();
        s.push('\n');
        s
    })
}

/// Methods served by each path template, for 405 answers with `Allow`.
pub fn route_table() -> &'static [(Vec<String>, String)] {
    static TABLE: OnceLock<Vec<(Vec<String>, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut spec = spec().clone();
        spec.paths
            .paths
            .iter_mut()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods: Vec<&str> = operations(item).into_iter().map(|(m, _)| m).collect();
                (segments, methods.join(", "))
            })
            .collect()
    })
}

/// The `Allow` value of the path template that best matches `path` (most literal segments,
/// so `/people/import` beats `/people/{id}`), if any does.
pub fn allowed_methods(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    route_table()
        .iter()
        .filter_map(|(template, allow)| {
            let matches = template.len() == segments.len()
                && template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s);
            let literal = template.iter().filter(|t| !t.starts_with('{')).count();
            matches.then_some((literal, allow.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, allow)| allow)
}

/// The answer for a request no handler took: 405 with `Allow` when the path exists with other
/// methods, else 404.
pub fn unrouted(method: &str, path: &str) -> crate::problem::ApiError {
    match allowed_methods(path) {
        Some(allow) if !allow.split(", ").any(|m| m == method) => {
            crate::problem::ApiError::MethodNotAllowed {
                allow: allow.to_owned(),
            }
        }
        _ => crate::problem::ApiError::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_methods_of_known_paths() {
        assert_eq!(allowed_methods("/api/v1/auth/login"), Some("POST"));
        assert!(allowed_methods("/api/v1/people/abc").is_some_and(|a| a.contains("PATCH")));
        assert_eq!(allowed_methods("/api/v1/nothing"), None);
        assert_eq!(allowed_methods("/api/v1/people/import"), Some("POST"));
        assert_eq!(allowed_methods("/api/v1/people/import"), Some("POST"));
    }

    /// utoipa keys schemas by name, so a second type with a name already taken silently replaces
    /// the first in the contract (two `Status` enums did once: every meeting failed validation
    /// in generated clients). Every `ToSchema` type must have a name of its own.
    /// Every `$ref` names a schema the contract defines (a query enum that derives `ToSchema`
    /// but is not `#[param(inline)]` once left a dangling one, which client generators refuse).
    #[test]
    fn every_schema_reference_resolves() {
        let doc: serde_json::Value = serde_json::from_str(spec_json()).expect("the spec is JSON");
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let text = spec_json();
        let prefix = "\"#/components/schemas/";
        let dangling: Vec<&str> = text
            .match_indices(prefix)
            .filter_map(|(at, _)| {
                let rest = &text[at + prefix.len()..];
                rest.split('"').next()
            })
            .filter(|name| !schemas.contains_key(*name))
            .collect();
        assert!(dangling.is_empty(), "references to no schema: {dangling:?}");
    }

    #[test]
    fn schema_names_are_unique() {
        fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    rust_files(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        rust_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut seen: std::collections::HashMap<String, String> = Default::default();
        let mut duplicates = Vec::new();
        let mut count = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let mut pending: Option<Option<String>> = None;
            for line in text.lines().map(str::trim) {
                if line.starts_with("#[derive(") && line.contains("ToSchema") {
                    pending = Some(None);
                } else if let Some(alias) = pending.as_mut() {
                    if let Some(rest) = line.strip_prefix("#[schema(as = ") {
                        *alias = rest.split(')').next().map(str::to_owned);
                    } else if let Some(decl) = line
                        .strip_prefix("pub struct ")
                        .or_else(|| line.strip_prefix("pub enum "))
                        .or_else(|| line.strip_prefix("struct "))
                        .or_else(|| line.strip_prefix("enum "))
                    {
                        let own: String = decl
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let name = alias.clone().unwrap_or(own);
                        let at = format!("{}", file.display());
                        count += 1;
                        if let Some(first) = seen.insert(name.clone(), at.clone()) {
                            duplicates.push(format!("{name}: {first} and {at}"));
                        }
                        pending = None;
                    }
                }
            }
        }
        assert!(
            count > 30,
            "found only {count} schema types: is the scan broken?"
        );
        assert!(
            duplicates.is_empty(),
            "schema names used twice (give one `#[schema(as = …)]`): {duplicates:?}"
        );
    }

    /// Every code the server can put in a problem is in the contract's closed `ErrorCode` set.
    #[test]
    fn error_codes_are_a_closed_set_in_the_contract() {
        let spec: serde_json::Value = serde_json::from_str(spec_json()).expect("spec");
        let listed: Vec<&str> = spec["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .expect("ErrorCode enum")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut used = Vec::new();
        for krate in ["api", "usecases", "persistence", "domain"] {
            let mut stack = vec![root.join(krate).join("src")];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    for marker in ["code: \"", "=> \""] {
                        for part in text.split(marker).skip(1) {
                            let code: String = part
                                .chars()
                                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                                .collect();
                            if part[code.len()..].starts_with('"') && !code.is_empty() {
                                used.push((code, path.display().to_string(), marker));
                            }
                        }
                    }
                }
            }
        }
        let codes: Vec<_> = used.iter().filter(|(_, _, m)| *m == "code: \"").collect();
        assert!(codes.len() > 10, "the scan found only {codes:?}");
        for (code, file, _) in codes {
            assert!(
                listed.contains(&code.as_str()),
                "`{code}` ({file}) is not in ErrorCode"
            );
        }
        for e in [
            crate::problem::ApiError::Unauthorized(String::new()),
            crate::problem::ApiError::Forbidden(String::new()),
            crate::problem::ApiError::NotFound,
            crate::problem::ApiError::MethodNotAllowed {
                allow: String::new(),
            },
            crate::problem::ApiError::PreconditionFailed,
            crate::problem::ApiError::PayloadTooLarge { limit: 1 },
            crate::problem::ApiError::UnsupportedMediaType(String::new()),
            crate::problem::ApiError::Validation(Default::default()),
            crate::problem::ApiError::TooManyRequests {
                retry_after_secs: 1,
            },
            crate::problem::ApiError::Unavailable,
            crate::problem::ApiError::internal(std::io::Error::other("x")),
        ] {
            assert!(
                listed.contains(&e.code()),
                "{} is not in ErrorCode",
                e.code()
            );
        }
    }

    #[test]
    fn every_operation_documents_its_errors() {
        let spec = spec();
        let people = spec.paths.paths.get("/api/v1/people/{id}").expect("path");
        let patch = people.patch.as_ref().expect("patch");
        for status in ["401", "403", "404", "412", "422"] {
            assert!(patch.responses.responses.contains_key(status), "{status}");
        }
    }
}
