//! A job's records: read by the `matchkraft-input` library (arguments, CSV
//! and JSON files, with where each record came from), then handed over as
//! the component's own records (the library converts them).

use matchkraft_host::Records;
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

/// The records read, as the component's records (moved, not copied).
pub(crate) fn for_host(input: read::Input) -> Input {
    Input {
        records: input.records.into(),
        origins: input.origins,
    }
}
