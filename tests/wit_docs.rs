//! The WIT doc comments are the component's manual: users read them with
//! `wasm-tools component wit` and on the registry page of the published WIT
//! package, not in this repository. So every item the component exports must
//! be documented.
//!
//! Where the docs travel: the built `.wasm` carries none. wit-bindgen's
//! component-type section and `wit-component` drop them (checked with
//! wit-component 0.247 and 0.254 and wasm-tools 1.262), and the `package-docs`
//! custom section can only document a component's own `root:component`
//! package, never a named one like `matchkraft:client` (appending the WIT
//! package's section makes `wasm-tools component wit` fail with `missing world
//! "client"`). The docs reach users through the WIT package itself
//! (`wasm-tools component wit wit/ --wasm` keeps them). So this test takes the
//! list of exported items from the built component and their docs from `wit/`:
//! an exported item missing from `wit/`, or undocumented there, fails it.

use std::collections::HashMap;

use wit_parser::decoding::{DecodedWasm, decode};
use wit_parser::{Docs, PackageId, Resolve, Type, TypeDefKind};

/// Every documentable item of `package` (`interface api`, `api.submit`,
/// `types.job`, `types.job.id`, …) and whether it has docs.
fn items(resolve: &Resolve, package: PackageId) -> Vec<(String, bool)> {
    let documented = |docs: &Docs| docs.contents.as_deref().is_some_and(|d| !d.trim().is_empty());
    let package = &resolve.packages[package];
    let mut items = vec![(format!("package {}", package.name), documented(&package.docs))];
    for (name, &id) in &package.interfaces {
        let interface = &resolve.interfaces[id];
        items.push((format!("interface {name}"), documented(&interface.docs)));
        for (function, f) in &interface.functions {
            items.push((format!("{name}.{function}"), documented(&f.docs)));
        }
        for (type_name, &id) in &interface.types {
            let ty = &resolve.types[id];
            // `use types.{job}` makes an alias, documented where it is defined.
            if let TypeDefKind::Type(Type::Id(target)) = ty.kind
                && resolve.types[target].owner != ty.owner
            {
                continue;
            }
            let path = format!("{name}.{type_name}");
            let members: Vec<(&str, &Docs)> = match &ty.kind {
                TypeDefKind::Record(r) => r.fields.iter().map(|f| (&*f.name, &f.docs)).collect(),
                TypeDefKind::Variant(v) => v.cases.iter().map(|c| (&*c.name, &c.docs)).collect(),
                TypeDefKind::Enum(e) => e.cases.iter().map(|c| (&*c.name, &c.docs)).collect(),
                TypeDefKind::Flags(f) => f.flags.iter().map(|f| (&*f.name, &f.docs)).collect(),
                _ => Vec::new(),
            };
            for (member, docs) in members {
                items.push((format!("{path}.{member}"), documented(docs)));
            }
            items.push((path, documented(&ty.docs)));
        }
    }
    items
}

#[test]
fn every_exported_item_is_documented_in_the_wit_package() {
    let DecodedWasm::Component(built, _) = decode(matchkraft_artifacts::COMPONENT).unwrap() else {
        panic!("the built .wasm is not a component");
    };
    let (exported_package, _) = built
        .packages
        .iter()
        .find(|(_, p)| p.name.namespace == "matchkraft" && p.name.name == "client")
        .expect("the component exports the matchkraft:client package");
    let exported = items(&built, exported_package);
    let interfaces = exported.iter().filter(|(item, _)| item.starts_with("interface "));
    assert_eq!(interfaces.count(), 3, "types, api, webhooks: {exported:#?}");

    let mut source = Resolve::default();
    let (package, _) = source
        .push_path(concat!(env!("CARGO_MANIFEST_DIR"), "/wit"))
        .unwrap();
    let documented: HashMap<String, bool> = items(&source, package).into_iter().collect();

    let problems: Vec<String> = exported
        .iter()
        .filter_map(|(item, _)| match documented.get(item) {
            Some(true) => None,
            Some(false) => Some(format!("{item}: no `///` doc comment")),
            None => Some(format!("{item}: exported but not in wit/")),
        })
        .collect();
    assert!(
        problems.is_empty(),
        "items of the exported matchkraft:client package need docs in wit/matchkraft.wit:\n{}",
        problems.join("\n")
    );
}
