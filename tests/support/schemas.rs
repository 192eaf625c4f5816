// Schema fixtures shared by the unit tests of `src/` (which include this file) and the
// integration tests and benches (through `support`).

/// An Avro schema of `levels` record types, each with two fields of the next, the last with
/// `leaf_nulls` `null` fields: 2^(levels - 1) paths to the last. Written as a union of the
/// types, the deepest first, so that each definition names the one before it.
pub fn shared_types(levels: usize, leaf_nulls: usize) -> String {
    let leaf: Vec<String> = ["a", "b", "c", "d"][..leaf_nulls]
        .iter()
        .map(|name| format!(r#"{{"name":"{name}","type":"null"}}"#))
        .collect();
    let mut types = vec![format!(
        r#"{{"type":"record","name":"T{}","fields":[{}]}}"#,
        levels - 1,
        leaf.join(",")
    )];
    for level in (0..levels - 1).rev() {
        let next = level + 1;
        types.push(format!(
            r#"{{"type":"record","name":"T{level}","fields":[{{"name":"a","type":"T{next}"}},{{"name":"b","type":"T{next}"}}]}}"#
        ));
    }
    format!("[{}]", types.join(","))
}
