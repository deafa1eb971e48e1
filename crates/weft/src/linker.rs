//! The linker: named definitions (host functions and other instances' exports) that satisfy
//! a module's imports by name.

use crate::context::{AsContext, AsContextMut};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::externals::Extern;
use crate::func::{Caller, HostFuncDef, IntoFunc};
use crate::instance::Instance;
use crate::module::Module;
use crate::store::Store;
use crate::types::FuncType;
use crate::values::Val;
use std::collections::HashMap;

/// Named definitions for resolving imports, shaped like Wasmtime's `Linker`.
///
/// Host functions defined with [`Linker::func_wrap`] or [`Linker::func_new`] are not bound to
/// a store: each instantiation creates them in the store it instantiates into. Other items
/// ([`Linker::define`], [`Linker::instance`]) belong to one store.
///
/// ```
/// use weft::{Caller, Engine, Linker, Module, Store};
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module
///     (import "host" "double" (func $double (param i32) (result i32)))
///     (func (export "run") (result i32) i32.const 21 call $double))"#)?;
/// let mut linker = Linker::new(&engine);
/// linker.func_wrap("host", "double", |caller: Caller<'_, u32>, x: i32| x * 2 + *caller.data() as i32)?;
/// let mut store = Store::new(&engine, 0_u32);
/// let instance = linker.instantiate(&mut store, &module)?;
/// let run = instance.get_typed_func::<(), i32>(&mut store, "run")?;
/// assert_eq!(run.call(&mut store, ())?, 42);
/// # Ok::<(), weft::Error>(())
/// ```
pub struct Linker<T> {
    engine: Engine,
    definitions: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
}

enum Definition<T> {
    Extern(Extern),
    HostFunc(HostFuncDef<T>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::HostFunc(f) => Definition::HostFunc(f.clone()),
        }
    }
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker {
            engine: self.engine.clone(),
            definitions: self.definitions.clone(),
            allow_shadowing: self.allow_shadowing,
        }
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker for modules of `engine`.
    pub fn new(engine: &Engine) -> Self {
        Linker {
            engine: engine.clone(),
            definitions: HashMap::new(),
            allow_shadowing: false,
        }
    }

    /// The engine of this linker.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether a definition may replace an earlier one of the same name (default: no, which
    /// makes a second definition an error).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, definition: Definition<T>) -> Result<&mut Self> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.definitions.contains_key(&key) {
            return Err(Error::usage(format!(
                "import of `{module}::{name}` defined twice"
            )));
        }
        self.definitions.insert(key, definition);
        Ok(self)
    }

    /// Defines `module::name` as `item`, an entity of a store.
    ///
    /// # Errors
    ///
    /// If the name is already defined and shadowing is not allowed.
    pub fn define(
        &mut self,
        _store: impl AsContext<Data = T>,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self> {
        self.insert(module, name, Definition::Extern(item.into()))
    }

    /// Defines `module::name` as a host function made from a Rust closure; see
    /// [`Func::wrap`](crate::Func::wrap) for the closures accepted.
    ///
    /// # Errors
    ///
    /// If the name is already defined and shadowing is not allowed.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        self.insert(module, name, Definition::HostFunc(HostFuncDef::wrap(func)))
    }

    /// Defines `module::name` as a host function of type `ty` taking and returning [`Val`]s;
    /// see [`Func::new`](crate::Func::new).
    ///
    /// # Errors
    ///
    /// If the name is already defined and shadowing is not allowed.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        self.insert(
            module,
            name,
            Definition::HostFunc(HostFuncDef::new(ty, func)),
        )
    }

    /// Defines every export of `instance` under the module name `module_name`.
    ///
    /// # Errors
    ///
    /// If a name is already defined and shadowing is not allowed.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn instance(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module_name: &str,
        instance: Instance,
    ) -> Result<&mut Self> {
        for export in instance.exports(store.as_context_mut()) {
            let name = export.name().to_string();
            self.insert(module_name, &name, Definition::Extern(export.into_extern()))?;
        }
        Ok(self)
    }

    /// Instantiates `module` and defines its exports under `module_name`.
    ///
    /// # Errors
    ///
    /// As [`Linker::instantiate`] and [`Linker::instance`].
    pub fn module(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module_name: &str,
        module: &Module,
    ) -> Result<&mut Self> {
        let instance = self.instantiate(&mut store, module)?;
        self.instance(store, module_name, instance)
    }

    /// The definition of `module::name`, creating host functions in `store` as needed.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let definition = self
            .definitions
            .get(&(module.to_string(), name.to_string()))?;
        Some(resolve(store.as_context_mut().0, definition))
    }

    /// Instantiates `module`, resolving each import by its two-level name.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unlinkable`](crate::ErrorKind::Unlinkable) naming the first import that is
    /// not defined, and every error of [`Instance::new`].
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        let store = store.as_context_mut().0;
        let mut imports = Vec::with_capacity(module.imports().len());
        for import in module.imports() {
            let definition = self
                .definitions
                .get(&(import.module().to_string(), import.name().to_string()))
                .ok_or_else(|| {
                    Error::unlinkable(format!(
                        "unknown import: `{}::{}` has not been defined",
                        import.module(),
                        import.name()
                    ))
                })?;
            imports.push(resolve(store, definition));
        }
        crate::instance::instantiate(store, module, &imports)
    }
}

fn resolve<T: 'static>(store: &mut Store<T>, definition: &Definition<T>) -> Extern {
    match definition {
        Definition::Extern(item) => *item,
        Definition::HostFunc(func) => Extern::Func(func.to_func(store)),
    }
}
