//! The core's layers go one way (ARCHITECTURE.md): each file imports only from its own layer
//! and those below it. The compiler keeps the crates apart; this keeps the layers inside the
//! core apart, by reading every `crate::` path in the sources.

use std::path::{Path, PathBuf};

/// The layers, lowest first: a file in `src/<layer>` (or `src/<layer>.rs`) may name
/// `crate::<layer>` paths of its own layer and of those before it only.
const LAYERS: &[&str] = &[
    "error",
    "state",
    "scripting",
    "persist",
    "server",
    "exec",
    "commands",
    "session",
    "startup",
    "replica",
];

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The layer of a source file, from its place under `src`; `None` for the crate root.
fn layer_of(relative: &Path) -> Option<usize> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    LAYERS.iter().position(|layer| *layer == name)
}

#[test]
fn no_file_imports_from_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut upward = Vec::new();
    let mut placed = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        // The crate root declares every layer; test modules may reach any of them.
        let test_only = relative
            .components()
            .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "tests.rs");
        if relative == Path::new("lib.rs") || test_only {
            continue;
        }
        let own = layer_of(relative)
            .unwrap_or_else(|| panic!("{} is in no layer of LAYERS", relative.display()));
        placed += 1;
        let text = std::fs::read_to_string(file).expect("readable");
        for (number, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices("crate::") {
                let rest = &line[at + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let Some(used) = LAYERS.iter().position(|layer| *layer == name) else {
                    continue;
                };
                if used > own {
                    upward.push(format!(
                        "{}:{}: {} ({} is above {})",
                        relative.display(),
                        number + 1,
                        line.trim(),
                        LAYERS[used],
                        LAYERS[own]
                    ));
                }
            }
        }
    }
    assert!(placed > 50, "only {placed} source files found");
    assert!(
        upward.is_empty(),
        "imports that run up the layers:\n{}",
        upward.join("\n")
    );
}
