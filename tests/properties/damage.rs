//! Near misses: valid documents, damaged.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Value};

use crate::json::json_value;

#[derive(Clone, Debug)]
pub(crate) enum Damage {
    /// One top-level field replaced by any JSON value, or removed (`None`).
    Field(Index, Option<Value>),
    /// Cut short before its last byte.
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Overwrite(Index, Vec<u8>),
    Delete(Index, usize),
}

fn splice() -> BoxedStrategy<Vec<u8>> {
    let bytes = b"{}[]\":,\\ 0123456789-+.eEtrufalsn\x00\x1f\x7f\x80\xbf\xc3\xe2\xed\xf0\xff".to_vec();
    vec(prop_oneof![any::<u8>(), select(bytes)], 1..8).boxed()
}

pub(crate) fn damage() -> BoxedStrategy<Damage> {
    prop_oneof![
        2 => (any::<Index>(), option::of(json_value(false))).prop_map(|(i, v)| Damage::Field(i, v)),
        2 => any::<Index>().prop_map(Damage::Truncate),
        1 => (any::<Index>(), splice()).prop_map(|(i, b)| Damage::Insert(i, b)),
        1 => (any::<Index>(), splice()).prop_map(|(i, b)| Damage::Overwrite(i, b)),
        1 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| Damage::Delete(i, n)),
    ]
    .boxed()
}

/// `body` with byte-level `damage` (`Damage::Field` is applied to the tree).
pub(crate) fn damaged_bytes(body: &[u8], damage: &Damage) -> Vec<u8> {
    let mut out = body.to_vec();
    match damage {
        Damage::Field(..) => {}
        Damage::Truncate(at) => out.truncate(at.index(body.len())),
        Damage::Insert(at, bytes) => {
            let at = at.index(body.len() + 1);
            out.splice(at..at, bytes.iter().copied());
        }
        Damage::Overwrite(at, bytes) => {
            let at = at.index(body.len());
            let end = (at + bytes.len()).min(body.len());
            out.splice(at..end, bytes.iter().copied());
        }
        Damage::Delete(at, n) => {
            let at = at.index(body.len());
            out.drain(at..(at + n).min(body.len()));
        }
    }
    out
}

/// Removes or replaces the `at`-th field; returns its name.
pub(crate) fn damage_field(doc: &mut Map<String, Value>, at: &Index, value: Option<Value>) -> String {
    let key = doc.keys().nth(at.index(doc.len())).cloned().unwrap_or_default();
    match value {
        Some(value) => {
            doc.insert(key.clone(), value);
        }
        None => {
            doc.remove(&key);
        }
    }
    key
}
