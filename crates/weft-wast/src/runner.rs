//! Runs the directives of one script against a fresh store.

use crate::error::Error;
use crate::report::{Failure, Report};
use crate::{component_values, spectest, values};
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use wast::lexer::Lexer;
use wast::parser::ParseBuffer;
use wast::token::{Id, Span};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, WastRet, Wat};
use weft::ErrorExt as _;
use weft::component::{self, Component};
use weft::{Config, Engine, ErrorKind, Instance, Linker, Module, Store, Val};

/// Parses and runs the script `text`, named `name`, on an engine configured by `config`.
pub(crate) fn run(config: &Config, name: &str, text: &str) -> Result<Report, Error> {
    let parse_error = |mut error: wast::Error| {
        error.set_text(text);
        Error::Parse {
            name: name.to_string(),
            message: error.to_string(),
        }
    };
    let mut lexer = Lexer::new(text);
    // The testsuite spells some names with bidirectional-override and other confusable
    // characters on purpose (`names.wast`); they are legal WebAssembly text.
    lexer.allow_confusing_unicode(true);
    let buffer = ParseBuffer::new_with_lexer(lexer).map_err(parse_error)?;
    let wast = wast::parser::parse::<Wast<'_>>(&buffer).map_err(parse_error)?;

    let engine = Engine::new(config).map_err(Error::Engine)?;
    let mut runner = Runner::new(&engine, name, text).map_err(Error::Engine)?;
    for directive in wast.directives {
        runner.run(directive);
    }
    Ok(runner.report)
}

/// How a directive that did not fail went.
enum Outcome {
    /// As the script expects.
    Pass,
    /// In the right phase, with an error message other than the expected text.
    MessageMismatch(String),
}

/// Why a module could not be turned into a [`Module`] or [`Component`].
enum CompileError {
    /// The text did not parse, or did not encode to a binary (unknown names, ...).
    Text(String),
    /// Weft rejected the binary.
    Engine(weft::Error),
}

impl CompileError {
    fn message(&self) -> String {
        match self {
            CompileError::Text(message) => message.clone(),
            CompileError::Engine(error) => first_line(&message(error)),
        }
    }
}

/// A compiled `module` or `component`.
#[derive(Clone)]
enum Compiled {
    Module(Module),
    Component(Component),
}

/// An instance a script refers to, or why it does not exist.
#[derive(Clone)]
enum Slot {
    Ready(Instance),
    /// An instance of a `component`.
    Component(component::Instance),
    /// The module failed to compile or instantiate; the reason, with its location.
    Failed(String),
}

/// The results of a call, a global read or an instantiation.
enum Results {
    Core(Vec<Val>),
    Component(Vec<component::Val>),
}

/// The state of one running script.
struct Runner<'a> {
    /// The script's text, to turn spans into lines and columns.
    text: &'a str,
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    /// The linker for components: `register`ed component instances' functions.
    components: component::Linker<()>,
    /// The most recently defined module's instance, the target of directives that name none.
    current: Option<Slot>,
    /// Instances by the `$id` of their module.
    named: HashMap<String, Slot>,
    /// Modules declared with `module definition`, by `$id`, and the latest one.
    definitions: HashMap<String, Result<Compiled, String>>,
    last_definition: Option<Result<Compiled, String>>,
    report: Report,
}

impl<'a> Runner<'a> {
    fn new(engine: &Engine, name: &str, text: &'a str) -> weft::Result<Self> {
        let mut store = Store::new(engine, ());
        let mut linker = Linker::new(engine);
        spectest::define(&mut linker, &mut store)?;
        // As in the reference interpreter, a later `register` of a name replaces the earlier.
        linker.allow_shadowing(true);
        let mut components = component::Linker::new(engine);
        components.allow_shadowing(true);
        Ok(Runner {
            components,
            text,
            engine: engine.clone(),
            store,
            linker,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            report: Report::new(name),
        })
    }

    /// The 1-based line and column of `span`.
    fn location(&self, span: Span) -> (usize, usize) {
        let (line, column) = span.linecol_in(self.text);
        (line + 1, column + 1)
    }

    /// Runs one directive and records its outcome. A panic in the engine is caught and
    /// recorded as the directive's failure, so the rest of the script still runs.
    fn run(&mut self, directive: WastDirective<'_>) {
        let (line, column) = self.location(directive.span());
        let name = directive_name(&directive);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.directive(directive)));
        let failure = |message: String| Failure {
            line,
            column,
            directive: name,
            message,
        };
        match outcome {
            Ok(Ok(Outcome::Pass)) => self.report.pass(),
            Ok(Ok(Outcome::MessageMismatch(message))) => {
                self.report.pass();
                self.report.message_mismatches.push(failure(message));
            }
            Ok(Err(message)) => self.report.fail(failure(message)),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "<non-string panic payload>".to_string());
                self.report
                    .fail(failure(format!("the engine panicked: {message}")));
            }
        }
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Result<Outcome, String> {
        match directive {
            WastDirective::Module(mut module) => {
                self.module(&mut module)?;
                Ok(Outcome::Pass)
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                let (line, column) = self.location(module.span());
                let compiled = self.compile(&mut module).map_err(|e| {
                    format!(
                        "module definition at {line}:{column} failed to compile: {}",
                        e.message()
                    )
                });
                let outcome = match &compiled {
                    Ok(_) => Ok(Outcome::Pass),
                    Err(message) => Err(message.clone()),
                };
                if let Some(name) = name {
                    self.definitions.insert(name, compiled.clone());
                }
                self.last_definition = Some(compiled);
                outcome
            }
            WastDirective::ModuleInstance {
                span,
                instance,
                module,
            } => {
                let definition = match module {
                    Some(id) => self
                        .definitions
                        .get(id.name())
                        .cloned()
                        .ok_or_else(|| format!("no module definition named ${}", id.name()))?,
                    None => self
                        .last_definition
                        .clone()
                        .ok_or_else(|| "no module definition to instantiate".to_string())?,
                };
                let (line, column) = self.location(span);
                let result = definition.and_then(|compiled| self.instantiate(&compiled));
                self.set_current(instance, result, line, column)?;
                Ok(Outcome::Pass)
            }
            WastDirective::Register { name, module, .. } => {
                match self.slot(module)? {
                    Slot::Ready(instance) => self
                        .linker
                        .instance(&mut self.store, name, instance)
                        .map(|_| ())
                        .map_err(|e| format!("cannot register the instance as {name:?}: {e}"))?,
                    Slot::Component(instance) => self.register_component(name, instance)?,
                    Slot::Failed(reason) => return Err(reason),
                }
                Ok(Outcome::Pass)
            }
            WastDirective::Invoke(invoke) => match self.invoke(&invoke)? {
                Ok(_) => Ok(Outcome::Pass),
                Err(error) => Err(format!(
                    "{}: failed: {}",
                    describe_invoke(&invoke),
                    first_line(&message(&error))
                )),
            },
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => self.assert_trap(exec, message),
            WastDirective::AssertExhaustion { call, message, .. } => {
                let what = describe_invoke(&call);
                let result = self.invoke(&call)?;
                expect_error(&self.store, &what, result, message)
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            }
            | WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => self.assert_compile_error(&mut module, message),
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => self.assert_unlinkable(module, message),
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => Err(
                "unsupported directive: Weft does not check the contents of custom sections"
                    .to_string(),
            ),
            WastDirective::AssertException { .. } | WastDirective::AssertSuspension { .. } => {
                Err("unsupported directive: Weft has no exceptions or stack switching".to_string())
            }
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                Err("unsupported directive: the runner has no threads".to_string())
            }
        }
    }

    /// `module`: compiles and instantiates, and makes the instance current (and named, if the
    /// module has an `$id`).
    fn module(&mut self, module: &mut QuoteWat<'_>) -> Result<(), String> {
        let name = module.name();
        let (line, column) = self.location(module.span());
        let result = match self.compile(module) {
            Ok(compiled) => self.instantiate(&compiled),
            Err(error) => Err(format!("failed to compile: {}", error.message())),
        };
        self.set_current(name, result, line, column)
    }

    /// Records the instance of the module at `line:column` (or why there is none) as current
    /// and under `name`.
    fn set_current(
        &mut self,
        name: Option<Id<'_>>,
        result: Result<Slot, String>,
        line: usize,
        column: usize,
    ) -> Result<(), String> {
        let slot = match &result {
            Ok(slot) => slot.clone(),
            Err(message) => Slot::Failed(format!("the module at {line}:{column} {message}")),
        };
        if let Some(name) = name {
            self.named.insert(name.name().to_string(), slot.clone());
        }
        self.current = Some(slot);
        result.map(|_| ())
    }

    /// Instantiates a compiled module or component.
    fn instantiate(&mut self, compiled: &Compiled) -> Result<Slot, String> {
        let result = match compiled {
            Compiled::Module(module) => self
                .linker
                .instantiate(&mut self.store, module)
                .map(Slot::Ready),
            Compiled::Component(component) => self
                .components
                .instantiate(&mut self.store, component)
                .map(Slot::Component),
        };
        result.map_err(|e| format!("failed to instantiate: {}", first_line(&message(&e))))
    }

    /// The slot `id` names, or the current one.
    fn slot(&self, id: Option<Id<'_>>) -> Result<Slot, String> {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .cloned()
                .ok_or_else(|| format!("no module named ${}", id.name())),
            None => self
                .current
                .clone()
                .ok_or_else(|| "no module has been defined yet".to_string()),
        }
    }

    /// The core instance `id` names, or the current one.
    fn instance(&self, id: Option<Id<'_>>) -> Result<Instance, String> {
        let slot = match id {
            Some(id) => self
                .named
                .get(id.name())
                .ok_or_else(|| format!("no module named ${}", id.name()))?,
            None => self
                .current
                .as_ref()
                .ok_or_else(|| "no module has been defined yet".to_string())?,
        };
        match slot {
            Slot::Ready(instance) => Ok(*instance),
            Slot::Component(_) => Err(
                "the instance is a component's, which has no core exports such as globals"
                    .to_string(),
            ),
            Slot::Failed(reason) => Err(reason.clone()),
        }
    }

    /// `register` of a component instance: its exported functions, resource types and core
    /// modules (also those of its exported instances) become importable under `name`. A registered function
    /// forwards the call to the instance's, with the Canonical ABI lifting and lowering
    /// through [`component::Val`]s on the way.
    fn register_component(
        &mut self,
        name: &str,
        instance: component::Instance,
    ) -> Result<(), String> {
        let exports = instance.exports(&self.store);
        let mut target = self
            .components
            .instance(name)
            .map_err(|e| format!("cannot register the instance as {name:?}: {e}"))?;
        define_exports(&mut target, &instance, exports)
            .map_err(|e| format!("cannot register the instance as {name:?}: {e}"))
    }

    /// Encodes `module` (parsing it first if it is quoted text) and compiles the binary, as a
    /// core module or as a component according to the directive's keyword.
    fn compile(&mut self, module: &mut QuoteWat<'_>) -> Result<Compiled, CompileError> {
        let is_component = matches!(
            module,
            QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
        );
        let binary = module.encode().map_err(|mut error| {
            error.set_text(self.text);
            CompileError::Text(first_line(&error.to_string()))
        })?;
        // `from_binary`, not `new`: bytes that are not a module (even empty ones) must be
        // rejected, not read as WebAssembly text.
        if is_component {
            Component::from_binary(&self.engine, &binary)
                .map(Compiled::Component)
                .map_err(CompileError::Engine)
        } else {
            Module::from_binary(&self.engine, &binary)
                .map(Compiled::Module)
                .map_err(CompileError::Engine)
        }
    }

    /// Calls the function `invoke` names. The outer error is the script's fault (no such
    /// module or export, an unsupported argument); the inner one is the call's.
    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Result<Results, weft::Error>, String> {
        let instance = match self.slot(invoke.module)? {
            Slot::Ready(instance) => instance,
            Slot::Component(instance) => return self.invoke_component(instance, invoke),
            Slot::Failed(reason) => return Err(reason),
        };
        let func = instance
            .get_func(&mut self.store, invoke.name)
            .ok_or_else(|| format!("no function exported as {:?}", invoke.name))?;
        let mut args = Vec::with_capacity(invoke.args.len());
        for arg in &invoke.args {
            args.push(values::arg(&mut self.store, arg)?);
        }
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        Ok(func
            .call(&mut self.store, &args, &mut results)
            .map(|()| Results::Core(results)))
    }

    /// Calls the component function `invoke` names, converting the script's arguments
    /// against the function's parameter types.
    fn invoke_component(
        &mut self,
        instance: component::Instance,
        invoke: &WastInvoke<'_>,
    ) -> Result<Result<Results, weft::Error>, String> {
        let func = instance
            .get_func(&self.store, invoke.name)
            .ok_or_else(|| format!("no component function exported as {:?}", invoke.name))?;
        let ty = func.ty(&self.store);
        if ty.params().len() != invoke.args.len() {
            return Err(format!(
                "{:?} takes {} arguments, the script passes {}",
                invoke.name,
                ty.params().len(),
                invoke.args.len()
            ));
        }
        let args = invoke
            .args
            .iter()
            .zip(ty.params())
            .map(|(arg, (_, ty))| component_values::arg(arg, &ty))
            .collect::<Result<Vec<_>, _>>()?;
        // `Func::call` overwrites every result slot.
        let mut results = vec![component::Val::Bool(false); ty.results().len()];
        Ok(func
            .call(&mut self.store, &args, &mut results)
            .map(|()| Results::Component(results)))
    }

    /// Runs `exec`: a call, a global read, or a module instantiation (which has no results).
    fn exec(&mut self, exec: WastExecute<'_>) -> Result<Result<Results, weft::Error>, String> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module)?;
                let global = instance
                    .get_global(&mut self.store, global)
                    .ok_or_else(|| format!("no global exported as {global:?}"))?;
                Ok(Ok(Results::Core(vec![global.get(&mut self.store)])))
            }
            WastExecute::Wat(module) => {
                let compiled = self
                    .compile(&mut QuoteWat::Wat(module))
                    .map_err(|e| format!("the module failed to compile: {}", e.message()))?;
                Ok(match &compiled {
                    Compiled::Module(module) => self
                        .linker
                        .instantiate(&mut self.store, module)
                        .map(|_| Results::Core(Vec::new())),
                    Compiled::Component(component) => self
                        .components
                        .instantiate(&mut self.store, component)
                        .map(|_| Results::Component(Vec::new())),
                })
            }
        }
    }

    fn assert_return(
        &mut self,
        exec: WastExecute<'_>,
        expected: &[WastRet<'_>],
    ) -> Result<Outcome, String> {
        let what = describe_exec(&exec);
        let actual = match self.exec(exec)? {
            Ok(actual) => actual,
            Err(error) => {
                return Err(format!(
                    "{what}: expected {}, got error: {}",
                    describe_expected(expected),
                    first_line(&message(&error))
                ));
            }
        };
        let mut ok = actual.len() == expected.len();
        match &actual {
            Results::Core(actual) => {
                for (actual, expected) in actual.iter().zip(expected) {
                    if !values::matches(&self.store, actual, expected)
                        .map_err(|message| format!("{what}: {message}"))?
                    {
                        ok = false;
                    }
                }
            }
            Results::Component(actual) => {
                for (actual, expected) in actual.iter().zip(expected) {
                    if !component_values::matches(actual, expected)
                        .map_err(|message| format!("{what}: {message}"))?
                    {
                        ok = false;
                    }
                }
            }
        }
        if ok {
            Ok(Outcome::Pass)
        } else {
            Err(format!(
                "{what}: expected {}, got {}",
                describe_expected(expected),
                actual.describe(&self.store)
            ))
        }
    }

    /// `assert_trap`: the call, or the module's instantiation, must fail with the message.
    fn assert_trap(&mut self, exec: WastExecute<'_>, message: &str) -> Result<Outcome, String> {
        let what = describe_exec(&exec);
        let result = self.exec(exec)?;
        expect_error(&self.store, &what, result, message)
    }

    /// `assert_invalid` and `assert_malformed`: the module must fail to parse, encode or
    /// compile. The phase is checked, not the message.
    fn assert_compile_error(
        &mut self,
        module: &mut QuoteWat<'_>,
        expected: &str,
    ) -> Result<Outcome, String> {
        let message = match self.compile(module) {
            Ok(_) => {
                return Err(format!(
                    "expected the module to be rejected with {expected:?}, but it compiled"
                ));
            }
            Err(CompileError::Text(message)) => message,
            Err(CompileError::Engine(error)) => {
                if !matches!(
                    error.kind(),
                    Some(ErrorKind::Malformed { .. } | ErrorKind::Invalid { .. })
                ) {
                    return Err(format!(
                        "expected a malformed or invalid module error {expected:?}, got: {}",
                        first_line(&message(&error))
                    ));
                }
                first_line(&message(&error))
            }
        };
        Ok(message_outcome(expected, message))
    }

    /// `assert_unlinkable`: the module must compile and then fail to instantiate.
    fn assert_unlinkable(&mut self, module: Wat<'_>, expected: &str) -> Result<Outcome, String> {
        let module = self.compile(&mut QuoteWat::Wat(module)).map_err(|e| {
            format!(
                "expected a link error {expected:?}, but the module failed to compile: {}",
                e.message()
            )
        })?;
        match self.instantiate(&module) {
            Ok(_) => Err(format!(
                "expected a link error {expected:?}, but the module instantiated"
            )),
            Err(error) => Ok(message_outcome(expected, error)),
        }
    }
}

impl Results {
    fn len(&self) -> usize {
        match self {
            Results::Core(vals) => vals.len(),
            Results::Component(vals) => vals.len(),
        }
    }

    fn describe(&self, store: &Store<()>) -> String {
        match self {
            Results::Core(vals) => values::describe_all(store, vals),
            Results::Component(vals) => component_values::describe_all(vals),
        }
    }
}

/// Defines `exports` of the component `instance` in `target`, nested instances recursively.
fn define_exports(
    target: &mut component::LinkerInstance<'_, ()>,
    instance: &component::Instance,
    exports: Vec<(String, component::Export)>,
) -> weft::Result<()> {
    for (name, export) in exports {
        match export {
            component::Export::Func(func) => {
                target.func_new(&name, move |mut store, _, params, results| {
                    func.call(&mut store, params, results)
                })?;
            }
            component::Export::Module(module) => target.module(&name, &module)?,
            component::Export::Instance(inner) => {
                let nested: Vec<(String, component::Export)> = inner
                    .names()
                    .filter_map(|n| {
                        instance
                            .get_export_of(&inner, n)
                            .map(|export| (n.to_string(), export))
                    })
                    .collect();
                define_exports(&mut target.instance(&name)?, instance, nested)?;
            }
            // The instance's own resource type: later components import it as itself,
            // and its destructor stays the instance's.
            component::Export::Resource(ty) => target.resource(&name, ty, |_, _| Ok(()))?,
            _ => {}
        }
    }
    Ok(())
}

/// Passes when `message` contains `expected`; otherwise passes with the mismatch noted.
fn message_outcome(expected: &str, message: String) -> Outcome {
    if message.contains(expected) {
        Outcome::Pass
    } else {
        Outcome::MessageMismatch(format!("expected {expected:?}, got: {message}"))
    }
}

/// `assert_trap` and `assert_exhaustion`: `result` must be an error whose message contains
/// `expected`.
fn expect_error(
    store: &Store<()>,
    what: &str,
    result: Result<Results, weft::Error>,
    expected: &str,
) -> Result<Outcome, String> {
    match result {
        Ok(values) => Err(format!(
            "{what}: expected a trap {expected:?}, got {}",
            values.describe(store)
        )),
        Err(error) => {
            let message = message(&error);
            if trap_message_matches(&message, expected) {
                Ok(Outcome::Pass)
            } else {
                Err(format!(
                    "{what}: expected a trap {expected:?}, got error: {}",
                    first_line(&message)
                ))
            }
        }
    }
}

/// Whether the error message `actual` reports the trap the script expects.
///
/// The spec interpreter names the table index in one message, `uninitialized element 7`;
/// Weft's traps carry only their [`weft::TrapCode`], whose message has no index, so for that
/// message the index is not compared.
pub(crate) fn trap_message_matches(actual: &str, expected: &str) -> bool {
    if actual.contains(expected) {
        return true;
    }
    let uninitialized = weft::TrapCode::IndirectCallToNull.message();
    match expected.strip_prefix(uninitialized) {
        Some(index) => {
            let index = index.trim_start();
            !index.is_empty()
                && index.bytes().all(|b| b.is_ascii_digit())
                && actual.contains(uninitialized)
        }
        None => false,
    }
}

/// The first line of a message (a trap's backtrace follows on the next lines).
/// The messages of `error`'s chain, outermost first and joined by `: `, without the wasm
/// backtrace.
fn message(error: &weft::Error) -> String {
    let backtrace = error
        .downcast_ref::<weft::WasmBacktrace>()
        .map(ToString::to_string);
    error
        .chain()
        .map(ToString::to_string)
        .filter(|cause| Some(cause) != backtrace.as_ref())
        .collect::<Vec<_>>()
        .join(": ")
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().to_string()
}

fn describe_expected(expected: &[WastRet<'_>]) -> String {
    let parts: Vec<String> = expected.iter().map(values::describe_expected).collect();
    format!("[{}]", parts.join(", "))
}

/// `(invoke $M "name" args...)`, for failure messages.
fn describe_invoke(invoke: &WastInvoke<'_>) -> String {
    let mut text = String::from("(invoke ");
    if let Some(id) = invoke.module {
        text.push('$');
        text.push_str(id.name());
        text.push(' ');
    }
    text.push_str(&format!("{:?}", invoke.name));
    for arg in &invoke.args {
        text.push_str(" (");
        text.push_str(&values::describe_arg(arg));
        text.push(')');
    }
    text.push(')');
    text
}

fn describe_exec(exec: &WastExecute<'_>) -> String {
    match exec {
        WastExecute::Invoke(invoke) => describe_invoke(invoke),
        WastExecute::Get { module, global, .. } => match module {
            Some(id) => format!("(get ${} {global:?})", id.name()),
            None => format!("(get {global:?})"),
        },
        WastExecute::Wat(_) => "(module ...)".to_string(),
    }
}

/// The keyword of a directive.
fn directive_name(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
    }
}
