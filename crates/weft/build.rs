//! Chooses how the interpreter chains instruction handlers.
//!
//! With optimizations on, LLVM compiles a handler's call of the next handler into a jump
//! (a sibling call), and the interpreter uses that (`weft_tail_dispatch`). Without
//! optimizations every such call would grow the host stack, so handlers return to a
//! trampoline loop instead.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(weft_tail_dispatch)");
    println!("cargo::rerun-if-env-changed=WEFT_DISPATCH");
    let opt_level = std::env::var("OPT_LEVEL").unwrap_or_default();
    let forced = std::env::var("WEFT_DISPATCH").unwrap_or_default();
    let tail = match forced.as_str() {
        "tail" => true,
        "trampoline" => false,
        _ => opt_level != "0",
    };
    if tail {
        println!("cargo::rustc-cfg=weft_tail_dispatch");
    }
}
