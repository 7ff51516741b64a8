//! The linked SQLite must be recent enough: versions before 3.51.3 have a WAL-reset bug that
//! can corrupt a database written by several processes, which is exactly how lore is used.

#[test]
fn linked_sqlite_is_at_least_3_51_3() {
    let v = rusqlite::version_number();
    assert!(
        v >= 3_051_003,
        "linked SQLite is {} (< 3.51.3)",
        rusqlite::version()
    );
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    // FTS5 is compiled in.
    conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(x, content='', contentless_delete=1)")
        .unwrap();
}
