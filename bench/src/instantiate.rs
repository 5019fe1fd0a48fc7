//! Compile, load and instantiate figures, measured on a minimal host of the
//! bench's own (WASI p2 and `wasi:http`, nothing else), so that the on-demand
//! and the pooling allocator can be compared on the same component.

use std::time::{Duration, Instant};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// What a per-call store holds.
struct Ctx {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Ctx {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: wasmtime_wasi_http::default_hooks(),
        }
    }
}

fn engine(pooling: bool) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    if pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(64)
            .total_core_instances(64)
            .total_memories(64)
            .total_tables(64)
            .max_memory_size(256 << 20);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    Engine::new(&config).map_err(to_anyhow)
}

fn to_anyhow(error: wasmtime::Error) -> anyhow::Error {
    anyhow::Error::from_boxed(error.into_boxed_dyn_error())
}

/// Median times of compiling the component and of loading it precompiled.
pub struct LoadFigures {
    pub compile: Duration,
    pub deserialize: Duration,
}

pub fn load_figures(bytes: &[u8], compiles: usize, loads: usize) -> anyhow::Result<LoadFigures> {
    let engine = engine(false)?;
    let mut compile = Vec::new();
    for _ in 0..compiles {
        let started = Instant::now();
        Component::new(&engine, bytes).map_err(to_anyhow)?;
        compile.push(started.elapsed());
    }
    let precompiled = engine.precompile_component(bytes).map_err(to_anyhow)?;
    let mut deserialize = Vec::new();
    for _ in 0..loads {
        let started = Instant::now();
        // SAFETY: the bytes were produced just above by this engine's
        // `precompile_component`; nothing else could have altered them.
        unsafe { Component::deserialize(&engine, &precompiled) }.map_err(to_anyhow)?;
        deserialize.push(started.elapsed());
    }
    compile.sort();
    deserialize.sort();
    Ok(LoadFigures {
        compile: compile[compile.len() / 2],
        deserialize: deserialize[deserialize.len() / 2],
    })
}

/// The time to make a store and instantiate the component from an
/// `InstancePre`, `count` times: what a host pays per call.
pub async fn instantiation_times(bytes: &[u8], pooling: bool, count: usize) -> anyhow::Result<Vec<Duration>> {
    let engine = engine(pooling)?;
    let component = Component::new(&engine, bytes).map_err(to_anyhow)?;
    let mut linker = Linker::<Ctx>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(to_anyhow)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(to_anyhow)?;
    let pre = linker.instantiate_pre(&component).map_err(to_anyhow)?;
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let mut store = Store::new(
            &engine,
            Ctx {
                wasi: WasiCtxBuilder::new().build(),
                http: WasiHttpCtx::new(),
                table: ResourceTable::new(),
            },
        );
        pre.instantiate_async(&mut store).await.map_err(to_anyhow)?;
        times.push(started.elapsed());
    }
    Ok(times)
}
