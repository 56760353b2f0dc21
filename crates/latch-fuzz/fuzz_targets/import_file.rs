//! A `latch import` file as the server reads it: any text parsed into the import shape
//! (unknown keys refused) never panics, and a parsed file's `Debug` output hides every password
//! and client secret it holds.
#![no_main]

use latch_types::import_file::ImportFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(file) = toml::from_str::<ImportFile>(text) else { return };
    let debug = format!("{file:?}");
    let sensitive = file.users.iter().filter(|u| u.password.is_some()).count()
        + file.applications.iter().filter(|a| a.secret.is_some()).count();
    assert!(debug.matches("\"(hidden)\"").count() >= sensitive, "a secret reached Debug output: {debug}");
});
