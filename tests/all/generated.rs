//! Generated and mutated modules never crash the host.
