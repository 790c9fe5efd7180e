//! The terminal tables name only what the architecture has.

use scaletwin::report::render_table;

fn table_of(file: &str, sets: &[&str]) -> String {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let (_, plan) = scaletwin::scenario::load(Some(&path), &sets).unwrap();
    render_table(&scaletwin::simulate(&plan))
}

fn database_line(table: &str) -> &str {
    table
        .lines()
        .find(|l| l.starts_with("database "))
        .expect("a database line")
}

#[test]
fn a_plain_database_shows_no_shard_pool_or_replica_counters() {
    let t = table_of(
        "scenarios/default.ron",
        &["run.duration=\"40s\"", "run.warmup=\"5s\""],
    );
    let line = database_line(&t);
    assert!(line.starts_with("database pg  reads "), "{line}");
    for noise in [
        "hottest shard",
        "connections open",
        "stale replica",
        "read-your-writes",
    ] {
        assert!(!line.contains(noise), "{noise} in {line}");
    }
}

#[test]
fn shards_pools_and_replicas_show_their_counters() {
    let shards = table_of("scenarios/data-shards.ron", &[]);
    assert!(database_line(&shards).contains("hottest shard"));
    assert!(!database_line(&shards).contains("connections open"));
    let bouncer = table_of("scenarios/data-pgbouncer.ron", &[]);
    assert!(database_line(&bouncer).contains("connections open"));
    assert!(database_line(&bouncer).contains("max 100"));
    let replicas = table_of("scenarios/data-replicas.ron", &[]);
    let line = database_line(&replicas);
    assert!(line.contains("stale replica reads") && line.contains("read-your-writes reads"));
    assert!(!line.contains("hottest shard"));
}

#[test]
fn byte_counts_carry_units() {
    let t = table_of("scenarios/cdn.ron", &[]);
    let header = t.lines().position(|l| l.contains("edge bytes")).unwrap();
    let row = t.lines().nth(header + 1).unwrap();
    assert!(
        row.contains(" GB") || row.contains(" MB") || row.contains(" KB"),
        "{row}"
    );
}

#[test]
fn an_l1_no_endpoint_reads_has_no_row() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/data-cache-tiers.ron"),
    )
    .unwrap();
    let with = crate::run_text(&text);
    assert!(render_table(&with).contains("api/l1"));
    // The api keeps its L1, but no endpoint reads through it any more.
    let without = text
        .replace(
            "CacheAside(tiers: [L1, \"redis\"]",
            "CacheAside(tiers: [\"redis\"]",
        )
        .replace("Invalidate([L1, \"redis\"])", "Invalidate([\"redis\"])");
    assert_ne!(without, text);
    let t = render_table(&crate::run_text(&without));
    assert!(!t.contains("api/l1"), "{t}");
}
