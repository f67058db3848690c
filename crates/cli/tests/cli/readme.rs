//! The README's command blocks, run (issue 27: README examples that stay valid).
//!
//! Convention: every fenced block of README.md whose info string is `sh` (or `console`,
//! whose `$ ` lines are the commands) is run, in the README's order, as one bash script
//! (`set -e`: the first failing command fails the test, named with its README line) in a
//! copy of `tests/data/readme/`, with `concord` the built binary. A block marked
//! `sh norun: <reason>` is not run; the reason is required. Within the run:
//! - `concord serve` returns once the node listens and leaves it running in the
//!   background (a `&` after it is dropped), so that later commands find it ready; every
//!   node started is stopped at the end;
//! - the ports 7470, 7471 and 7472 are replaced by free ones (and `CONCORD_LISTEN` points
//!   at the first), so that the test never meets another process on those ports.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::node::free_port;

/// One block to run: its first line's number in README.md and its lines.
struct Block {
    line: usize,
    commands: Vec<(usize, String)>,
}

/// The blocks of `text` to run; panics on a `norun` block without a reason.
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(String, Block)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match open.take() {
                Some((lang, block)) => {
                    if lang == "run-sh" || lang == "run-console" {
                        out.push(block);
                    }
                }
                None => {
                    let info = info.trim();
                    let (lang, rest) = info.split_once(' ').unwrap_or((info, ""));
                    let run = match lang {
                        "sh" | "console" => match rest.trim().strip_prefix("norun:") {
                            Some(reason) => {
                                assert!(
                                    !reason.trim().is_empty(),
                                    "README.md line {n}: `norun:` needs a reason"
                                );
                                false
                            }
                            None => {
                                assert!(
                                    rest.trim().is_empty(),
                                    "README.md line {n}: unknown mark {rest:?} (only `norun: <reason>`)"
                                );
                                true
                            }
                        },
                        _ => false,
                    };
                    let kind = if run {
                        format!("run-{lang}")
                    } else {
                        lang.to_owned()
                    };
                    open = Some((
                        kind,
                        Block {
                            line: n,
                            commands: Vec::new(),
                        },
                    ));
                }
            }
            continue;
        }
        if let Some((lang, block)) = &mut open {
            let command = if lang == "run-console" {
                trimmed.strip_prefix("$ ").map(str::to_owned)
            } else {
                Some(line.to_owned())
            };
            if let Some(c) = command {
                block.commands.push((n, c));
            }
        }
    }
    assert!(open.is_none(), "README.md ends inside a code block");
    out
}

/// `concord serve ... &` without the `&` (the test's `concord serve` backgrounds itself).
fn serve_in_foreground(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(" serve") {
        let (head, tail) = rest.split_at(at + " serve".len());
        out.push_str(head);
        let end = tail.find(['&', ';', '|', '#']).unwrap_or(tail.len());
        out.push_str(&tail[..end]);
        rest = &tail[end..];
        if let Some(after) = rest.strip_prefix('&').filter(|r| !r.starts_with('&')) {
            out.push(';');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The `concord` the blocks run: the built binary, whose `serve` starts in the
/// background and returns once it prints that it listens (read from a FIFO: no polling).
const WRAPPER: &str = r#"#!/usr/bin/env bash
set -u
args=("$@")
i=0
while [ "$i" -lt "${#args[@]}" ]; do
  case "${args[$i]}" in
    --data-dir) i=$((i + 2)) ;;
    --data-dir=*) i=$((i + 1)) ;;
    *) break ;;
  esac
done
if [ "${args[$i]:-}" = serve ]; then
  fifo=$(mktemp -u "$SCRATCH/serve.XXXXXX")
  mkfifo "$fifo"
  "$CONCORD_BIN" "$@" >"$fifo" 2>>"$fifo.log" &
  echo $! >>"$SCRATCH/serve.pids"
  exec 3<"$fifo"
  while IFS= read -r line <&3; do
    printf '%s\n' "$line"
    case "$line" in
      *"listening on"*)
        cat <&3 >/dev/null 2>&1 &
        exit 0 ;;
    esac
  done
  echo "concord $*: stopped before listening:" >&2
  cat "$fifo.log" >&2
  exit 1
fi
exec "$CONCORD_BIN" "$@"
"#;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Stops the nodes the blocks started, also when the test fails.
struct Nodes(PathBuf);

impl Drop for Nodes {
    fn drop(&mut self) {
        let pids = std::fs::read_to_string(self.0.join("serve.pids")).unwrap_or_default();
        for pid in pids.split_whitespace() {
            let _ = Command::new("kill").arg(pid).status();
        }
    }
}

#[test]
fn readme_command_blocks_run_on_a_scratch_node() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../../README.md")).unwrap();
    let blocks = blocks(&readme);
    assert!(blocks.len() >= 8, "only {} runnable blocks", blocks.len());

    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path().join("work");
    copy_dir(&root.join("tests/data/readme"), &work);
    let bin = scratch.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let wrapper = bin.join("concord");
    std::fs::write(&wrapper, WRAPPER).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let _nodes = Nodes(scratch.path().to_owned());

    let ports = [free_port(), free_port(), free_port()];
    let mut script =
        String::from("set -eo pipefail\ntrap 'echo \"README_FAILED_AT $LINENO\" >&2' ERR\n");
    // Script line -> README line.
    let mut lines = vec![0, 0];
    for b in &blocks {
        script.push_str(&format!("echo '### README.md line {}' >&2\n", b.line));
        lines.push(b.line);
        for (n, command) in &b.commands {
            let mut c = serve_in_foreground(command);
            for (fixed, port) in ["7470", "7471", "7472"].iter().zip(ports) {
                c = c.replace(fixed, &port.to_string());
            }
            script.push_str(&c);
            script.push('\n');
            lines.push(*n);
        }
    }
    let script_file = scratch.path().join("readme.sh");
    std::fs::write(&script_file, &script).unwrap();

    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("timeout")
        .args(["600", "bash"])
        .arg(&script_file)
        .current_dir(&work)
        .env("PATH", path)
        .env("CONCORD_BIN", env!("CARGO_BIN_EXE_concord"))
        .env("SCRATCH", scratch.path())
        .env("CONCORD_LISTEN", format!("127.0.0.1:{}", ports[0]))
        .env("CONCORD_LOG", "warn")
        .env_remove("CONCORD_DATA_DIR")
        .output()
        .expect("bash and timeout run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let at = stderr
            .lines()
            .find_map(|l| l.strip_prefix("README_FAILED_AT "))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .and_then(|n| lines.get(n - 1).copied())
            .map_or_else(
                || "an unknown line".to_owned(),
                |n| format!("line {n}: {}", readme.lines().nth(n - 1).unwrap_or("")),
            );
        panic!(
            "a README command failed ({}) at README.md {at}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            out.status
        );
    }
}

#[test]
fn a_serve_line_keeps_its_commands_but_not_its_ampersands() {
    assert_eq!(
        serve_in_foreground(
            "concord --data-dir a serve --listen X &  concord --data-dir b serve &"
        ),
        "concord --data-dir a serve --listen X ;  concord --data-dir b serve ;"
    );
    assert_eq!(
        serve_in_foreground("concord serve &       # or in another terminal"),
        "concord serve ;       # or in another terminal"
    );
    assert_eq!(serve_in_foreground("concord import x"), "concord import x");
    assert_eq!(
        serve_in_foreground("concord serve && echo up"),
        "concord serve && echo up"
    );
}
