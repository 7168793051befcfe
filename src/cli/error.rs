//! The command line's one error path: every command returns its exit code or a
//! [`CliError`], and [`cli::main`](super::main) prints the error once, as `error: …`.

use crate::store::StoreError;

use super::{EXIT_FAILURE, EXIT_USAGE};

/// Why a command stopped, and the exit code that says so.
#[derive(Debug)]
pub struct CliError {
    /// `2` for bad usage or an unusable argument, `1` for any other failure.
    pub code: u8,
    /// One line (or a short paragraph) for stderr.
    pub message: String,
}

impl CliError {
    /// Bad usage: a wrong argument, an unknown page or rule, an unusable database URL.
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    /// Anything else that stopped the command: the store, the network, the output.
    pub fn failure(message: impl Into<String>) -> CliError {
        CliError {
            code: EXIT_FAILURE,
            message: message.into(),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> CliError {
        match e {
            StoreError::BadUrl(_) | StoreError::InvalidPage(_) => CliError::usage(e.to_string()),
            other => CliError::failure(other.to_string()),
        }
    }
}

/// What every command returns: the exit code of a command that ran (`1` when lint found
/// errors or a run failed, both reported on stdout), or the error that stopped it.
pub type CliResult = Result<u8, CliError>;
