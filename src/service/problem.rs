//! RFC 9457 problem details (`application/problem+json`): every error the API answers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::log::{Fault, FaultKind};
use crate::rules::{Rejection, Status, Violation};

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One broken rule of one event of a rejected batch, as sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ViolationBody {
    /// The event's index in the batch, from 0.
    pub index: usize,
    /// The NDJSON line (from 1, blank lines counted), for NDJSON bodies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The field at fault as named on the wire; null when the event as a whole is wrong.
    pub field: Option<String>,
    pub reason: String,
    /// 400, 409 or 422.
    pub status: u16,
}

/// An error answer: a problem details document, boxed so that `Result<_, Problem>` stays small.
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemBody>);

/// A problem details document.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The query parameter at fault, for a bad query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// The violations of a rejected batch: the first 100 in batch order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<ViolationBody>,
    /// How many violations the rejected batch has in all (more than listed when over 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations_total: Option<usize>,
    #[serde(skip)]
    www_authenticate: bool,
    /// Seconds for a `Retry-After` header.
    #[serde(skip)]
    retry_after: Option<u32>,
}

impl Problem {
    /// A problem with `about:blank` type and the status's reason phrase as title.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem(Box::new(ProblemBody::new(status, detail.into())))
    }

    /// The document.
    pub fn body(&self) -> &ProblemBody {
        &self.0
    }

    /// A 400 naming a query parameter.
    pub fn bad_parameter(name: &str, detail: impl Into<String>) -> Self {
        Problem(Box::new(ProblemBody {
            kind: "urn:wartezeit:problem:bad-parameter".into(),
            parameter: Some(name.into()),
            ..ProblemBody::new(StatusCode::BAD_REQUEST, detail.into())
        }))
    }

    /// A 401 that asks for a bearer token.
    pub fn unauthorized() -> Self {
        let detail = "this needs a token: an Authorization: Bearer <token> header, or in a browser the token as the \
                      password"
            .to_owned();
        Problem(Box::new(ProblemBody { www_authenticate: true, ..ProblemBody::new(StatusCode::UNAUTHORIZED, detail) }))
    }

    /// A 503 for work the service has no room for now, with `Retry-After`.
    pub fn busy(detail: &str) -> Self {
        Problem(Box::new(ProblemBody {
            kind: "urn:wartezeit:problem:busy".into(),
            retry_after: Some(2),
            ..ProblemBody::new(StatusCode::SERVICE_UNAVAILABLE, detail.into())
        }))
    }

    /// A batch the store could not write: 507 on a full disk, 503 otherwise, both with `Retry-After`. Nothing
    /// was acknowledged; sending the same batch again appends it once.
    pub fn unstored(fault: &Fault) -> Self {
        let (status, kind) = match fault.kind {
            FaultKind::Full => (StatusCode::INSUFFICIENT_STORAGE, "urn:wartezeit:problem:storage-full"),
            FaultKind::ReadOnly => (StatusCode::SERVICE_UNAVAILABLE, "urn:wartezeit:problem:storage-read-only"),
            FaultKind::Io => (StatusCode::SERVICE_UNAVAILABLE, "urn:wartezeit:problem:storage-error"),
        };
        let detail = format!(
            "the batch was not stored: {fault}; reads go on, appends resume by themselves once the store can be \
             written; send the same batch again then (it is appended once)"
        );
        Problem(Box::new(ProblemBody { kind: kind.into(), retry_after: Some(5), ..ProblemBody::new(status, detail) }))
    }

    /// A rejected batch: the status is the most severe class listed, by precedence 400 > 409 > 422; `line` gives
    /// an event's NDJSON line.
    pub fn rejected(rejection: Rejection, line: impl Fn(usize) -> Option<usize>) -> Self {
        let total = rejection.total;
        let violations: Vec<(Violation, Option<usize>)> =
            rejection.listed.into_iter().map(|v| (line(v.index), v)).map(|(l, v)| (v, l)).collect();
        let worst = violations.iter().map(|(v, _)| v.status).min().unwrap_or(Status::BadRequest);
        let status = StatusCode::from_u16(worst.code()).unwrap_or(StatusCode::BAD_REQUEST);
        let kind = match worst {
            Status::BadRequest => "urn:wartezeit:problem:malformed-event",
            Status::Conflict => "urn:wartezeit:problem:conflict",
            Status::Unprocessable => "urn:wartezeit:problem:rule-violation",
        };
        let listed = violations.len();
        let violations: Vec<ViolationBody> = violations
            .into_iter()
            .map(|(v, line)| ViolationBody {
                index: v.index,
                line,
                field: v.field,
                reason: v.reason,
                status: v.status.code(),
            })
            .collect();
        let detail = if listed < total {
            format!("batch rejected, nothing appended: {total} violations, the first {listed} in batch order listed")
        } else {
            format!("batch rejected, nothing appended: {total} violation(s)")
        };
        Problem(Box::new(ProblemBody {
            kind: kind.into(),
            violations,
            violations_total: Some(total),
            ..ProblemBody::new(status, detail)
        }))
    }
}

/// A question the read side refused: 400 naming the parameter, 404 or 422.
impl From<crate::read::ReadError> for Problem {
    fn from(e: crate::read::ReadError) -> Self {
        use crate::read::ErrorKind;
        let detail = match &e {
            crate::read::ReadError::OfficeNeeded { .. } => format!("{e} with office="),
            _ => e.to_string(),
        };
        match e.kind() {
            ErrorKind::BadParameter(name) => Problem::bad_parameter(name, detail),
            ErrorKind::NotFound => Problem::new(StatusCode::NOT_FOUND, detail),
            ErrorKind::Unprocessable => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail),
        }
    }
}

impl ProblemBody {
    fn new(status: StatusCode, detail: String) -> Self {
        ProblemBody {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("error").into(),
            status: status.as_u16(),
            detail,
            parameter: None,
            violations: Vec::new(),
            violations_total: None,
            www_authenticate: false,
            retry_after: None,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = *self.0;
        let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if body.www_authenticate {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"wartezeit\""));
            headers.append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"wartezeit\", charset=\"UTF-8\""),
            );
        }
        if let Some(seconds) = body.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
