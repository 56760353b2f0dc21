//! The build script of the crates whose tests run on both backends (`latch-store`, `latch`):
//! when a backend is not configured, it sets a cfg that marks those tests `#[ignore]`, so
//! `cargo test` lists them as ignored rather than as passed. Under CI neither cfg is set: a
//! missing service fails the run there (`latch_testing::skipped`).
//!
//! - `latch_no_test_postgres`: no `LATCH_TEST_DATABASE_URL`.
//! - `latch_no_test_production`: no `LATCH_TEST_DATABASE_URL` or no `LATCH_TEST_REDIS_URL`.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(latch_no_test_postgres)");
    println!("cargo::rustc-check-cfg=cfg(latch_no_test_production)");
    for var in ["LATCH_TEST_DATABASE_URL", "LATCH_TEST_REDIS_URL", "CI"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty());
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    if ci {
        return;
    }
    if !set("LATCH_TEST_DATABASE_URL") {
        println!("cargo::rustc-cfg=latch_no_test_postgres");
    }
    if !(set("LATCH_TEST_DATABASE_URL") && set("LATCH_TEST_REDIS_URL")) {
        println!("cargo::rustc-cfg=latch_no_test_production");
    }
}
