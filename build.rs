// The migrations are built into the binary (`sqlx::migrate!`); a new or changed file in
// migrations/ must rebuild it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
