//! The Rust types and call stubs `bindgen!` generates from the WIT contract
//! (`wit/matchkraft.wit`, world `client`).
//!
//! Kept in a module of its own that rarely changes: expanding the macro is the
//! slowest part of building this crate.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "client",
    exports: { default: async },
    // Lets callers and tests compare records, results and errors with `==`.
    additional_derives: [PartialEq],
});
