//! `concord-testpg`: starts a throwaway PostgreSQL server, prints its base URL on one line
//! and keeps it until its standard input closes (then stops it and removes its files).
//! `scripts/test` runs it once for the whole suite and exports the URL as
//! `TESTPG_URL`, so that each test process makes only a database on it.

fn main() {
    let server = match concord_testpg::Server::start() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("concord-testpg: {e}");
            std::process::exit(2);
        }
    };
    println!("{}", server.base_url());
    // Waits for end of input: the caller closed its side, or died.
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
        sink.clear();
    }
    drop(server);
}
