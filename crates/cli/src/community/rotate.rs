//! `concord community rotate`: a new node key, the rotation entry signed by the old and
//! the new key in every community the node is a member of, and the pending key file
//! (`node.key.next`) that replaces `node.key` once the rotation is in effect
//! ([`take_over_if_due`], called whenever the node reads its key; a running `serve`
//! watches for [`due`] and restarts itself in place then). The node keeps its id, the
//! one its first key gave it (`node.id`, written at the first take-over): the other
//! members know the new key as that id's from the log.

use std::path::Path;

use anyhow::{Context, bail};
use concord_community::entry::{add_secs, check_time};
use concord_federation::governance::{Communities, publish_rotation};
use concord_federation::identity::{NodeKey, fingerprint};
use concord_stix::Timestamp;
use concord_store::atomic::{Mode, write};

use crate::node::Node;

/// The new key waiting for its effective time: its hex seed and that time, on one line.
pub const NEXT_KEY_FILE: &str = "node.key.next";

/// Signs and publishes the rotation, then stores the new key as pending.
pub(super) fn rotate(node: &Node, effective: Option<String>, in_secs: u64) -> anyhow::Result<()> {
    let next = node.dir.join(NEXT_KEY_FILE);
    if next.exists() {
        bail!(
            "a rotation is already pending ({}); it takes over when its time comes",
            next.display()
        );
    }
    let now = Timestamp::now_millis();
    let effective = effective.unwrap_or_else(|| add_secs(&now, in_secs));
    check_time("effective", &effective).with_context(|| {
        format!("--effective {effective:?}: give a UTC time such as 2026-12-31T12:00:00.000Z")
    })?;
    if effective < now {
        bail!("--effective {effective} is in the past");
    }
    let old = crate::federation::node_key(&node.dir)?;
    let new = NodeKey::generate()?;
    let communities = Communities::default();
    let held = communities.states(&node.store)?;
    let mine: Vec<_> = held
        .iter()
        .filter(|s| {
            s.members
                .values()
                .any(|m| m.keys.iter().any(|k| k.key == old.public_hex()))
        })
        .collect();
    if mine.is_empty() {
        bail!("this node is a member of no community held here; nothing to rotate in");
    }
    // The key is saved first: a rotation published without its key would lock the node out.
    write(
        &next,
        format!("{} {effective}\n", new.seed_hex()).as_bytes(),
        Mode::Private,
    )
    .with_context(|| format!("cannot write {}", next.display()))?;
    for s in mine {
        let published = publish_rotation(
            &node.store,
            &communities,
            &old,
            &new,
            Some(&s.community),
            &effective,
        );
        if let Err(e) = published {
            let _ = std::fs::remove_file(&next);
            bail!("cannot rotate in {}: {e}", s.name);
        }
        println!("Rotation published in {}.", s.name);
    }
    println!(
        "New key {} takes effect at {effective}; the old key is refused from then.\n\
         The node keeps its id {}; a running `concord serve` restarts itself in place at that \
         time and signs with the new key from then.",
        fingerprint(&new.public_hex())?,
        old.node_id()
    );
    Ok(())
}

/// Whether a process running with the key `running` (public, hex) must take up another:
/// a pending key's effective time has come, or another command already swapped it in
/// (a running `serve` then restarts in place; [`take_over_if_due`] swaps the key).
pub fn due(dir: &Path, running: &str) -> bool {
    let pending = std::fs::read_to_string(dir.join(NEXT_KEY_FILE)).is_ok_and(|text| {
        text.trim()
            .split_once(' ')
            .is_some_and(|(_, effective)| Timestamp::now_millis().as_str() >= effective)
    });
    pending
        || crate::federation::load_key(dir)
            .is_ok_and(|k| !k.public_hex().eq_ignore_ascii_case(running))
}

/// Replaces `node.key` (and `node.pub`) by the pending key once its effective time has
/// come; does nothing otherwise. The node keeps its id (`node.id`).
pub fn take_over_if_due(dir: &Path) -> anyhow::Result<()> {
    let next = dir.join(NEXT_KEY_FILE);
    let Ok(text) = std::fs::read_to_string(&next) else {
        return Ok(());
    };
    let Some((seed, effective)) = text.trim().split_once(' ') else {
        bail!("{} is not a pending key", next.display());
    };
    if Timestamp::now_millis().as_str() < effective {
        return Ok(());
    }
    let key = NodeKey::from_seed_hex(seed)
        .with_context(|| format!("{} holds no valid key", next.display()))?;
    // The node keeps its id: written first (it is the current key's id until the swap),
    // so that a crash anywhere below leaves a node that still knows who it is.
    let id_file = dir.join(crate::node::ID_FILE);
    if !id_file.exists() {
        let current = crate::federation::load_key(dir)?;
        write(
            &id_file,
            format!("{}\n", current.node_id()).as_bytes(),
            Mode::Shared,
        )?;
    }
    write(
        &dir.join(crate::node::KEY_FILE),
        format!("{}\n", key.seed_hex()).as_bytes(),
        Mode::Private,
    )?;
    write(
        &dir.join(crate::node::PUB_FILE),
        format!("{}\n", key.public_hex()).as_bytes(),
        Mode::Shared,
    )?;
    std::fs::remove_file(&next)?;
    tracing::info!(key = %fingerprint(&key.public_hex())?, since = %effective,
        "The rotated node key is in effect; the node keeps its id.");
    Ok(())
}
