// Migrations are embedded by `sqlx::migrate!`; edited SQL must re-embed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
