//! Replies compared byte for byte with a real redis-server, on both runtimes.

use radish_tests::differential::{corpus_dir, run_corpus_file};
use radish_tests::{RedisServer, RUNTIMES};

#[test]
fn every_corpus_reply_matches_redis_on_both_runtimes() {
    let redis = RedisServer::start();
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "corpus files missing: {files:?}");
    let mut report = Vec::new();
    for runtime in RUNTIMES {
        // As the reference server: DEBUG (DIGEST) allowed from local clients.
        let radish = runtime.start_with(&["enable-debug-command local"]);
        for file in &files {
            let mismatches = run_corpus_file(file, redis.addr, radish.addr).expect("corpus run");
            for m in mismatches {
                report.push(format!("[{runtime:?}] {m}"));
            }
        }
    }
    assert!(
        report.is_empty(),
        "{} replies differ from redis-server:\n{}",
        report.len(),
        report.join("\n")
    );
}
