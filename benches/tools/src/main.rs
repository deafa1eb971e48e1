//! `wasm-prep`: helper for `benches/build.sh`.
//!
//! - `prep IN OUT`: checks that IN uses only WebAssembly 2.0 features without SIMD, imports
//!   nothing and exports `run`, then writes it to OUT without custom sections other than
//!   `name`.
//! - `prep-simd IN OUT`: the same for a module that must use the fixed-width SIMD proposal
//!   (it is refused if it validates without it).
//! - `prep-wat IN.wat OUT.wasm`: the same for a text module (without the `run` check).
//! - `checksum FILE`: instantiates FILE under wasmi, calls `run` and prints the result
//!   (the time taken goes to stderr).
//! - `print FILE`: prints FILE in the text format.

use anyhow::{Context, Result, bail, ensure};
use std::time::Instant;
use wasmparser::{Parser, Payload, Validator, WasmFeatures};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["prep", input, output] => {
            let bytes = std::fs::read(input).with_context(|| format!("reading {input}"))?;
            let out = prep(&bytes, true).with_context(|| format!("checking {input}"))?;
            std::fs::write(output, &out).with_context(|| format!("writing {output}"))?;
            eprintln!("{output}: {} bytes (was {})", out.len(), bytes.len());
        }
        ["prep-simd", input, output] => {
            let bytes = std::fs::read(input).with_context(|| format!("reading {input}"))?;
            ensure!(
                Validator::new_with_features(wasm2_without_simd())
                    .validate_all(&bytes)
                    .is_err(),
                "{input} does not use SIMD"
            );
            let out = prep_with(&bytes, true, WasmFeatures::WASM2)
                .with_context(|| format!("checking {input}"))?;
            std::fs::write(output, &out).with_context(|| format!("writing {output}"))?;
            eprintln!("{output}: {} bytes (was {})", out.len(), bytes.len());
        }
        ["prep-wat", input, output] => {
            let bytes = wat::parse_file(input).with_context(|| format!("parsing {input}"))?;
            let out = prep(&bytes, false).with_context(|| format!("checking {input}"))?;
            std::fs::write(output, &out).with_context(|| format!("writing {output}"))?;
            eprintln!("{output}: {} bytes", out.len());
        }
        ["checksum", file] => {
            let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
            let (value, millis) = checksum(&bytes).with_context(|| format!("running {file}"))?;
            eprintln!("{file}: run took {millis:.1} ms under wasmi");
            println!("{value}");
        }
        ["print", file] => {
            let text = wasmprinter::print_file(file)?;
            println!("{text}");
        }
        _ => bail!(
            "usage: wasm-prep prep IN OUT | prep-wat IN.wat OUT.wasm | checksum FILE | print FILE"
        ),
    }
    Ok(())
}

/// WebAssembly 2.0 without the fixed-width SIMD proposal.
fn wasm2_without_simd() -> WasmFeatures {
    let mut features = WasmFeatures::WASM2;
    features.remove(WasmFeatures::SIMD);
    features.remove(WasmFeatures::RELAXED_SIMD);
    features
}

/// Validates `bytes` and returns them with every custom section except `name` removed.
fn prep(bytes: &[u8], needs_run: bool) -> Result<Vec<u8>> {
    prep_with(bytes, needs_run, wasm2_without_simd())
}

/// [`prep`] with the features `bytes` may use.
fn prep_with(bytes: &[u8], needs_run: bool, features: WasmFeatures) -> Result<Vec<u8>> {
    let mut validator = Validator::new_with_features(features);
    validator
        .validate_all(bytes)
        .context("not a valid WebAssembly 2.0 module with the allowed features")?;

    let mut has_run = false;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::ImportSection(imports) => {
                ensure!(
                    imports.count() == 0,
                    "module has {} imports",
                    imports.count()
                );
            }
            Payload::ExportSection(exports) => {
                for export in exports {
                    has_run |= export?.name == "run";
                }
            }
            _ => {}
        }
    }
    ensure!(has_run || !needs_run, "module does not export `run`");

    strip_custom_sections(bytes)
}

/// Reads an unsigned LEB128 u32 at `*pos`.
fn read_u32(bytes: &[u8], pos: &mut usize) -> Result<u32> {
    let mut result = 0u32;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(*pos).context("truncated LEB128")?;
        *pos += 1;
        result |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(result);
        }
        shift += 7;
        ensure!(shift < 35, "LEB128 too long");
    }
}

/// Copies the module header and every section except custom sections not named `name`.
fn strip_custom_sections(bytes: &[u8]) -> Result<Vec<u8>> {
    ensure!(bytes.len() >= 8, "too short for a module header");
    let mut out = bytes[..8].to_vec();
    let mut pos = 8;
    while pos < bytes.len() {
        let start = pos;
        let id = bytes[pos];
        pos += 1;
        let size = read_u32(bytes, &mut pos)? as usize;
        let body = pos;
        let end = body.checked_add(size).context("section size overflow")?;
        ensure!(end <= bytes.len(), "section runs past the end");
        let keep = if id == 0 {
            let mut p = body;
            let len = read_u32(bytes, &mut p)? as usize;
            bytes.get(p..p + len) == Some(b"name".as_slice())
        } else {
            true
        };
        if keep {
            out.extend_from_slice(&bytes[start..end]);
        }
        pos = end;
    }
    Ok(out)
}

/// Runs the module's `run` export under wasmi and returns its result as i64 and the
/// milliseconds the call took.
fn checksum(bytes: &[u8]) -> Result<(i64, f64)> {
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, bytes)?;
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module)?;
    let func = instance
        .get_func(&store, "run")
        .context("no `run` export")?;
    let mut results = [wasmi::Val::I64(0)];
    let ty = func.ty(&store);
    ensure!(
        ty.params().is_empty() && ty.results().len() == 1,
        "`run` must take no parameters and return one value"
    );
    let start = Instant::now();
    func.call(&mut store, &[], &mut results)?;
    let millis = start.elapsed().as_secs_f64() * 1e3;
    let value = match results[0] {
        wasmi::Val::I64(v) => v,
        wasmi::Val::I32(v) => i64::from(v),
        ref other => bail!("`run` returned {other:?}"),
    };
    Ok((value, millis))
}
