//! A job's records: read by the `matchkraft-input` library (arguments, CSV
//! and JSON files, with where each record came from), then handed over as
//! the component's own types.
//!
//! The library has record types of its own so that it builds and fuzzes
//! without wasmtime; this is the one place the two meet.

use matchkraft_host::{Contact, JobType, Records};
use matchkraft_input as read;

use crate::args::RecordArgs;

/// A job's records as the component takes them, and where each came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Input {
    pub(crate) records: Records,
    /// One per record: `argument 2`, `leads.csv line 7`, `stdin item [3]`.
    pub(crate) origins: Vec<String>,
}

/// How `--input` is read, from the flags.
pub(crate) fn options(args: &RecordArgs) -> read::Options {
    read::Options {
        limits: read::Limits {
            max_input_bytes: args.max_input_bytes,
            max_line_bytes: args.max_line_bytes,
        },
        delimiter: args.delimiter,
    }
}

/// The library's name for a job type.
pub(crate) fn job_type(job_type: JobType) -> read::JobType {
    match job_type {
        JobType::DomainScan => read::JobType::DomainScan,
        JobType::EmailValidation => read::JobType::EmailValidation,
        JobType::EmailFinder => read::JobType::EmailFinder,
    }
}

/// The records read, as the component's records (moved, not copied).
pub(crate) fn for_host(input: read::Input) -> Input {
    let records = match input.records {
        read::Records::DomainScan(sites) => Records::DomainScan(sites),
        read::Records::EmailValidation(emails) => Records::EmailValidation(emails),
        read::Records::EmailFinder(people) => Records::EmailFinder(
            people
                .into_iter()
                .map(|c| Contact {
                    first_name: c.first_name,
                    last_name: c.last_name,
                    website: c.website,
                })
                .collect(),
        ),
    };
    Input {
        records,
        origins: input.origins,
    }
}
