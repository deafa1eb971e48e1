//! weft-wasi
