//! What the component asks of its host. A client of one HTTP API needs
//! `wasi:http` and a little of WASI's environment, clocks, random and streams;
//! it must never import the filesystem or sockets, so that embedding it grants
//! nothing else. (The same list `wasm-tools component wit` prints.) Both
//! components are checked: the client and the webhook relay.

use wasmparser::{Parser, Payload};

/// The component's own imports and exports (not those of its inner modules).
fn interface(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("the component parses") {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    imports.push(import.unwrap().name.name.to_string());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    exports.push(export.unwrap().name.name.to_string());
                }
            }
            _ => {}
        }
    }
    (imports, exports)
}

/// Every import is `wasi:http` or one of the basic WASI interfaces, and none
/// is the filesystem or sockets.
fn assert_only_http_and_basic_wasi(imports: &[String]) {
    let allowed = [
        "wasi:http/",
        "wasi:io/",
        "wasi:clocks/",
        "wasi:cli/",
        "wasi:random/",
    ];
    for name in imports {
        assert!(
            allowed.iter().any(|prefix| name.starts_with(prefix)),
            "unexpected import {name}"
        );
        assert!(
            !name.contains("filesystem") && !name.contains("sockets"),
            "{name}"
        );
    }
}

#[test]
fn imports_only_http_and_basic_wasi() {
    let (imports, _) = interface(matchkraft_artifacts::COMPONENT);
    assert!(
        imports
            .iter()
            .any(|name| name.starts_with("wasi:http/outgoing-handler@")),
        "{imports:#?}"
    );
    assert_only_http_and_basic_wasi(&imports);
}

#[test]
fn exports_the_three_matchkraft_interfaces() {
    let (_, exports) = interface(matchkraft_artifacts::COMPONENT);
    assert_eq!(
        exports,
        [
            "matchkraft:client/types@0.1.0",
            "matchkraft:client/api@0.1.0",
            "matchkraft:client/webhooks@0.1.0"
        ]
    );
}

#[test]
fn the_relay_imports_no_filesystem_or_sockets_and_exports_the_incoming_handler() {
    let (imports, exports) = interface(matchkraft_artifacts::RELAY_COMPONENT);
    assert_only_http_and_basic_wasi(&imports);
    let mut exports: Vec<&str> = exports
        .iter()
        .map(|name| name.split('@').next().unwrap())
        .collect();
    exports.sort_unstable();
    assert_eq!(
        exports,
        [
            "matchkraft:client/api",
            "matchkraft:client/types",
            "matchkraft:client/webhooks",
            "wasi:http/incoming-handler",
        ]
    );
    eprintln!(
        "relay component: {} bytes (client: {} bytes)",
        matchkraft_artifacts::RELAY_COMPONENT.len(),
        matchkraft_artifacts::COMPONENT.len()
    );
}
