fn main() {
    // A new or changed migration must rebuild the binary that embeds it (sqlx::migrate!).
    println!("cargo:rerun-if-changed=migrations");

    // The PostgreSQL tests are compiled as ignored unless a test server is named, so a run
    // without one reports them as ignored rather than as passed having run nothing.
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=SCOPEWATCH_TEST_POSTGRES_URL");
    if std::env::var_os("SCOPEWATCH_TEST_POSTGRES_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
