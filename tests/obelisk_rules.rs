//! Whether the Obelisk workflow engine can run the component's exports as
//! activities, checked on the built `.wasm` (not on the WIT source).
//!
//! Obelisk's rules, as its 0.38.3 sources apply them when it loads an
//! activity (`crates/utils/src/wasm_tools.rs`, `populate_ifcs_with_compatible_fns`;
//! `crates/concepts/src/lib.rs`, `ReturnType::detect` and `is_permanent_variant`):
//!
//! - Only functions inside exported interfaces become activities; functions
//!   exported directly by the world are not looked at.
//! - A function is an activity when it returns `result`, `result<T>`,
//!   `result<T, string>` or `result<T, E>` with `E` a variant that has an
//!   `execution-failed` case without a payload (`T` may be `_`). Any other
//!   function is skipped: Obelisk logs `Ignoring export ... with unsupported
//!   return type` and deploys the others. A function with no result is skipped
//!   silently.
//! - A type Obelisk cannot represent (`error-context`, `map`, fixed-length
//!   lists, `future`, `stream`) in a return type fails the whole component.
//! - An `err` whose variant case name contains `permanent` is not retried.
//!
//! Resources: Obelisk 0.38.3 does not refuse `own`/`borrow` handles when it
//! decodes the exports, but activity arguments and results are stored as
//! JSON, which a handle cannot be, and its WIT synthesis panics on them. This
//! component's own rule is therefore stricter: no resource anywhere in an
//! exported signature, and every `api` function is an activity whose error
//! variant has `execution-failed`.
//!
//! `webhooks.results-path` returns a plain `string`: Obelisk skips it (with
//! the warning above) and runs `parse-webhook` and the `api` functions.
//! [`KNOWN_SKIPPED`] records that, so the day it changes this test says so.

use wasmparser::{
    ComponentExternalKind, Parser, Payload, PrimitiveValType, Validator, WasmFeatures,
    component_types::{ComponentDefinedType, ComponentEntityType, ComponentValType},
    types::Types,
};

const API: &str = "matchkraft:client/api@0.1.0";
const WEBHOOKS: &str = "matchkraft:client/webhooks@0.1.0";

/// Exported functions Obelisk skips, and why that is accepted.
const KNOWN_SKIPPED: &[(&str, &str, &str)] = &[(
    WEBHOOKS,
    "results-path",
    "a pure string helper for hosts; workflows build the path themselves",
)];

/// One function of an exported interface.
struct Function {
    interface: String,
    name: String,
    params: Vec<(String, ComponentValType)>,
    result: Option<ComponentValType>,
}

/// What Obelisk 0.38.3 does with an exported function.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Activity,
    Skipped(String),
    /// The whole component fails to load.
    Rejected(String),
}

/// The component's type information and its top-level exports (name, kind).
fn component() -> (Types, Vec<(String, ComponentExternalKind)>) {
    let bytes = matchkraft_artifacts::COMPONENT;
    let types = Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .expect("the component validates");
    let mut exports = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("the component parses") {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    let export = export.unwrap();
                    exports.push((export.name.name.to_string(), export.kind));
                }
            }
            _ => {}
        }
    }
    (types, exports)
}

/// Every function of every exported interface.
fn exported_functions(types: &Types, exports: &[(String, ComponentExternalKind)]) -> Vec<Function> {
    let mut functions = Vec::new();
    for (name, _) in exports {
        let item = types
            .as_ref()
            .component_item_for_export(name)
            .expect("export has a type");
        if let ComponentEntityType::Instance(instance) = item.ty {
            for (function, item) in &types[instance].exports {
                if let ComponentEntityType::Func(func) = item.ty {
                    let func = &types[func];
                    functions.push(Function {
                        interface: name.clone(),
                        name: function.clone(),
                        params: func.params.iter().map(|(n, ty)| (n.to_string(), *ty)).collect(),
                        result: func.result,
                    });
                }
            }
        }
    }
    functions
}

/// Calls `visit` on `ty` and every type inside it.
fn walk(types: &Types, ty: ComponentValType, visit: &mut dyn FnMut(&ComponentDefinedType)) {
    let ComponentValType::Type(id) = ty else { return };
    let defined = &types[id];
    visit(defined);
    let mut inner = |ty: &ComponentValType| walk(types, *ty, &mut *visit);
    match defined {
        ComponentDefinedType::Record(record) => record.fields.values().for_each(&mut inner),
        ComponentDefinedType::Variant(variant) => variant
            .cases
            .values()
            .filter_map(|case| case.ty.as_ref())
            .for_each(&mut inner),
        ComponentDefinedType::Tuple(tuple) => tuple.types.iter().for_each(&mut inner),
        ComponentDefinedType::List { element, .. }
        | ComponentDefinedType::FixedLengthList { element, .. } => inner(element),
        ComponentDefinedType::Map { key, value, .. } => {
            inner(key);
            inner(value);
        }
        ComponentDefinedType::Option { ty, .. } => inner(ty),
        ComponentDefinedType::Result { ok, err, .. } => ok.iter().chain(err).for_each(&mut inner),
        ComponentDefinedType::Future { ty, .. } | ComponentDefinedType::Stream { ty, .. } => {
            ty.iter().for_each(&mut inner)
        }
        ComponentDefinedType::Primitive(_)
        | ComponentDefinedType::Flags(_)
        | ComponentDefinedType::Enum(_)
        | ComponentDefinedType::Own(_)
        | ComponentDefinedType::Borrow(_) => {}
    }
}

/// The types inside `ty` that Obelisk 0.38.3 cannot represent.
fn unsupported_by_obelisk(types: &Types, ty: ComponentValType) -> Vec<&'static str> {
    let mut found = Vec::new();
    if matches!(ty, ComponentValType::Primitive(PrimitiveValType::ErrorContext)) {
        found.push("error-context");
    }
    walk(types, ty, &mut |defined| {
        found.extend(match defined {
            ComponentDefinedType::Map { .. } => Some("map"),
            ComponentDefinedType::FixedLengthList { .. } => Some("fixed-length list"),
            ComponentDefinedType::Future { .. } => Some("future"),
            ComponentDefinedType::Stream { .. } => Some("stream"),
            ComponentDefinedType::Primitive(PrimitiveValType::ErrorContext) => Some("error-context"),
            _ => None,
        })
    });
    found
}

/// Whether `ty` holds an `own` or `borrow` handle anywhere.
fn has_resource(types: &Types, ty: ComponentValType) -> bool {
    let mut found = false;
    walk(types, ty, &mut |defined| {
        found |= matches!(
            defined,
            ComponentDefinedType::Own(_) | ComponentDefinedType::Borrow(_)
        );
    });
    found
}

/// The `err` type of a `result`, if `ty` is one (`Some(None)`: a `result` without one).
fn result_err(types: &Types, ty: ComponentValType) -> Option<Option<ComponentValType>> {
    match ty {
        ComponentValType::Type(id) => match &types[id] {
            ComponentDefinedType::Result { err, .. } => Some(*err),
            _ => None,
        },
        ComponentValType::Primitive(_) => None,
    }
}

/// Whether `ty` is a variant with an `execution-failed` case without a payload.
fn has_execution_failed(types: &Types, ty: ComponentValType) -> bool {
    let ComponentValType::Type(id) = ty else {
        return false;
    };
    match &types[id] {
        ComponentDefinedType::Variant(variant) => variant
            .cases
            .iter()
            .any(|(name, case)| name.as_str() == "execution-failed" && case.ty.is_none()),
        _ => false,
    }
}

/// Obelisk 0.38.3's `populate_ifcs_with_compatible_fns`, for one function.
fn obelisk_verdict(types: &Types, function: &Function) -> Verdict {
    let Some(result) = function.result else {
        return Verdict::Skipped("no return value".into());
    };
    let unsupported = unsupported_by_obelisk(types, result);
    if !unsupported.is_empty() {
        return Verdict::Rejected(format!("unsupported type in the result: {unsupported:?}"));
    }
    match result_err(types, result) {
        None => Verdict::Skipped("the return type is not a result".into()),
        Some(None) => Verdict::Activity,
        Some(Some(ComponentValType::Primitive(PrimitiveValType::String))) => Verdict::Activity,
        Some(Some(err)) if has_execution_failed(types, err) => Verdict::Activity,
        Some(Some(_)) => {
            Verdict::Skipped("the error type is neither string nor a variant with execution-failed".into())
        }
    }
}

#[test]
fn functions_are_exported_only_inside_interfaces() {
    let (types, exports) = component();
    for (name, kind) in &exports {
        assert_eq!(
            *kind,
            ComponentExternalKind::Instance,
            "{name} is exported as {kind:?}: Obelisk only runs functions of exported interfaces"
        );
    }
    let functions = exported_functions(&types, &exports);
    assert!(functions.iter().any(|f| f.interface == API && f.name == "submit"));
}

#[test]
fn no_resources_in_exported_signatures() {
    let (types, exports) = component();
    for (name, _) in &exports {
        let item = types.as_ref().component_item_for_export(name).unwrap();
        if let ComponentEntityType::Instance(instance) = item.ty {
            for (item_name, item) in &types[instance].exports {
                assert!(
                    !matches!(
                        item.ty,
                        ComponentEntityType::Type {
                            referenced: wasmparser::component_types::ComponentAnyTypeId::Resource(_),
                            ..
                        }
                    ),
                    "{name} exports the resource {item_name}"
                );
            }
        }
    }
    for function in exported_functions(&types, &exports) {
        let Function {
            interface,
            name,
            params,
            result,
        } = &function;
        for (param, ty) in params {
            assert!(
                !has_resource(&types, *ty),
                "{interface}#{name}: parameter {param} holds a resource"
            );
        }
        if let Some(result) = result {
            assert!(
                !has_resource(&types, *result),
                "{interface}#{name}: the result holds a resource"
            );
        }
        for (param, ty) in params {
            let unsupported = unsupported_by_obelisk(&types, *ty);
            assert!(
                unsupported.is_empty(),
                "{interface}#{name}: {param} is {unsupported:?}"
            );
        }
    }
}

/// The strict rule for `api`: every function is an activity whose error is a
/// variant with a payload-less `execution-failed`.
#[test]
fn every_api_function_is_an_obelisk_activity() {
    let (types, exports) = component();
    let functions: Vec<Function> = exported_functions(&types, &exports)
        .into_iter()
        .filter(|f| f.interface == API)
        .collect();
    let names: Vec<&str> = functions.iter().map(|f| f.name.as_str()).collect();
    for expected in ["submit", "status", "results"] {
        assert!(names.contains(&expected), "{API} lacks {expected}: {names:?}");
    }
    for function in &functions {
        let name = &function.name;
        assert_eq!(
            obelisk_verdict(&types, function),
            Verdict::Activity,
            "{API}#{name}"
        );
        let result = function.result.expect("has a result");
        let err = result_err(&types, result)
            .flatten()
            .unwrap_or_else(|| panic!("{API}#{name}: must return result<T, error>"));
        assert!(
            has_execution_failed(&types, err),
            "{API}#{name}: the error variant needs a payload-less execution-failed case"
        );
        permanent_cases_are_named_permanent(&types, err, name);
    }
}

/// Obelisk does not retry an `err` whose case name contains `permanent`; the
/// WIT promises that exactly the `permanent-*` cases are final.
fn permanent_cases_are_named_permanent(types: &Types, err: ComponentValType, function: &str) {
    let ComponentValType::Type(id) = err else {
        unreachable!()
    };
    let ComponentDefinedType::Variant(variant) = &types[id] else {
        unreachable!()
    };
    for case in variant.cases.keys() {
        let case = case.as_str();
        assert_eq!(
            case.contains("permanent"),
            case.starts_with("permanent-"),
            "{function}: case {case} would be treated as permanent by Obelisk"
        );
    }
    let cases: Vec<&str> = variant.cases.keys().map(|case| case.as_str()).collect();
    for case in [
        "execution-failed",
        "rate-limited",
        "server-error",
        "transport",
        "timeout",
        "permanent-unauthorized",
    ] {
        assert!(cases.contains(&case), "{function}: no {case} case in {cases:?}");
    }
}

/// Every exported function: an activity, or listed in [`KNOWN_SKIPPED`];
/// nothing that would make Obelisk refuse the component.
#[test]
fn obelisk_verdict_for_every_export() {
    let (types, exports) = component();
    let mut skipped = Vec::new();
    for function in exported_functions(&types, &exports) {
        let verdict = obelisk_verdict(&types, &function);
        eprintln!("{}#{}: {verdict:?}", function.interface, function.name);
        match verdict {
            Verdict::Activity => {}
            Verdict::Skipped(why) => {
                let known = KNOWN_SKIPPED
                    .iter()
                    .any(|(ifc, name, _)| *ifc == function.interface && *name == function.name);
                assert!(
                    known,
                    "Obelisk would skip {}#{} ({why}); return result<T, error> or list it in KNOWN_SKIPPED",
                    function.interface, function.name
                );
                skipped.push((function.interface, function.name));
            }
            Verdict::Rejected(why) => {
                panic!(
                    "Obelisk would refuse the component: {}#{}: {why}",
                    function.interface, function.name
                )
            }
        }
    }
    for (ifc, name, _) in KNOWN_SKIPPED {
        assert!(
            skipped.iter().any(|(i, n)| i == ifc && n == name),
            "{ifc}#{name} is now an activity (or gone): remove it from KNOWN_SKIPPED and the docs"
        );
    }
    let parse_webhook = exported_functions(&types, &exports)
        .into_iter()
        .find(|f| f.interface == WEBHOOKS && f.name == "parse-webhook")
        .expect("webhooks#parse-webhook is exported");
    assert_eq!(obelisk_verdict(&types, &parse_webhook), Verdict::Activity);
}

/// The README's Obelisk commands (the `sh` blocks of its Obelisk section)
/// name functions the way Obelisk 0.38.3 finds them, with the interface's
/// version or in the short `.../ifc.fn` form, and spell their JSON values in
/// snake_case: Obelisk answers a name without the version with "ffqn not
/// found", and its submit handler panics on `"email-validation"`.
/// `tests/obelisk.rs` runs the same commands.
#[test]
fn readme_obelisk_commands_use_obelisk_spelling() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("- **Workflow engines (Obelisk)**")
        .expect("the README has an Obelisk section");
    let section = &readme[start..];
    let section = &section[..section.find("\n### ").unwrap_or(section.len())];
    let mut commands = String::new();
    let mut in_sh = false;
    for line in section.lines().map(str::trim) {
        match line {
            "```sh" => in_sh = true,
            "```" => in_sh = false,
            _ if in_sh => {
                commands.push_str(line.trim_end_matches('\\'));
                commands.push(' ');
            }
            _ => {}
        }
    }
    let mut functions = 0;
    for word in commands.split_whitespace() {
        if word.starts_with("matchkraft:") || word.starts_with(".../") {
            functions += 1;
            let (interface, function) = word.rsplit_once('.').expect("ifc.fn");
            assert!(
                interface.starts_with(".../") || interface.ends_with("@0.1.0"),
                "{word}: Obelisk needs `{API}.{function}` or `.../api.{function}`"
            );
        }
    }
    assert!(
        functions >= 3,
        "no obelisk commands found in the README's Obelisk section"
    );
    let mut values = 0;
    for quoted in commands.split('\'').skip(1).step_by(2) {
        let value: serde_json::Value = serde_json::from_str(quoted)
            .unwrap_or_else(|e| panic!("the README's Obelisk parameters {quoted} are not JSON: {e}"));
        values += 1;
        check_snake_case(&value, quoted);
    }
    assert!(
        values >= 3,
        "no JSON parameters found in the README's Obelisk section"
    );
}

/// Object keys, and strings that name a WIT case, must not contain `-`.
fn check_snake_case(value: &serde_json::Value, whole: &str) {
    const WIT_CASES: &[&str] = &[
        "email-validation",
        "domain-scan",
        "email-finder",
        "first-name",
        "last-name",
    ];
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                assert!(!key.contains('-'), "{key} in {whole}: Obelisk wants snake_case");
                check_snake_case(value, whole);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| check_snake_case(item, whole)),
        serde_json::Value::String(text) => {
            assert!(
                !WIT_CASES.contains(&text.as_str()),
                "{text} in {whole}: Obelisk wants snake_case"
            );
        }
        _ => {}
    }
}
