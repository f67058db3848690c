//! The reads driven by `wrk`: closed-loop runs of random pages and ids, and one run's
//! figures.

use super::{PASSWORD, Settings, TAXII, Target, USER, Work, cpu_seconds_of};

/// The same reads driven by `wrk` (a separate C process that does not parse the answers,
/// so the server gets the CPU the in-process client would take): `s.clients` connections
/// on random pages of the whole collection / random ids, `s.budget` long each.
pub(super) fn wrk_runs(
    t: &Target,
    pages: &[(Work, Vec<String>)],
    s: &Settings,
    server: Option<u32>,
) {
    if !wrk_installed() {
        return;
    }
    let mut sets: Vec<(&str, Vec<String>)> = pages
        .iter()
        .map(|(work, urls)| (work.label(), wrk_paths(t, *work, urls)))
        .collect();
    let (_, prefix) = split_url(&t.collection_url);
    sets.push((
        Work::ById.label(),
        t.ids
            .iter()
            .map(|id| format!("{prefix}/objects/{id}/"))
            .collect(),
    ));
    println!(
        "wrk, {} connections, 1 thread, {}s per run, random pages/ids:",
        s.clients,
        s.budget.as_secs()
    );
    let (origin, _) = split_url(&t.collection_url);
    for (label, list) in sets {
        let r = wrk_once(origin, &list, s, server);
        println!("{label:<30} {r}");
    }
}

pub(super) fn wrk_installed() -> bool {
    let there = std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok();
    if !there {
        println!("wrk not installed (apt-get install wrk): no wrk runs");
    }
    there
}

/// `(origin, path prefix)` of a collection URL.
pub(super) fn split_url(collection_url: &str) -> (&str, &str) {
    let base = collection_url.trim_end_matches('/');
    base.split_at(base.find("/taxii2").unwrap())
}

/// The paths of the pages of a walk (`urls`: the `&next=` tails) for wrk.
pub(super) fn wrk_paths(t: &Target, work: Work, urls: &[String]) -> Vec<String> {
    let (_, prefix) = split_url(&t.collection_url);
    let path = if work == Work::Objects {
        "objects"
    } else {
        "manifest"
    };
    urls.iter()
        .map(|u| format!("{prefix}/{path}/?limit=100{u}"))
        .collect()
}

/// One wrk run's figures.
pub(super) struct WrkRun {
    rps: f64,
    p50: String,
    p90: String,
    p99: String,
    /// This process's CPU per request, microseconds.
    cpu_us: f64,
    errors: String,
}

impl std::fmt::Display for WrkRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>10.2} req/s  p50 {:>9}  p90 {:>9}  p99 {:>9}  server CPU {:>5.0} us/req  ({})",
            self.rps, self.p50, self.p90, self.p99, self.cpu_us, self.errors
        )
    }
}

/// wrk with `s.clients` connections for `s.budget` on random paths of `list` at `origin`.
/// `server`: the process whose CPU is counted (this one for `None`).
pub(super) fn wrk_once(origin: &str, list: &[String], s: &Settings, server: Option<u32>) -> WrkRun {
    let dir = tempfile::tempdir().unwrap();
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let file = dir.path().join("paths.txt");
    std::fs::write(&file, list.join("\n")).unwrap();
    let script = dir.path().join("paths.lua");
    std::fs::write(
        &script,
        format!(
            "local paths = {{}}\nfor l in io.lines({:?}) do paths[#paths + 1] = l end\n\
             request = function() return wrk.format(\"GET\", paths[math.random(#paths)]) end\n",
            file.display().to_string()
        ),
    )
    .unwrap();
    let cpu0 = cpu_seconds_of(server);
    let out = std::process::Command::new("wrk")
        .args(["-t1", &format!("-c{}", s.clients)])
        .arg(format!("-d{}s", s.budget.as_secs()))
        .args(["--latency", "-H", &format!("Accept: {TAXII}")])
        .args(["-H", &format!("Authorization: Basic {auth}")])
        .arg("-s")
        .arg(&script)
        .arg(origin)
        .output()
        .expect("wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        .unwrap_or("no errors")
        .trim()
        .to_owned();
    let cpu = cpu_seconds_of(server) - cpu0;
    let total: f64 = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(f64::NAN);
    WrkRun {
        rps: field("Requests/sec:").parse().unwrap_or(f64::NAN),
        p50: field("50%"),
        p90: field("90%"),
        p99: field("99%"),
        cpu_us: cpu * 1e6 / total,
        errors,
    }
}
