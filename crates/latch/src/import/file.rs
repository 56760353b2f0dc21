//! The import file: its TOML shape (`latch_types::import_file`), parsed with unknown keys
//! refused.

pub use latch_types::import_file::*;

use super::ImportError;

/// Parses TOML text. Unknown keys are errors, so typos do not pass silently.
pub fn parse(text: &str) -> Result<ImportFile, ImportError> {
    toml::from_str(text).map_err(|e| ImportError::Parse(e.to_string()))
}
