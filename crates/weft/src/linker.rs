//! The linker: named definitions (host functions and other instances' exports) that satisfy
//! a module's imports by name.

use crate::context::{AsContext, AsContextMut};
use crate::engine::Engine;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::externals::Extern;
use crate::func::{Caller, Func, HostFuncDef, IntoFunc};
use crate::instance::Instance;
use crate::module::Module;
use crate::store::Store;
use crate::types::{ExternType, FuncType};
use crate::values::Val;
use std::collections::HashMap;
use std::sync::Arc;

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
    ///
    /// ```
    /// use weft::{Engine, Linker, Module, Store};
    /// let engine = Engine::default();
    /// let mut linker = Linker::new(&engine);
    /// linker.func_wrap("env", "square", |x: i64| x * x)?;
    /// let module = Module::new(&engine, r#"(module
    ///     (import "env" "square" (func $square (param i64) (result i64)))
    ///     (func (export "run") (result i64) (call $square (i64.const 9))))"#)?;
    /// let mut store = Store::new(&engine, ());
    /// let instance = linker.instantiate(&mut store, &module)?;
    /// let run = instance.get_typed_func::<(), i64>(&mut store, "run")?;
    /// assert_eq!(run.call(&mut store, ())?, 81);
    /// # Ok::<(), weft::Error>(())
    /// ```
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
    ///
    /// ```
    /// use weft::{Engine, FuncType, Linker, Val, ValType};
    /// let engine = Engine::default();
    /// let mut linker = Linker::<()>::new(&engine);
    /// let ty = FuncType::new(&engine, [ValType::F64], [ValType::F64]);
    /// linker.func_new("math", "sqrt", ty, |_caller, params, results| {
    ///     results[0] = Val::F64(params[0].unwrap_f64().sqrt().to_bits());
    ///     Ok(())
    /// })?;
    /// # Ok::<(), weft::Error>(())
    /// ```
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
    ///
    /// ```
    /// use weft::{Engine, Instance, Linker, Module, Store};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let lib = Module::new(&engine, r#"(module (func (export "seven") (result i32) i32.const 7))"#)?;
    /// let lib = Instance::new(&mut store, &lib, &[])?;
    /// let mut linker = Linker::new(&engine);
    /// linker.instance(&mut store, "lib", lib)?;
    /// let app = Module::new(&engine, r#"(module
    ///     (import "lib" "seven" (func $seven (result i32)))
    ///     (func (export "run") (result i32) (call $seven)))"#)?;
    /// let app = linker.instantiate(&mut store, &app)?;
    /// assert_eq!(app.get_typed_func::<(), i32>(&mut store, "run")?.call(&mut store, ())?, 7);
    /// # Ok::<(), weft::Error>(())
    /// ```
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

    /// Defines the exports of `module` under `module_name`, with the WASI application ABI's
    /// meaning of commands and reactors, as Wasmtime's `Linker::module`:
    ///
    /// - A **command** (a module exporting `_start`) is not instantiated now. Each of its
    ///   exported functions is defined as a host function that, at every call, instantiates
    ///   `module` afresh with this linker's definitions as they are now, calls the export,
    ///   then calls `__wasm_call_dtors` if the module exports it. Its other exports are not
    ///   defined.
    /// - A **reactor** (any other module) is instantiated once in `store`; its
    ///   `_initialize` export, if any, is called, and then all its exports are defined.
    ///
    /// # Errors
    ///
    /// As [`Linker::instantiate`] and [`Linker::instance`], and the error or trap of
    /// `_initialize`. For a command, the errors of instantiation come from the calls.
    pub fn module(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module_name: &str,
        module: &Module,
    ) -> Result<&mut Self> {
        let is_command = module.exports().any(|export| export.name() == "_start");
        if !is_command {
            let instance = self.instantiate(&mut store, module)?;
            if let Some(initialize) = instance.get_func(&store, "_initialize") {
                initialize.call(&mut store, &[], &mut [])?;
            }
            return self.instance(store, module_name, instance);
        }
        let command = Arc::new((self.clone(), module.clone()));
        for export in module.exports() {
            let ExternType::Func(ty) = export.ty() else {
                continue;
            };
            let command = command.clone();
            let export_name = export.name().to_string();
            self.func_new(
                module_name,
                export.name(),
                ty,
                move |mut caller, params, results| {
                    let (linker, module) = &*command;
                    let instance = linker.instantiate(&mut caller, module)?;
                    let func = instance.get_func(&caller, &export_name).ok_or_else(|| {
                        Error::usage(format!("command export `{export_name}` disappeared"))
                    })?;
                    func.call(&mut caller, params, results)?;
                    if let Some(dtors) = instance.get_func(&caller, "__wasm_call_dtors") {
                        dtors.call(&mut caller, &[], &mut [])?;
                    }
                    Ok(())
                },
            )?;
        }
        Ok(self)
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
    /// not defined (its source is an [`UnknownImportError`]), and every error of
    /// [`Instance::new`].
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        let store = store.as_context_mut().0;
        let mut imports = Vec::with_capacity(module.imports().len());
        for import in module.imports() {
            let definition = self.lookup(&import)?;
            imports.push(resolve(store, definition));
        }
        crate::instance::instantiate(store, module, &imports)
    }

    /// Resolves every import of `module` by name now, so that
    /// [`InstancePre::instantiate`] only has to create the instance. The definitions are
    /// taken as they are at this call: later changes to the linker do not affect the result.
    ///
    /// Import types are checked when an instance is created, because the definitions of
    /// [`Linker::define`] belong to a store.
    ///
    /// ```
    /// use weft::{Engine, Linker, Module, Store};
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module
    ///     (import "host" "seven" (func $seven (result i32)))
    ///     (func (export "run") (result i32) call $seven))"#)?;
    /// let mut linker = Linker::<()>::new(&engine);
    /// linker.func_wrap("host", "seven", || 7)?;
    /// let pre = linker.instantiate_pre(&module)?;
    /// for _ in 0..3 {
    ///     let mut store = Store::new(&engine, ());
    ///     let instance = pre.instantiate(&mut store)?;
    ///     let run = instance.get_typed_func::<(), i32>(&mut store, "run")?;
    ///     assert_eq!(run.call(&mut store, ())?, 7);
    /// }
    /// # Ok::<(), weft::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unlinkable`](crate::ErrorKind::Unlinkable) naming the first import that is
    /// not defined.
    pub fn instantiate_pre(&self, module: &Module) -> Result<InstancePre<T>> {
        let definitions = module
            .imports()
            .map(|import| self.lookup(&import).cloned())
            .collect::<Result<Vec<_>>>()?;
        Ok(InstancePre {
            module: module.clone(),
            definitions: definitions.into(),
        })
    }

    fn lookup(&self, import: &crate::ImportType<'_>) -> Result<&Definition<T>> {
        self.definitions
            .get(&(import.module().to_string(), import.name().to_string()))
            .ok_or_else(|| Error::unlinkable(UnknownImportError::new(import).to_string()))
    }

    fn is_defined(&self, module: &str, name: &str) -> bool {
        self.definitions
            .contains_key(&(module.to_string(), name.to_string()))
    }

    /// Accepted without effect, as Wasmtime's switch for unknown exports of command
    /// modules: Weft's [`Linker::module`] defines every function a command exports and
    /// ignores the other exports, whatever this says.
    pub fn allow_unknown_exports(&mut self, _allow: bool) -> &mut Self {
        self
    }

    /// Defines every function import of `module` that this linker does not define yet as a
    /// function that fails with an [`UnknownImportError`] when it is called. Imports of other
    /// kinds are left alone. Useful to instantiate a module whose unused imports the embedder
    /// does not provide.
    ///
    /// # Errors
    ///
    /// None today; the `Result` matches Wasmtime's signature.
    ///
    /// ```
    /// use weft::{Engine, Linker, Module, Store, UnknownImportError};
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module
    ///     (import "env" "missing" (func $missing))
    ///     (func (export "run") (call $missing)))"#)?;
    /// let mut linker = Linker::new(&engine);
    /// linker.define_unknown_imports_as_traps(&module)?;
    /// let mut store = Store::new(&engine, ());
    /// let instance = linker.instantiate(&mut store, &module)?;
    /// let run = instance.get_typed_func::<(), ()>(&mut store, "run")?;
    /// let error = run.call(&mut store, ()).unwrap_err();
    /// assert!(error.downcast_ref::<UnknownImportError>().is_some());
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn define_unknown_imports_as_traps(&mut self, module: &Module) -> Result<()> {
        for import in module.imports() {
            let ExternType::Func(ty) = import.ty() else {
                continue;
            };
            if self.is_defined(import.module(), import.name()) {
                continue;
            }
            let error = UnknownImportError::new(&import);
            self.func_new(import.module(), import.name(), ty, move |_, _, _| {
                Err(Error::new(error.clone()))
            })?;
        }
        Ok(())
    }

    /// Defines every function import of `module` that this linker does not define yet as a
    /// function that returns the default value of each of its result types (zero, or a null
    /// reference) and does nothing else. Imports of other kinds are left alone.
    ///
    /// # Errors
    ///
    /// None today; the `Result` and the `store` parameter match Wasmtime's signature.
    pub fn define_unknown_imports_as_default_values(
        &mut self,
        _store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<()> {
        for import in module.imports() {
            let ExternType::Func(ty) = import.ty() else {
                continue;
            };
            if self.is_defined(import.module(), import.name()) {
                continue;
            }
            let result_types: Vec<_> = ty.results().to_vec();
            self.func_new(import.module(), import.name(), ty, move |_, _, results| {
                for (result, ty) in results.iter_mut().zip(&result_types) {
                    *result = Val::default_for(*ty);
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Defines `as_module::as_name` as the definition of `module::name`.
    ///
    /// # Errors
    ///
    /// If `module::name` is not defined, or `as_module::as_name` is defined already and
    /// shadowing is not allowed.
    ///
    /// ```
    /// use weft::{Engine, Linker};
    /// let engine = Engine::default();
    /// let mut linker = Linker::<()>::new(&engine);
    /// linker.func_wrap("env", "now", || 42u64)?;
    /// linker.alias("env", "now", "wasi", "clock")?;
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn alias(
        &mut self,
        module: &str,
        name: &str,
        as_module: &str,
        as_name: &str,
    ) -> Result<&mut Self> {
        let definition = self
            .definitions
            .get(&(module.to_string(), name.to_string()))
            .cloned()
            .ok_or_else(|| {
                Error::unlinkable(format!("no item named `{module}::{name}` in linker"))
            })?;
        self.insert(as_module, as_name, definition)
    }

    /// Defines every item of `module` under the module name `as_module` too.
    ///
    /// # Errors
    ///
    /// If one of the new names is defined already and shadowing is not allowed.
    pub fn alias_module(&mut self, module: &str, as_module: &str) -> Result<()> {
        let items: Vec<(String, Definition<T>)> = self
            .definitions
            .iter()
            .filter(|((m, _), _)| m == module)
            .map(|((_, name), definition)| (name.clone(), definition.clone()))
            .collect();
        for (name, definition) in items {
            self.insert(as_module, &name, definition)?;
        }
        Ok(())
    }

    /// The "default export" of the module defined as `module`, following Wasmtime and the
    /// WASI application ABI: its export `""` if any, else `_start`, else a function of type
    /// `[] -> []` that does nothing.
    ///
    /// # Errors
    ///
    /// If the default export is not a function.
    pub fn get_default(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
    ) -> Result<Func> {
        for name in ["", "_start"] {
            if let Some(item) = self.get(&mut store, module, name) {
                return item.into_func().ok_or_else(|| {
                    Error::usage(format!(
                        "default export `{module}::{name}` is not a function"
                    ))
                });
            }
        }
        Ok(Func::wrap(store, || {}))
    }

    /// The definition of `import`, if this linker has one, creating host functions in
    /// `store` as needed.
    pub fn get_by_import(
        &self,
        mut store: impl AsContextMut<Data = T>,
        import: &crate::ImportType<'_>,
    ) -> Option<Extern> {
        self.get(&mut store, import.module(), import.name())
    }
}

fn resolve<T: 'static>(store: &mut Store<T>, definition: &Definition<T>) -> Extern {
    match definition {
        Definition::Extern(item) => *item,
        Definition::HostFunc(func) => Extern::Func(func.to_func(store)),
    }
}

/// A module whose imports a [`Linker`] has resolved once, from
/// [`Linker::instantiate_pre`], ready to be instantiated quickly and repeatedly.
pub struct InstancePre<T> {
    module: Module,
    definitions: Arc<[Definition<T>]>,
}

impl<T> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre {
            module: self.module.clone(),
            definitions: self.definitions.clone(),
        }
    }
}

impl<T: 'static> InstancePre<T> {
    /// The module this will instantiate.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// Instantiates the module in `store` with the definitions resolved by
    /// [`Linker::instantiate_pre`].
    ///
    /// # Errors
    ///
    /// Every error of [`Instance::new`], including
    /// [`ErrorKind::Unlinkable`](crate::ErrorKind::Unlinkable) when a definition's type does not
    /// match its import.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        let store = store.as_context_mut().0;
        let imports: Vec<Extern> = self
            .definitions
            .iter()
            .map(|definition| resolve(store, definition))
            .collect();
        crate::instance::instantiate(store, &self.module, &imports)
    }
}

/// The error of an import that a [`Linker`] does not define: the reason of a failed
/// [`Linker::instantiate`], and what the functions of
/// [`Linker::define_unknown_imports_as_traps`] fail with when called.
#[derive(Debug, Clone)]
pub struct UnknownImportError {
    module: String,
    name: String,
    ty: ExternType,
}

impl UnknownImportError {
    fn new(import: &crate::ImportType<'_>) -> Self {
        UnknownImportError {
            module: import.module().to_string(),
            name: import.name().to_string(),
            ty: import.ty(),
        }
    }

    /// The module name of the import.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The field name of the import.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type the import has.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

impl core::fmt::Display for UnknownImportError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "unknown import: `{}::{}` has not been defined",
            self.module, self.name
        )
    }
}

impl std::error::Error for UnknownImportError {}
