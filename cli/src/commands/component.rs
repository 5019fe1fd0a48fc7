//! `matchkraft component`: the component this command runs, written to a
//! file, so that Node.js, Python, Obelisk or Temporal users get the `.wasm`
//! (or the webhook relay, or the WIT package) without building this
//! workspace; its SHA-256 says which build they have.
//!
//! The bytes are the ones embedded in the command (`matchkraft-artifacts`),
//! so the file is exactly what `matchkraft run` runs. The WIT package is
//! `wit/matchkraft.wit`, the source the component is built from, encoded as
//! `wasm-tools component wit --wasm` encodes it (by the same `wit-component`
//! code, in the version wasmtime already builds).

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};

use crate::args::ComponentArgs;
use crate::console::Console;
use crate::failure::Failure;
use crate::output::print;

/// The WIT source of the component's interface.
const WIT: &str = include_str!("../../../wit/matchkraft.wit");

/// Writes the chosen artifact to `args.output` and prints its SHA-256 (as
/// `sha256sum` does, so that `sha256sum -c` can check the file later).
pub(crate) fn execute(args: &ComponentArgs, console: &Console) -> Result<(), Failure> {
    let (what, bytes) = if args.wit {
        ("the WIT package matchkraft:client", wit_package()?)
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

/// `wit/matchkraft.wit` as a binary WIT package.
fn wit_package() -> Result<Vec<u8>, Failure> {
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve
        .push_str("matchkraft.wit", WIT)
        .context("parsing the built-in WIT")?;
    Ok(wit_component::encode(&resolve, package).context("encoding the WIT package")?)
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
    fn the_wit_package_decodes_to_the_interfaces_of_the_source() {
        let bytes = wit_package().ok().unwrap();
        let decoded = wit_component::decode(&bytes).unwrap();
        let resolve = decoded.resolve();
        let package = &resolve.packages[decoded.package()];
        assert_eq!(package.name.to_string(), "matchkraft:client@0.1.0");
        let mut interfaces: Vec<&str> = package.interfaces.keys().map(String::as_str).collect();
        interfaces.sort_unstable();
        assert_eq!(interfaces, ["api", "types", "webhooks"]);
        assert!(package.worlds.contains_key("client"));
    }

    #[test]
    fn sha256_is_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
