//! The wasmtime engine every host shares, and compiling the component for it.
//!
//! One engine per process: compiled code can only be shared between hosts of
//! the same engine, and its epoch (advanced by one thread, every
//! [`EPOCH_TICK`]) is what stops a component that computes past its call's
//! deadline. Compiling takes hundreds of milliseconds, so the bytes compiled
//! recently are remembered here, and on disk through `precompiled`.
//!
//! The error helpers at the end turn wasmtime's errors into the one-line-first
//! `anyhow` errors the host returns.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use wasmtime::component::Component;
use wasmtime::{Config, Engine, Trap};

use crate::precompiled;

/// How often the engine's epoch advances; a deadline is honoured to within
/// this much.
const EPOCH_TICK: Duration = Duration::from_millis(100);

/// The process's engine, made on first use along with the thread that
/// advances its epoch.
pub(crate) fn shared_engine() -> anyhow::Result<Engine> {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    if let Some(engine) = ENGINE.get() {
        return Ok(engine.clone());
    }
    let engine = new_engine()?;
    Ok(ENGINE
        .get_or_init(|| {
            start_epoch_ticker(&engine);
            engine
        })
        .clone())
}

/// `bytes` compiled for `engine`, from the cache when these bytes were
/// compiled before in this process, else from (or into) `on_disk`.
pub(crate) fn compile(engine: &Engine, bytes: &[u8], on_disk: Option<&Path>) -> anyhow::Result<Component> {
    /// Recently compiled components and their bytes, newest last.
    static CACHE: Mutex<Vec<(Arc<[u8]>, Component)>> = Mutex::new(Vec::new());
    const CACHE_SIZE: usize = 4;

    let cached = CACHE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .find(|(cached, _)| **cached == *bytes)
        .map(|(_, component)| component.clone());
    if let Some(component) = cached {
        return Ok(component);
    }
    let component = match on_disk {
        Some(folder) => precompiled::load_or_compile(engine, bytes, folder)?,
        None => into_anyhow(Component::new(engine, bytes)).context("compiling the MatchKraft component")?,
    };
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() == CACHE_SIZE {
        cache.remove(0);
    }
    cache.push((bytes.into(), component.clone()));
    Ok(component)
}

/// The engine configuration: epoch interruption for deadlines and a modest
/// wasm stack.
fn new_engine() -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.max_wasm_stack(1 << 20);
    into_anyhow(Engine::new(&config)).context("configuring wasmtime")
}

/// A wasmtime result as an `anyhow` one. (`From<wasmtime::Error> for
/// anyhow::Error` exists only with wasmtime's `anyhow` feature, which this
/// crate does not enable.)
pub(crate) fn into_anyhow<T>(result: wasmtime::Result<T>) -> anyhow::Result<T> {
    result.map_err(|error| anyhow::Error::from_boxed(error.into_boxed_dyn_error()))
}

/// Starts a thread that advances `engine`'s epoch every [`EPOCH_TICK`] until
/// the engine (every clone of it) has been dropped, which for the shared
/// engine is never.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("matchkraft-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        });
    // Without the ticker a deadline is never reached; calls still end through
    // the async timeout, so this is not worth failing for.
    drop(spawned);
}

/// The number of epoch ticks in `timeout`, rounded up, at least one.
pub(crate) fn deadline_ticks(timeout: Duration) -> u64 {
    let ticks = timeout.as_nanos().div_ceil(EPOCH_TICK.as_nanos()).max(1);
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

/// Turns a wasmtime error into a one-line-first `anyhow::Error`, naming a
/// passed deadline as such.
pub(crate) fn describe_trap(error: wasmtime::Error, export: &str, timeout: Duration) -> anyhow::Error {
    let interrupted = matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt));
    let error = anyhow::Error::from_boxed(error.into_boxed_dyn_error());
    if interrupted {
        error.context(format!(
            "the component's `{export}` ran past its deadline of {}",
            human_duration(timeout)
        ))
    } else {
        error.context(format!("the component's `{export}` failed (trap or host error)"))
    }
}

/// `90 s`, `10 min`, `250 ms`: a duration for an error message.
pub(crate) fn human_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis} ms")
    } else if millis.is_multiple_of(60_000) {
        format!("{} min", millis / 60_000)
    } else {
        format!("{} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_ticks_round_up() {
        assert_eq!(deadline_ticks(Duration::ZERO), 1);
        assert_eq!(deadline_ticks(Duration::from_millis(100)), 1);
        assert_eq!(deadline_ticks(Duration::from_millis(101)), 2);
        assert_eq!(deadline_ticks(Duration::from_secs(600)), 6000);
        assert_eq!(deadline_ticks(Duration::MAX), u64::MAX);
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(human_duration(Duration::from_secs(600)), "10 min");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5 s");
    }
}
