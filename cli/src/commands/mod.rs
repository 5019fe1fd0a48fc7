//! One module per subcommand, each with an `execute` that `main` calls. They
//! share the pieces in the crate root's modules: the session (host, simulator,
//! ledger), the console, the output formats.

pub(crate) mod completions;
pub(crate) mod component;
pub(crate) mod jobs;
pub(crate) mod listen;
pub(crate) mod man;
pub(crate) mod results;
pub(crate) mod resume;
pub(crate) mod run;
pub(crate) mod simulator;
pub(crate) mod status;
pub(crate) mod submit;
