//! Typed entry points into a WASI 0.2 component, under the names Wasmtime's generated
//! bindings give them (`wasmtime_wasi::p2::bindings::sync::Command`).

/// Bindings whose calls block the calling thread (Weft has no async calls).
pub mod sync {
    use weft::AsContextMut;
    use weft::component::{Component, Instance, Linker};

    /// A component instance of the `wasi:cli/command` world: it exports `wasi:cli/run`.
    ///
    /// ```no_run
    /// use weft::component::{Component, Linker, ResourceTable};
    /// use weft::{Engine, Store};
    /// use weft_wasi::p2::bindings::sync::Command;
    /// use weft_wasi::{WasiCtx, WasiCtxView, WasiView};
    ///
    /// struct State {
    ///     wasi: WasiCtx,
    ///     table: ResourceTable,
    /// }
    /// impl WasiView for State {
    ///     fn ctx(&mut self) -> WasiCtxView<'_> {
    ///         WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    ///     }
    /// }
    ///
    /// let engine = Engine::default();
    /// let mut linker = Linker::new(&engine);
    /// weft_wasi::p2::add_to_linker_sync(&mut linker)?;
    /// let wasi = WasiCtx::builder().inherit_stdio().inherit_args().build();
    /// let mut store = Store::new(&engine, State { wasi, table: ResourceTable::new() });
    /// let component = Component::from_file(&engine, "app.wasm")?;
    /// let command = Command::instantiate(&mut store, &component, &linker)?;
    /// let status = command.wasi_cli_run().call_run(&mut store)?;
    /// std::process::exit(if status.is_ok() { 0 } else { 1 });
    /// # Ok::<(), weft::Error>(())
    /// ```
    #[derive(Debug, Clone)]
    pub struct Command {
        run: Run,
    }

    /// The `wasi:cli/run` interface of a [`Command`].
    #[derive(Debug, Clone)]
    pub struct Run {
        instance: Instance,
    }

    impl Command {
        /// Instantiates `component` with the definitions of `linker` and checks that it
        /// exports `wasi:cli/run@0.2.x`.
        ///
        /// # Errors
        ///
        /// If instantiation fails (see
        /// [`Linker::instantiate`](weft::component::Linker::instantiate)) or the instance
        /// exports no `wasi:cli/run@0.2.x` with a `run` function.
        pub fn instantiate<T: 'static>(
            mut store: impl AsContextMut<Data = T>,
            component: &Component,
            linker: &Linker<T>,
        ) -> weft::Result<Command> {
            let instance = linker.instantiate(&mut store, component)?;
            Command::new(store, &instance)
        }

        /// The bindings of an instance that already exists.
        ///
        /// # Errors
        ///
        /// If the instance exports no `wasi:cli/run@0.2.x` with a `run` function.
        pub fn new<T: 'static>(
            store: impl AsContextMut<Data = T>,
            instance: &Instance,
        ) -> weft::Result<Command> {
            super::super::run_func(&store.as_context(), instance)?;
            Ok(Command {
                run: Run {
                    instance: *instance,
                },
            })
        }

        /// The instance's `wasi:cli/run` export.
        pub fn wasi_cli_run(&self) -> &Run {
            &self.run
        }
    }

    impl Run {
        /// Calls `run`: `Ok(())` if it returned `ok`, `Err(())` if it returned `err`.
        ///
        /// # Errors
        ///
        /// A trap, or [`I32Exit`](crate::I32Exit) when the guest called `wasi:cli/exit`.
        pub fn call_run<T: 'static>(
            &self,
            store: impl AsContextMut<Data = T>,
        ) -> weft::Result<Result<(), ()>> {
            super::super::call_run(store, &self.instance)
        }
    }
}
