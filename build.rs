// The migrations are built into the binary (`sqlx::migrate!`); a new or changed file in
// migrations/ or migrations_pg/ must rebuild it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations_pg");
}
