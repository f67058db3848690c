//! The mandatory tests of CSAF 2.0 section 6.1 on a document's version and revision
//! history (`document.tracking`): 6.1.14 and 6.1.16 to 6.1.22.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::mandatory::{Check, arr};

/// A revision or document version: an integer or semantic version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Version {
    nums: Vec<u64>,
    pre: bool,
    text: String,
}

fn version(s: &str) -> Option<Version> {
    let core = s.split('+').next()?;
    let (core, pre) = match core.split_once('-') {
        Some((c, _)) => (c, true),
        None => (core, false),
    };
    let nums: Option<Vec<u64>> = core.split('.').map(|p| p.parse().ok()).collect();
    let nums = nums?;
    (nums.len() == 1 || nums.len() == 3).then(|| Version {
        nums,
        pre,
        text: s.to_owned(),
    })
}

/// Tests 6.1.14 and 6.1.16-6.1.22 on `document.tracking`: the version and the revision
/// history.
pub(super) fn revisions(d: &Value, c: &mut Check) {
    let Some(tracking) = d.get("tracking") else {
        return;
    };
    let status = tracking.get("status").and_then(Value::as_str).unwrap_or("");
    let released = status == "final" || status == "interim";
    let doc_version = tracking
        .get("version")
        .and_then(Value::as_str)
        .and_then(version);
    let mut items: Vec<(String, Version, usize)> = Vec::new();
    let mut kinds = HashSet::new();
    for (i, r) in arr(tracking, "revision_history") {
        let p = format!("$.document.tracking.revision_history[{i}].number");
        let Some(n) = r.get("number").and_then(Value::as_str) else {
            continue;
        };
        let Some(v) = version(n) else { continue };
        kinds.insert(v.nums.len());
        if v.pre {
            c.fail(
                "6.1.19",
                p.clone(),
                format!("revision {n} is a pre-release"),
            );
        }
        if released && v.nums[0] == 0 {
            c.fail(
                "6.1.18",
                p.clone(),
                format!("a {status} document has revision {n}"),
            );
        }
        let date = r
            .get("date")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        items.push((date, v, i));
    }
    if let Some(v) = &doc_version {
        kinds.insert(v.nums.len());
    }
    if kinds.len() > 1 {
        c.fail(
            "6.1.30",
            "$.document.tracking.revision_history",
            "integer and semantic versions are mixed",
        );
        return;
    }
    // 6.1.22
    let mut numbers = BTreeMap::new();
    for (_, v, i) in &items {
        let key = v.nums.clone();
        if numbers.insert(key, *i).is_some() {
            c.fail(
                "6.1.22",
                format!("$.document.tracking.revision_history[{i}].number"),
                format!("revision {} appears twice", v.text),
            );
        }
    }
    // 6.1.14: sorted by date, the numbers must ascend.
    let mut by_date = items.clone();
    by_date.sort_by(|a, b| {
        parse_date(&a.0)
            .cmp(&parse_date(&b.0))
            .then(a.1.nums.cmp(&b.1.nums))
    });
    for w in by_date.windows(2) {
        if w[1].1.nums < w[0].1.nums {
            c.fail(
                "6.1.14",
                format!("$.document.tracking.revision_history[{}]", w[1].2),
                "revision numbers do not ascend with their dates",
            );
            break;
        }
    }
    // 6.1.21: no gaps (integers 1..n or starting at 0; semantic major versions).
    let majors: Vec<u64> = {
        let mut m: Vec<u64> = items.iter().map(|(_, v, _)| v.nums[0]).collect();
        m.sort_unstable();
        m.dedup();
        m
    };
    if let Some(first) = majors.first() {
        let integer = items.iter().all(|(_, v, _)| v.nums.len() == 1);
        let gap = majors.windows(2).any(|w| w[1] != w[0] + 1) || *first > 1;
        if gap && integer {
            c.fail(
                "6.1.21",
                "$.document.tracking.revision_history",
                "a revision is missing",
            );
        } else if gap && !integer {
            c.fail(
                "6.1.21",
                "$.document.tracking.revision_history",
                "a major version is missing",
            );
        }
    }
    if let Some(v) = doc_version {
        // 6.1.16
        if let Some(last) = by_date.last()
            && last.1.nums != v.nums
            && !(status == "draft" && v.pre)
        {
            c.fail(
                "6.1.16",
                "$.document.tracking.version",
                format!(
                    "version {} is not the latest revision {}",
                    v.text, last.1.text
                ),
            );
        }
        // 6.1.17, 6.1.20
        if (v.nums[0] == 0 || v.pre) && status != "draft" {
            c.fail(
                "6.1.17",
                "$.document.tracking.status",
                format!("version {} must be a draft", v.text),
            );
        }
        if v.pre && released {
            c.fail(
                "6.1.20",
                "$.document.tracking.version",
                format!(
                    "a {status} document cannot have the pre-release version {}",
                    v.text
                ),
            );
        }
    }
}

fn parse_date(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_nanos_opt().unwrap_or(i64::MIN))
        .unwrap_or(i64::MIN)
}
