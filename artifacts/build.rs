//! Builds the MatchKraft component for `wasm32-wasip2` so that the host and the
//! tests always run the component made from the sources beside them.
//!
//! This is the pattern of wasmtime's `crates/test-programs/artifacts`: a nested
//! `cargo build` with its own target directory (a build script must not wait on
//! the lock of the build that runs it). The `wasm32-wasip2` target is installed
//! with rustup when it is missing, so `cargo test` works on a fresh clone.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "component";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());

    for watched in ["src", "wit", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }

    // The client component, and the webhook relay: the same crate with the
    // `relay` feature. Each gets its own target directory, because both
    // builds write `matchkraft_component.wasm`.
    let client = component(
        &workspace,
        &out_dir.join("target"),
        &[],
        "MATCHKRAFT_PREBUILT_COMPONENT",
    );
    println!("cargo:rustc-env=MATCHKRAFT_COMPONENT_PATH={}", client.display());
    let relay = component(
        &workspace,
        &out_dir.join("target-relay"),
        &["relay"],
        "MATCHKRAFT_PREBUILT_RELAY_COMPONENT",
    );
    println!(
        "cargo:rustc-env=MATCHKRAFT_RELAY_COMPONENT_PATH={}",
        relay.display()
    );
    let wit = wit_package(&workspace.join("wit"), &out_dir);
    println!("cargo:rustc-env=MATCHKRAFT_WIT_PACKAGE_PATH={}", wit.display());
}

/// Encodes `wit/` as a binary WIT package, as `wasm-tools component wit --wasm
/// wit/` does (the same `wit-component` code), checks that it decodes back to
/// `matchkraft:client`, and returns the path of the file.
fn wit_package(wit: &Path, out_dir: &Path) -> PathBuf {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir(wit).expect("parsing wit/");
    let bytes = wit_component::encode(&resolve, package).expect("encoding the WIT package");
    let decoded = wit_component::decode(&bytes).expect("decoding the WIT package back");
    let name = decoded.resolve().packages[decoded.package()].name.to_string();
    assert_eq!(
        name, "matchkraft:client@0.1.0",
        "the WIT package decodes to another name"
    );
    let path = out_dir.join("matchkraft_client_wit.wasm");
    std::fs::write(&path, bytes).expect("writing the WIT package");
    path
}

/// Builds the component with `features` into `target_dir` and returns the
/// path of the `.wasm`, or returns the file named by the environment variable
/// `prebuilt` when it is set: packagers (and anyone iterating on the host
/// alone) may hand in a component built elsewhere.
fn component(workspace: &Path, target_dir: &Path, features: &[&str], prebuilt: &str) -> PathBuf {
    println!("cargo:rerun-if-env-changed={prebuilt}");
    if let Some(path) = env::var_os(prebuilt) {
        let path = PathBuf::from(path);
        assert!(path.exists(), "{prebuilt}: {} does not exist", path.display());
        return path;
    }

    ensure_target_installed();

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(workspace)
        .args([
            "build",
            "--package",
            "matchkraft-component",
            "--target",
            TARGET,
            "--profile",
            PROFILE,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        // Flags meant for the host build (coverage, sanitizers, a linker) must not
        // leak into the wasm build.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    if !features.is_empty() {
        build.arg("--features").arg(features.join(","));
    }
    let status = build.status().expect("failed to run cargo for the component");
    assert!(
        status.success(),
        "building the component for {TARGET} (features: {features:?}) failed"
    );

    let wasm = target_dir
        .join(TARGET)
        .join(PROFILE)
        .join("matchkraft_component.wasm");
    assert!(wasm.exists(), "cargo did not produce {}", wasm.display());
    wasm
}

/// Installs the wasm target through rustup when the toolchain lacks it.
fn ensure_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if sysroot.is_some_and(|sysroot| has_target(&sysroot)) {
        return;
    }
    println!("cargo:warning=installing the {TARGET} target with rustup");
    let status = Command::new("rustup").args(["target", "add", TARGET]).status();
    match status {
        Ok(s) if s.success() => {}
        _ => panic!("the {TARGET} target is missing and `rustup target add {TARGET}` failed"),
    }
}

fn has_target(sysroot: &Path) -> bool {
    sysroot.join("lib/rustlib").join(TARGET).join("lib").is_dir()
}
