//! The WebAssembly Component Model.
//!
//! # Layer 3: the component runtime
//!
//! `component.rs` and `translate.rs` validate a component and flatten it into instantiation
//! steps.

#[allow(clippy::module_inception)]
mod component;
mod translate;

pub use component::{Component, ComponentSort};
