//! One module per subcommand.

pub mod inspect;
pub mod invoke;
pub mod run;
pub mod wast;
