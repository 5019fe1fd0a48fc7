//! HTTP through `wasi:http/outgoing-handler`: the only module that touches it.
//!
//! Why by hand rather than through a wrapper crate: the component needs every
//! knob `wasi:http` offers, and wrappers tend to hide them. In particular:
//! - connect, first-byte and between-bytes timeouts on every request, plus an
//!   overall deadline that this module enforces itself by polling against a
//!   monotonic-clock timer, so a stalled server cannot hang a workflow step;
//! - a `Content-Length` on every body (chunked bodies cost a delayed-ACK
//!   stall per call against some servers);
//! - the body is written *after* the request is handed to the host, so it
//!   streams out as it is written; writing it first would fill the host's
//!   buffer and block forever on large uploads;
//! - a cap on the response size, checked before and while reading;
//! - every failure says whether the request may have reached the server, which
//!   decides whether a `submit` can be safely repeated.

use crate::Error;
use crate::config::Config;
use crate::error::decode;
use crate::retry::Verb;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingResponse, Method, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use wasi::io::poll;
use wasi::io::streams::{InputStream, OutputStream, StreamError};

/// How many bytes to ask for per read of the response body.
const READ_CHUNK: u64 = 64 * 1024;

/// A complete response.
#[derive(Debug)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The `Retry-After` header in milliseconds (from seconds or an HTTP-date),
    /// when present and readable.
    pub retry_after_ms: Option<u64>,
    /// The whole body.
    pub body: Vec<u8>,
}

/// A request that failed before a complete response arrived.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, as the caller should see it.
    pub error: Error,
    /// `false` only when the request provably never reached the server (the
    /// connection was never made, or the host refused to send it). A POST that
    /// failed with `may_have_been_sent` may have created a job.
    pub may_have_been_sent: bool,
}

impl Failure {
    fn before_sending(error: Error) -> Failure {
        Failure {
            error,
            may_have_been_sent: false,
        }
    }

    fn after_sending(error: Error) -> Failure {
        Failure {
            error,
            may_have_been_sent: true,
        }
    }
}

/// Sends one request to `path` (relative to the base URL) and reads the whole
/// response, giving up when `deadline` (a monotonic-clock instant in
/// nanoseconds) passes. `headers` are sent besides the usual ones (the API's
/// requests need none; the relay's delivery sends an `Idempotency-Key`).
pub fn send(
    config: &Config,
    verb: Verb,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&[u8]>,
    deadline: u64,
) -> Result<Response, Failure> {
    let request = build_request(config, verb, path, headers, body).map_err(Failure::before_sending)?;
    let outgoing_body = request
        .body()
        .map_err(|()| Failure::before_sending(internal("the request body was already taken")))?;
    let future = outgoing_handler::handle(request, Some(options(config)))
        .map_err(|code| Failure::before_sending(from_code(&code, config)))?;

    if let Err(write_error) = write_body(outgoing_body, body.unwrap_or_default()) {
        // The host stops taking the body once the server has answered (a 401
        // can come before the body is read) or the connection has failed. The
        // response future knows which; the write error alone does not.
        let response =
            wait_for_response(&future, config, deadline).map_err(|failure| match failure.error {
                Error::Transport(_) if failure.may_have_been_sent => Failure::after_sending(write_error),
                _ => failure,
            })?;
        return read_response(response, config, deadline);
    }

    let response = wait_for_response(&future, config, deadline)?;
    read_response(response, config, deadline)
}

fn build_request(
    config: &Config,
    verb: Verb,
    path: &str,
    extra_headers: &[(&str, String)],
    body: Option<&[u8]>,
) -> Result<OutgoingRequest, Error> {
    let mut headers: Vec<(String, Vec<u8>)> = vec![
        ("accept".into(), b"application/json".to_vec()),
        (
            "user-agent".into(),
            concat!("matchkraft-component/", env!("CARGO_PKG_VERSION")).into(),
        ),
    ];
    headers.extend(
        extra_headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec())),
    );
    if let Some(key) = &config.api_key {
        headers.push(("apikey".into(), key.as_bytes().to_vec()));
    }
    if let Some(body) = body {
        headers.push(("content-type".into(), b"application/json".to_vec()));
        headers.push(("content-length".into(), body.len().to_string().into_bytes()));
    }
    // The key is a header value: say which header was refused, never its value.
    let fields = Fields::from_list(&headers).map_err(|e| {
        Error::PermanentConfig(format!(
            "a request header was refused ({e:?}); is MATCHKRAFT_API_KEY a single line?"
        ))
    })?;

    let request = OutgoingRequest::new(fields);
    let method = match verb {
        Verb::Get => Method::Get,
        Verb::Post => Method::Post,
    };
    let scheme = if config.base.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let path_with_query = format!("{}{}", config.base.path, path);
    let refused = |what: &str| Error::PermanentConfig(format!("the host refused the request's {what}"));
    request.set_method(&method).map_err(|()| refused("method"))?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| refused("scheme"))?;
    request
        .set_authority(Some(&config.base.authority))
        .map_err(|()| refused("authority"))?;
    request
        .set_path_with_query(Some(&path_with_query))
        .map_err(|()| refused("path"))?;
    Ok(request)
}

fn options(config: &Config) -> RequestOptions {
    let options = RequestOptions::new();
    let ns = |ms: u64| ms.saturating_mul(1_000_000);
    // A host that does not support a timeout says so with an error; the overall
    // deadline below still bounds the call, so that is not fatal.
    let _ = options.set_connect_timeout(Some(ns(config.limits.connect_timeout_ms)));
    let _ = options.set_first_byte_timeout(Some(ns(config.limits.first_byte_timeout_ms)));
    let _ = options.set_between_bytes_timeout(Some(ns(config.limits.between_bytes_timeout_ms)));
    options
}

/// Streams the body out, then finishes it (which checks it against the
/// `Content-Length`). An empty body is finished without opening its stream.
fn write_body(outgoing: OutgoingBody, bytes: &[u8]) -> Result<(), Error> {
    if !bytes.is_empty() {
        let stream = outgoing
            .write()
            .map_err(|()| internal("the request body stream was already taken"))?;
        write_all(&stream, bytes)?;
        // The stream must be dropped before the body is finished.
        drop(stream);
    }
    OutgoingBody::finish(outgoing, None).map_err(|code| transport_code(&code))
}

/// Writes all of `bytes`, as fast as the host takes them, then flushes.
pub(crate) fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), Error> {
    while !bytes.is_empty() {
        let permitted = loop {
            match stream.check_write().map_err(stream_error)? {
                0 => stream.subscribe().block(),
                n => break n,
            }
        };
        let len = bytes.len().min(usize::try_from(permitted).unwrap_or(usize::MAX));
        stream.write(&bytes[..len]).map_err(stream_error)?;
        bytes = &bytes[len..];
    }
    stream.blocking_flush().map_err(stream_error)
}

fn wait_for_response(
    future: &FutureIncomingResponse,
    config: &Config,
    deadline: u64,
) -> Result<IncomingResponse, Failure> {
    wait_until_ready(&future.subscribe(), deadline).map_err(Failure::after_sending)?;
    match future.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(Failure {
            error: from_code(&code, config),
            may_have_been_sent: may_have_been_sent(&code),
        }),
        Some(Err(())) => Err(Failure::after_sending(internal("the response was already taken"))),
        None => Err(Failure::after_sending(internal(
            "the response future was not ready",
        ))),
    }
}

fn read_response(response: IncomingResponse, config: &Config, deadline: u64) -> Result<Response, Failure> {
    let status = response.status();
    let headers = response.headers();
    let retry_after_ms = header(&headers, "retry-after")
        .and_then(|v| retry_after_ms(&v).or_else(|| retry_after_date_ms(&v, unix_now_ms())));
    let declared_length = header(&headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    drop(headers);

    let max = config.limits.max_response_bytes;
    if declared_length.is_some_and(|len| len > max) {
        return Err(Failure::after_sending(too_large(max)));
    }
    let body = response
        .consume()
        .map_err(|()| Failure::after_sending(internal("the response body was already taken")))?;
    let bytes = {
        let stream = body
            .stream()
            .map_err(|()| Failure::after_sending(internal("the response stream was already taken")))?;
        read_all(&stream, declared_length, max, deadline).map_err(Failure::after_sending)?
        // The stream must be dropped before its body.
    };
    drop(body);
    Ok(Response {
        status,
        retry_after_ms,
        body: bytes,
    })
}

fn read_all(
    stream: &InputStream,
    declared_length: Option<u64>,
    max: u64,
    deadline: u64,
) -> Result<Vec<u8>, Error> {
    let capacity = declared_length.unwrap_or(0).min(max);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    loop {
        match stream.read(READ_CHUNK) {
            Ok(chunk) if chunk.is_empty() => wait_until_ready(&stream.subscribe(), deadline)?,
            Ok(chunk) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 > max {
                    return Err(too_large(max));
                }
            }
            Err(StreamError::Closed) => return Ok(bytes),
            Err(e) => return Err(stream_error(e)),
        }
    }
}

/// Blocks until `pollable` is ready or the deadline passes.
fn wait_until_ready(pollable: &poll::Pollable, deadline: u64) -> Result<(), Error> {
    if pollable.ready() {
        return Ok(());
    }
    let timer = monotonic_clock::subscribe_instant(deadline);
    let ready = poll::poll(&[pollable, &timer]);
    if ready.contains(&0) {
        Ok(())
    } else {
        Err(Error::Timeout(
            "the call's overall deadline passed before the API answered".into(),
        ))
    }
}

fn header(headers: &Fields, name: &str) -> Option<String> {
    let values = headers.get(name);
    let first = values.first()?;
    Some(String::from_utf8_lossy(first).into_owned())
}

/// `Retry-After` in whole seconds (`120`).
pub fn retry_after_ms(value: &str) -> Option<u64> {
    value.trim().parse::<u64>().ok().map(|s| s.saturating_mul(1000))
}

/// `Retry-After` as an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`, the
/// IMF-fixdate form every current server sends), as milliseconds from
/// `now_unix_ms`; a date in the past means "now" (0). The obsolete RFC 850
/// and asctime forms are read as absent.
pub fn retry_after_date_ms(value: &str, now_unix_ms: u64) -> Option<u64> {
    let at_ms = imf_fixdate_unix_seconds(value.trim())?.checked_mul(1000)?;
    Some(at_ms.saturating_sub(now_unix_ms))
}

fn imf_fixdate_unix_seconds(text: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (_weekday, rest) = text.split_once(", ")?;
    let mut parts = rest.split(' ');
    let (day, month, year, time, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || zone != "GMT" || day.len() != 2 || year.len() != 4 || time.len() != 8 {
        return None;
    }
    let number = |digits: &str| -> Option<u64> {
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let day = number(day)?;
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let year = number(year)?;
    let mut clock = time.split(':');
    let (hour, minute, second) = (
        number(clock.next()?)?,
        number(clock.next()?)?,
        number(clock.next()?)?,
    );
    if !(1..=31).contains(&day) || year < 1970 || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_since_epoch(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`, for years from 1970 on).
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn unix_now_ms() -> u64 {
    let now = wasi::clocks::wall_clock::now();
    now.seconds
        .saturating_mul(1000)
        .saturating_add(u64::from(now.nanoseconds / 1_000_000))
}

fn too_large(max: u64) -> Error {
    decode(
        &format!("a response of at most {max} bytes"),
        "the response is larger than MATCHKRAFT_MAX_RESPONSE_BYTES allows",
    )
}

fn internal(what: &str) -> Error {
    Error::Transport(format!("internal: {what}"))
}

fn stream_error(e: StreamError) -> Error {
    match e {
        StreamError::Closed => Error::Transport("the connection closed early".into()),
        StreamError::LastOperationFailed(io) => match wasi::http::types::http_error_code(&io) {
            Some(code) => transport_code(&code),
            None => {
                // Some hosts report a between-bytes timeout on the body stream
                // without an HTTP error code; its text is all there is to go on.
                let detail = io.to_debug_string();
                if detail.to_ascii_lowercase().contains("timeout") {
                    Error::Timeout(format!("the connection went silent for too long ({detail})"))
                } else {
                    Error::Transport(format!("the connection failed: {detail}"))
                }
            }
        },
    }
}

/// Whether the server may have received the request, judged from why it failed.
fn may_have_been_sent(code: &ErrorCode) -> bool {
    !matches!(
        code,
        ErrorCode::DnsTimeout
            | ErrorCode::DnsError(_)
            | ErrorCode::DestinationNotFound
            | ErrorCode::DestinationUnavailable
            | ErrorCode::DestinationIpProhibited
            | ErrorCode::DestinationIpUnroutable
            | ErrorCode::ConnectionRefused
            | ErrorCode::ConnectionTimeout
            | ErrorCode::TlsProtocolError
            | ErrorCode::TlsCertificateError
            | ErrorCode::TlsAlertReceived(_)
            | ErrorCode::HttpRequestDenied
            | ErrorCode::HttpRequestUriInvalid
            | ErrorCode::ConfigurationError
    )
}

fn from_code(code: &ErrorCode, config: &Config) -> Error {
    match code {
        ErrorCode::HttpRequestDenied => Error::PermanentConfig(format!(
            "the host does not allow requests to {} (check MATCHKRAFT_BASE_URL and the host's allowed hosts)",
            config.base.authority
        )),
        ErrorCode::ConfigurationError => {
            Error::PermanentConfig("the host's HTTP configuration is invalid".into())
        }
        other => transport_code(other),
    }
}

/// The error for a `wasi:http` error code; timeouts get their own case.
fn transport_code(code: &ErrorCode) -> Error {
    match code {
        ErrorCode::ConnectionTimeout => Error::Timeout("connecting to the API timed out".into()),
        ErrorCode::HttpResponseTimeout => Error::Timeout("the API did not start answering in time".into()),
        ErrorCode::ConnectionReadTimeout | ErrorCode::ConnectionWriteTimeout => {
            Error::Timeout("the connection went silent for too long".into())
        }
        ErrorCode::DnsTimeout => Error::Timeout("looking up the API's address timed out".into()),
        ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
            Error::Transport("the API's host name could not be resolved".into())
        }
        ErrorCode::ConnectionRefused => Error::Transport("the connection was refused".into()),
        ErrorCode::ConnectionTerminated => Error::Transport("the connection was closed mid-request".into()),
        ErrorCode::HttpResponseIncomplete => Error::Transport("the response was cut off".into()),
        ErrorCode::TlsProtocolError | ErrorCode::TlsCertificateError | ErrorCode::TlsAlertReceived(_) => {
            Error::Transport(format!("TLS failed: {code:?}"))
        }
        ErrorCode::HttpRequestDenied => Error::PermanentConfig("the host refused the request".into()),
        ErrorCode::HttpProtocolError => Error::Transport(
            "the answer broke the HTTP protocol (often a connection reset mid-answer)".into(),
        ),
        ErrorCode::DestinationUnavailable | ErrorCode::DestinationIpUnroutable => {
            Error::Transport("the API's address cannot be reached".into())
        }
        other => Error::Transport(format!("the connection failed: {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(retry_after_ms("3"), Some(3000));
        assert_eq!(retry_after_ms(" 0 "), Some(0));
        assert_eq!(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after_ms("-1"), None);
    }

    #[test]
    fn retry_after_as_an_http_date() {
        // 2015-10-21T07:28:00Z is 1445412480 s after the epoch.
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(imf_fixdate_unix_seconds(date), Some(1_445_412_480));
        assert_eq!(
            retry_after_date_ms(date, 1_445_412_480_000 - 90_500),
            Some(90_500)
        );
        assert_eq!(
            retry_after_date_ms(date, 1_445_412_480_000 + 5_000),
            Some(0),
            "a past date means now"
        );
        assert_eq!(imf_fixdate_unix_seconds("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            imf_fixdate_unix_seconds("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400)
        );
        for bad in [
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2015",
            "Wed, 21 Oct 2015 07:28:00 UTC",
            "Wed, 21 Foo 2015 07:28:00 GMT",
            "Wed, 32 Oct 2015 07:28:00 GMT",
            "Wed, 21 Oct 2015 7:28:00 GMT",
            "",
        ] {
            assert_eq!(retry_after_date_ms(bad, 0), None, "{bad:?}");
        }
    }

    #[test]
    fn only_connection_setup_failures_prove_nothing_was_sent() {
        assert!(!may_have_been_sent(&ErrorCode::ConnectionRefused));
        assert!(!may_have_been_sent(&ErrorCode::HttpRequestDenied));
        assert!(!may_have_been_sent(&ErrorCode::ConnectionTimeout));
        assert!(may_have_been_sent(&ErrorCode::ConnectionTerminated));
        assert!(may_have_been_sent(&ErrorCode::HttpResponseTimeout));
        assert!(may_have_been_sent(&ErrorCode::HttpResponseIncomplete));
    }
}
