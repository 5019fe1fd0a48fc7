//! Names and one-line messages for the generated types.
//!
//! `bindgen!` gives the WIT `error` variant a `Display` that prints its
//! `Debug` form; [`Error::message`] gives the readable one-line message a
//! person should see instead.

use std::fmt;
use std::str::FromStr;

use crate::types::{EmailStatus, Error, HttpError, JobStatus, JobType, Records, ResultRecords};

impl JobType {
    /// Every job type, in the order the WIT contract lists them.
    pub const ALL: [JobType; 3] = [
        JobType::DomainScan,
        JobType::EmailValidation,
        JobType::EmailFinder,
    ];

    /// The WIT name, which is also the API's path segment: `domain-scan`,
    /// `email-validation` or `email-finder`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::DomainScan => "domain-scan",
            JobType::EmailValidation => "email-validation",
            JobType::EmailFinder => "email-finder",
        }
    }
}

impl fmt::Display for JobType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no job type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownJobType(pub String);

impl fmt::Display for UnknownJobType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown job type {:?} (expected domain-scan, email-validation or email-finder)",
            self.0
        )
    }
}

impl std::error::Error for UnknownJobType {}

impl FromStr for JobType {
    type Err = UnknownJobType;

    /// Parses the WIT name, ignoring case and treating `_` like `-`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        JobType::ALL
            .into_iter()
            .find(|t| t.as_str() == wanted)
            .ok_or_else(|| UnknownJobType(s.to_string()))
    }
}

impl JobStatus {
    /// The status as a word: `pending`, `processing`, `completed`, `failed`,
    /// or the API's own word for a status this client does not know.
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Other(other) => other,
        }
    }

    /// Whether the job has finished (`completed` or `failed`), so that
    /// polling it again would not change anything.
    pub fn is_terminal(&self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EmailStatus {
    /// The verdict as a word (`valid`, `catch-all`, …), or the API's own word
    /// for a verdict this client does not know.
    pub fn as_str(&self) -> &str {
        match self {
            EmailStatus::Valid => "valid",
            EmailStatus::Invalid => "invalid",
            EmailStatus::CatchAll => "catch-all",
            EmailStatus::Unknown => "unknown",
            EmailStatus::Disposable => "disposable",
            EmailStatus::SpamTrap => "spam-trap",
            EmailStatus::Role => "role",
            EmailStatus::Other(other) => other,
        }
    }
}

impl fmt::Display for EmailStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Records {
    /// The job type these records are for.
    pub fn job_type(&self) -> JobType {
        match self {
            Records::DomainScan(_) => JobType::DomainScan,
            Records::EmailValidation(_) => JobType::EmailValidation,
            Records::EmailFinder(_) => JobType::EmailFinder,
        }
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        match self {
            Records::DomainScan(list) | Records::EmailValidation(list) => list.len(),
            Records::EmailFinder(list) => list.len(),
        }
    }

    /// Whether there are no records (the component rejects an empty job).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ResultRecords {
    /// The job type these results belong to.
    pub fn job_type(&self) -> JobType {
        match self {
            ResultRecords::DomainScan(_) => JobType::DomainScan,
            ResultRecords::EmailValidation(_) => JobType::EmailValidation,
            ResultRecords::EmailFinder(_) => JobType::EmailFinder,
        }
    }

    /// How many result records there are.
    pub fn len(&self) -> usize {
        match self {
            ResultRecords::DomainScan(list) => list.len(),
            ResultRecords::EmailValidation(list) => list.len(),
            ResultRecords::EmailFinder(list) => list.len(),
        }
    }

    /// Whether there are no result records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Error {
    /// The error as one line for a person to read, for example
    /// `invalid input: record 3, email: "x" has no '@'` (record numbers are
    /// the WIT's 0-based indexes).
    ///
    /// (`Display` on [`Error`] itself is generated by `bindgen!` and prints the
    /// `Debug` form.)
    pub fn message(&self) -> ErrorMessage<'_> {
        ErrorMessage(self)
    }

    /// Whether repeating the same call is pointless (the WIT `permanent-*`
    /// cases, and `execution-failed`).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Error::ExecutionFailed
                | Error::PermanentInvalidInput(_)
                | Error::PermanentUnauthorized(_)
                | Error::PermanentNotFound(_)
                | Error::PermanentRejected(_)
                | Error::PermanentConfig(_)
        )
    }
}

/// The one-line `Display` of an [`Error`], made by [`Error::message`].
#[derive(Clone, Copy, Debug)]
pub struct ErrorMessage<'a>(&'a Error);

impl fmt::Display for ErrorMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::ExecutionFailed => f.write_str("the component failed to run"),
            Error::PermanentInvalidInput(input) => {
                f.write_str("invalid input: ")?;
                match input.index {
                    Some(index) => write!(f, "record {index}, {}", input.field)?,
                    None => f.write_str(&input.field)?,
                }
                write!(f, ": {}", one_line(&input.message))
            }
            Error::PermanentUnauthorized(message) => {
                write!(f, "unauthorized: {}", one_line(message))
            }
            Error::PermanentNotFound(message) => write!(f, "not found: {}", one_line(message)),
            Error::PermanentRejected(http) => write!(f, "rejected by the API: {}", Http(http)),
            Error::PermanentConfig(message) => {
                write!(f, "configuration error: {}", one_line(message))
            }
            Error::RateLimited(None) => f.write_str("rate limited by the API"),
            Error::RateLimited(Some(ms)) => {
                write!(f, "rate limited by the API (retry after {ms} ms)")
            }
            Error::ServerError(http) => write!(f, "API server error: {}", Http(http)),
            Error::Transport(message) => write!(f, "connection failed: {}", one_line(message)),
            Error::Timeout(message) => write!(f, "timed out: {}", one_line(message)),
            Error::Decode(decode) => write!(
                f,
                "unexpected response (expected {}): {}",
                one_line(&decode.expected),
                one_line(&decode.message)
            ),
            Error::SubmitOutcomeUnknown(message) => write!(
                f,
                "submit outcome unknown (the job may exist): {}",
                one_line(message)
            ),
            Error::WaitTimeout(job) => write!(
                f,
                "gave up waiting for job {} (last seen {})",
                job.id,
                job.status.as_str()
            ),
        }
    }
}

/// `HTTP 429: slow down`.
struct Http<'a>(&'a HttpError);

impl fmt::Display for Http<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.message.trim().is_empty() {
            write!(f, "HTTP {}", self.0.status)
        } else {
            write!(f, "HTTP {}: {}", self.0.status, one_line(&self.0.message))
        }
    }
}

/// The text with line breaks folded into spaces, so a message stays on one
/// line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{DecodeError, InvalidInput};

    #[test]
    fn job_types_round_trip() {
        for job_type in JobType::ALL {
            assert_eq!(job_type.as_str().parse::<JobType>(), Ok(job_type));
        }
        assert_eq!(
            "Email_Validation".parse::<JobType>(),
            Ok(JobType::EmailValidation)
        );
        assert!("email".parse::<JobType>().is_err());
    }

    #[test]
    fn error_messages_are_one_line() {
        let cases = [
            (
                Error::PermanentInvalidInput(InvalidInput {
                    index: Some(3),
                    field: "email".into(),
                    message: "\"x\" has no '@'".into(),
                }),
                "invalid input: record 3, email: \"x\" has no '@'",
            ),
            (
                Error::PermanentInvalidInput(InvalidInput {
                    index: None,
                    field: "job-name".into(),
                    message: "must not be\nblank".into(),
                }),
                "invalid input: job-name: must not be blank",
            ),
            (
                Error::PermanentUnauthorized("invalid API key".into()),
                "unauthorized: invalid API key",
            ),
            (
                Error::ServerError(HttpError {
                    status: 503,
                    message: String::new(),
                }),
                "API server error: HTTP 503",
            ),
            (
                Error::PermanentRejected(HttpError {
                    status: 409,
                    message: "duplicate".into(),
                }),
                "rejected by the API: HTTP 409: duplicate",
            ),
            (
                Error::RateLimited(Some(1500)),
                "rate limited by the API (retry after 1500 ms)",
            ),
            (
                Error::Decode(DecodeError {
                    expected: "a JSON object with a jobId".into(),
                    message: "missing field `jobId` at $".into(),
                }),
                "unexpected response (expected a JSON object with a jobId): missing field `jobId` at $",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.message().to_string(), expected);
        }
    }

    #[test]
    fn permanence_follows_the_wit_prefix() {
        assert!(Error::PermanentNotFound("x".into()).is_permanent());
        assert!(!Error::Timeout("x".into()).is_permanent());
        assert!(!Error::SubmitOutcomeUnknown("x".into()).is_permanent());
    }
}
