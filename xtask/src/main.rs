//! xtask placeholder
fn main() {}
