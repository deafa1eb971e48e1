//! weft-wast
