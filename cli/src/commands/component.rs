//! `matchkraft component`: the component this command runs, written to a
//! file, so that Node.js, Python, Obelisk or Temporal users get the `.wasm`
//! (or the webhook relay, or the WIT package) without building this
//! workspace; its SHA-256 says which build they have.
//!
//! The bytes are the ones embedded in the command (`matchkraft-artifacts`),
//! so the file is exactly what `matchkraft run` runs. The WIT package is
//! `wit/`, the source the component is built from, encoded at build time as
//! `wasm-tools component wit --wasm` encodes it (see `artifacts/build.rs`).

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};

use crate::args::ComponentArgs;
use crate::console::Console;
use crate::failure::Failure;
use crate::output::print;

/// Writes the chosen artifact to `args.output` and prints its SHA-256 (as
/// `sha256sum` does, so that `sha256sum -c` can check the file later).
pub(crate) fn execute(args: &ComponentArgs, console: &Console) -> Result<(), Failure> {
    let (what, bytes) = if args.wit {
        (
            "the WIT package matchkraft:client",
            matchkraft_artifacts::WIT_PACKAGE.to_vec(),
        )
    } else if args.relay {
        (
            "the MatchKraft webhook relay component",
            matchkraft_artifacts::RELAY_COMPONENT.to_vec(),
        )
    } else {
        (
            "the MatchKraft component",
            matchkraft_artifacts::COMPONENT.to_vec(),
        )
    };
    let digest = sha256_hex(&bytes);
    let size = bytes.len();
    if args.output == Path::new("-") {
        let mut stdout = std::io::stdout().lock();
        if stdout.is_terminal() {
            return Err(Failure::Usage(
                "-o -: stdout is a terminal, and this is a binary file; redirect it, or give a file name"
                    .into(),
            ));
        }
        stdout.write_all(&bytes)?;
        stdout.flush()?;
        console.info(&format!("wrote {what} ({size} bytes) to stdout; sha256 {digest}"));
        return Ok(());
    }
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    console.info(&format!(
        "wrote {what} ({size} bytes) to {}",
        args.output.display()
    ));
    print(&format!("{digest}  {}\n", args.output.display()))
}

/// The SHA-256 of `bytes`, in lower-case hex.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
