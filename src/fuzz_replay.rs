//! The replay of the fuzz targets' kept inputs (`fuzz/regressions/<target>/`, corpus files and
//! crashes kept by `make fuzz-keep`), which `cargo test` runs for every target.

/// Runs `check` on every kept input of `target`; there must be at least one.
pub(crate) fn replay(target: &str, check: impl Fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
        let path = entry.expect("a directory entry").path();
        check(&std::fs::read(&path).expect("a kept input"));
        replayed += 1;
    }
    assert!(replayed > 0, "no kept inputs for {target}");
}
