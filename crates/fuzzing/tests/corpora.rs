//! Replays every input under `fuzz/corpus/TARGET/` (the seeds and what
//! fuzzing kept) and `fuzz/artifacts/TARGET/` (crashes once found, now
//! fixed) through its target: none may panic. Every target must have a
//! corpus, so a new target cannot go unreplayed.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn every_saved_input_of_every_target_runs_clean() {
    let mut total = 0;
    for (name, target) in entrepot_fuzzing::TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(name));
        assert!(!corpus.is_empty(), "fuzz/corpus/{name} has no inputs");
        let artifacts = inputs(&fuzz_dir().join("artifacts").join(name));
        for input in corpus.iter().chain(&artifacts) {
            let data = std::fs::read(input).unwrap();
            target(&data);
            total += 1;
        }
    }
    eprintln!("replayed {total} inputs");
}

#[test]
fn every_target_has_a_harness() {
    for (name, _) in entrepot_fuzzing::TARGETS {
        let harness = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(harness.is_file(), "{} is missing", harness.display());
    }
}
