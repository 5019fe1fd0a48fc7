//! Job records for MatchKraft, read from command-line arguments and from
//! CSV or JSON files (or stdin).
//!
//! Only the shape of the input is checked here (columns, quoting, JSON types,
//! control characters). Whether an email or a URL is valid is the
//! component's judgement: it names the offending record in a typed error.
//!
//! The reading rules, one module each:
//! - [`limits`]: a file is read as a stream, within a total size and a line
//!   length, and must be UTF-8;
//! - [`format`]: JSON or CSV, by the file's extension, else by its content;
//! - [`args`]: one record per argument;
//! - [`csv`](mod@csv): CSV with its delimiter detected (or given), a header
//!   naming the columns or none;
//! - [`json`]: an array of strings or objects, or a document the command
//!   wrote (its `results`);
//! - [`collect`](mod@collect): all of it together, with where each record came
//!   from (`argument 2`, `leads.csv line 7`), repeats, bare domains.
//!
//! This crate has its own record types rather than the component's (which
//! come from wasmtime's bindings), so that it builds, tests and fuzzes without
//! wasmtime; the command converts them.

pub mod args;
pub mod collect;
pub mod csv;
pub mod error;
pub mod format;
pub mod json;
pub mod limits;
mod names;
pub mod records;

pub use collect::{Duplicate, Input, Options, collect, duplicates, list_some, without};
pub use error::InputError;
pub use format::{Delimiter, Format};
pub use limits::Limits;
pub use records::{Contact, JobType, Records};
