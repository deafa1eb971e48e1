//! The error a guest's `proc_exit` raises.

use core::fmt;

/// The guest asked to exit with this status (`proc_exit` in WASI preview 1).
///
/// Host functions return it as a [`weft::Error`], which ends the call into WebAssembly;
/// embedders recover it with [`weft::Error::downcast_ref`] and usually exit the process with
/// the status:
///
/// ```
/// # fn status(error: &weft::Error) -> Option<i32> {
/// error.downcast_ref::<weft_wasi::I32Exit>().map(|exit| exit.0)
/// # }
/// # assert_eq!(status(&weft::Error::new(weft_wasi::I32Exit(3))), Some(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct I32Exit(pub i32);

impl fmt::Display for I32Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Exited with i32 exit status {}", self.0)
    }
}

impl std::error::Error for I32Exit {}
