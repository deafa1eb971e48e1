//! Weft's register bytecode: the form every function body is translated into.

/// A translated function body, ready to execute.
#[derive(Debug)]
pub(crate) struct CompiledFunc {}
