//! The hostile corpus: small inputs that once took the host down (memory blow-ups, aborts,
//! hangs, panics). Each test is a regression test for one defect.
//!
//! The whole binary runs under a 2 GiB address-space limit (`RLIMIT_AS`), set before any test
//! starts, so that a regression fails a test (an allocation error, a refused mapping) instead of
//! taking the machine down. Nothing in Weft may reserve address space it does not commit.

// Tests state their expectations with `expect`: a failed one is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod component;
mod component_abi;
mod exec;
mod memory;
mod translate;

/// The address-space limit of this test process.
const ADDRESS_SPACE_LIMIT: u64 = 2 << 30;

fn main() {
    limit_address_space();
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = Vec::new();
    trials.extend(translate::trials());
    trials.extend(memory::trials());
    trials.extend(exec::trials());
    trials.extend(component_abi::trials());
    trials.extend(component::trials());
    libtest_mimic::run(&args, trials).exit();
}

/// Caps this process's address space at [`ADDRESS_SPACE_LIMIT`].
fn limit_address_space() {
    let limit = rustix::process::Rlimit {
        current: Some(ADDRESS_SPACE_LIMIT),
        maximum: Some(ADDRESS_SPACE_LIMIT),
    };
    if let Err(error) = rustix::process::setrlimit(rustix::process::Resource::As, limit) {
        panic!("cannot limit the address space of the hostile tests: {error}");
    }
}

/// A trial named `name` that runs `test`.
fn trial(name: &str, test: fn()) -> libtest_mimic::Trial {
    libtest_mimic::Trial::test(name, move || {
        test();
        Ok(())
    })
}
