// A new or changed migration must rebuild the binary that embeds it (sqlx::migrate!).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
