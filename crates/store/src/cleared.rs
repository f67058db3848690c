//! A [`Store`] as a caller with a TLP clearance may use it: [`ClearedStore`].
//!
//! Code that composes views from several reads (coordinated response: incidents,
//! timelines, requests, notifications, custody chains; the web's pages; match results)
//! is handed a `ClearedStore` instead of the node's store, so that nothing it reads, and
//! therefore nothing it shows, is an object the caller may not see whole
//! (`concord_stix::visibility`). An object seen only redacted is absent here, since a
//! derived view cannot tell which of its properties came from what was withheld.
//!
//! Writes through it respect the clearance too: a version of an id that is held with a
//! version the caller does not see whole is not written, and its outcome is
//! [`Outcome::New`], what an id not held gives; a delete of such an id removes nothing,
//! as for an id not held. So a caller can neither change an object above its clearance
//! nor learn from a write's answer that it exists. (The check reads the held versions
//! just before the write's transaction; a version written between the two by another
//! writer is not seen by it.)
//!
//! Tokens, users, peers and the audit log are passed through unchanged: who may manage
//! them is a matter of role, decided by the caller's routes.
//!
//! Each stored version keeps its TLP levels as ranks (`tlp`: object markings; `tlp_max`:
//! with granular ones), computed at ingest by the visibility rule's functions, so
//! `ListQuery::within` applies a clearance in the listing's own query.

use std::collections::HashMap;
use std::sync::Arc;

use concord_stix::visibility::{View, view};
use concord_stix::{Object, Tlp};

use crate::federation::{
    AuditEntry, AuditRecord, FederationStore, PeerRecord, Provenance, Refusal,
};
use crate::users::{ClearedQuery, CountRow, Session, User, Users};
use crate::{
    Correlation, ListQuery, Listed, ListedRow, NewToken, Outcome, Page, Related, Role, Stats,
    Store, StoreError, StoredObject, TokenRecord, Within,
};

/// The node's store limited to what a caller with `clearance` sees whole.
#[derive(Clone)]
pub struct ClearedStore {
    inner: Arc<dyn Store>,
    clearance: Tlp,
}

impl ClearedStore {
    /// `inner` as a caller with `clearance` may use it.
    pub fn new(inner: Arc<dyn Store>, clearance: Tlp) -> ClearedStore {
        ClearedStore { inner, clearance }
    }

    /// `inner` for a caller with an optional clearance: `None` (no clearance: the
    /// node's own tools, tokens without a user) gives `inner` itself.
    pub fn for_caller(inner: Arc<dyn Store>, clearance: Option<Tlp>) -> Arc<dyn Store> {
        match clearance {
            Some(c) => Arc::new(ClearedStore::new(inner, c)),
            None => inner,
        }
    }

    /// The clearance.
    pub fn clearance(&self) -> Tlp {
        self.clearance
    }

    fn whole(&self, o: &StoredObject) -> bool {
        view(&o.value(), self.clearance) == View::Whole
    }

    /// Whether `id` is held with a version the caller does not see whole.
    fn guarded(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.inner.versions(id)?.iter().any(|v| !self.whole(v)))
    }

    /// Whether the current version of `id` is seen whole (ids not held: `true`, they
    /// reveal nothing).
    fn shown_id(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.inner.get(id)?.is_none_or(|o| self.whole(&o)))
    }

    /// `query` limited to what the clearance sees whole, in the store's own query.
    fn narrowed(&self, query: &ListQuery) -> ListQuery {
        ListQuery {
            within: Some(Within::whole_for(query.within, self.clearance)),
            ..query.clone()
        }
    }
}

impl Store for ClearedStore {
    fn ingest(&self, objects: &[Object]) -> Result<Vec<Outcome>, StoreError> {
        let mut hidden = Vec::with_capacity(objects.len());
        for o in objects {
            hidden.push(self.guarded(o.id())?);
        }
        if !hidden.contains(&true) {
            return self.inner.ingest(objects);
        }
        let written: Vec<Object> = objects
            .iter()
            .zip(&hidden)
            .filter(|(_, h)| !**h)
            .map(|(o, _)| o.clone())
            .collect();
        let mut outcomes = self.inner.ingest(&written)?.into_iter();
        Ok(hidden
            .iter()
            .map(|h| {
                if *h {
                    Outcome::New
                } else {
                    outcomes.next().unwrap_or(Outcome::Unchanged)
                }
            })
            .collect())
    }

    fn get(&self, id: &str) -> Result<Option<StoredObject>, StoreError> {
        Ok(self.inner.get(id)?.filter(|o| self.whole(o)))
    }

    fn versions(&self, id: &str) -> Result<Vec<StoredObject>, StoreError> {
        let all = self.inner.versions(id)?;
        // An object whose current version is not seen whole is absent, old versions too.
        if all.iter().any(|v| v.current && !self.whole(v)) {
            return Ok(Vec::new());
        }
        Ok(all.into_iter().filter(|v| self.whole(v)).collect())
    }

    fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        // Whole-only in the store's own query (`Within::Whole`): pages stay full and no
        // row is parsed again here.
        self.inner.list(&self.narrowed(query))
    }

    fn list_borrowed(
        &self,
        query: &ListQuery,
        with_json: bool,
        each: &mut dyn FnMut(&ListedRow<'_>),
    ) -> Result<Listed, StoreError> {
        // The store's own query leaves out every version with a marking above the
        // clearance (the levels it keeps per version are the rule's, `schema::V3`).
        self.inner
            .list_borrowed(&self.narrowed(query), with_json, each)
    }

    fn list_versions(&self, query: &ListQuery) -> Result<Page, StoreError> {
        self.inner.list_versions(&self.narrowed(query))
    }

    fn correlations(&self, id: &str) -> Result<Vec<Correlation>, StoreError> {
        if self.get(id)?.is_none() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for c in self.inner.correlations(id)? {
            if self.shown_id(&c.id)? {
                out.push(c);
            }
        }
        Ok(out)
    }

    fn relationships(&self, id: &str) -> Result<Vec<Related>, StoreError> {
        if self.get(id)?.is_none() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for r in self.inner.relationships(id)? {
            let via_shown = match &r.relationship {
                Some((rid, _)) => self.shown_id(rid)?,
                None => true,
            };
            if via_shown && self.shown_id(&r.id)? {
                out.push(r);
            }
        }
        Ok(out)
    }

    fn for_each_current(
        &self,
        types: &[String],
        each: &mut dyn FnMut(StoredObject) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let clearance = self.clearance;
        self.inner.for_each_current(types, &mut |o| {
            if view(&o.value(), clearance) == View::Whole {
                each(o)
            } else {
                Ok(())
            }
        })
    }

    fn create_token(&self, name: &str, role: Role, hash: &str) -> Result<TokenRecord, StoreError> {
        self.inner.create_token(name, role, hash)
    }

    fn create_token_with(&self, token: &NewToken<'_>) -> Result<TokenRecord, StoreError> {
        self.inner.create_token_with(token)
    }

    fn touch_token(&self, id: i64, now: &str) -> Result<bool, StoreError> {
        self.inner.touch_token(id, now)
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.inner.token_by_hash(hash)
    }

    fn token_with_clearance(
        &self,
        hash: &str,
    ) -> Result<Option<(TokenRecord, concord_stix::Tlp)>, StoreError> {
        self.inner.token_with_clearance(hash)
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.inner.tokens()
    }

    fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        self.inner.revoke_token(id)
    }

    fn stats(&self) -> Result<Stats, StoreError> {
        self.inner.stats()
    }

    fn delete(&self, id: &str) -> Result<usize, StoreError> {
        if self.guarded(id)? {
            return Ok(0);
        }
        self.inner.delete(id)
    }

    fn limits(&self) -> crate::Limits {
        self.inner.limits()
    }

    fn release_memory(&self) -> bool {
        self.inner.release_memory()
    }

    fn pools(&self) -> Vec<crate::PoolGauge> {
        self.inner.pools()
    }

    fn work_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.work_state(key)
    }

    fn set_work_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.inner.set_work_state(key, value)
    }
}

impl Users for ClearedStore {
    fn create_user(
        &self,
        name: &str,
        role: Role,
        clearance: Tlp,
        password_hash: &str,
    ) -> Result<Option<User>, StoreError> {
        self.inner.create_user(name, role, clearance, password_hash)
    }

    fn user_by_name(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        self.inner.user_by_name(name)
    }

    fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        self.inner.user(id)
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.inner.users()
    }

    fn set_password(&self, id: i64, password_hash: &str) -> Result<bool, StoreError> {
        self.inner.set_password(id, password_hash)
    }

    fn update_user(
        &self,
        id: i64,
        role: Role,
        clearance: Tlp,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        self.inner.update_user(id, role, clearance, disabled)
    }

    fn create_session(
        &self,
        hash: &str,
        user_id: i64,
        csrf: &str,
        expires: &str,
    ) -> Result<(), StoreError> {
        self.inner.create_session(hash, user_id, csrf, expires)
    }

    fn session(&self, hash: &str, now: &str) -> Result<Option<Session>, StoreError> {
        self.inner.session(hash, now)
    }

    fn delete_session(&self, hash: &str, now: &str) -> Result<(), StoreError> {
        self.inner.delete_session(hash, now)
    }

    fn link_token(&self, token_id: i64, user_id: i64) -> Result<(), StoreError> {
        self.inner.link_token(token_id, user_id)
    }

    fn token_owner(&self, token_id: i64) -> Result<Option<i64>, StoreError> {
        self.inner.token_owner(token_id)
    }

    fn user_tokens(&self, user_id: i64) -> Result<Vec<TokenRecord>, StoreError> {
        self.inner.user_tokens(user_id)
    }

    fn list_cleared(&self, q: &ClearedQuery) -> Result<Page, StoreError> {
        let mut q = q.clone();
        q.clearance = q.clearance.min(self.clearance);
        q.base = self.narrowed(&q.base);
        self.inner.list_cleared(&q)
    }

    fn tlp_levels(&self, ids: &[String]) -> Result<Vec<(String, Tlp)>, StoreError> {
        let mut out = Vec::new();
        for (id, level) in self.inner.tlp_levels(ids)? {
            if self.get(&id)?.is_some() {
                out.push((id, level));
            }
        }
        Ok(out)
    }

    fn count_rows(&self) -> Result<Vec<CountRow>, StoreError> {
        let clearance = self.clearance;
        Ok(self
            .inner
            .count_rows()?
            .into_iter()
            .filter(|r| r.tlp <= clearance)
            .collect())
    }

    fn last_seq(&self) -> Result<i64, StoreError> {
        self.inner.last_seq()
    }
}

impl crate::governance::GovernanceStore for ClearedStore {
    fn put_governance(
        &self,
        docs: &[crate::governance::GovernanceDocument],
        received_from: &str,
        cursor: Option<i64>,
    ) -> Result<usize, StoreError> {
        self.inner.put_governance(docs, received_from, cursor)
    }

    fn governance(
        &self,
        community: Option<&str>,
    ) -> Result<Vec<crate::governance::GovernanceRecord>, StoreError> {
        self.inner.governance(community)
    }

    fn governance_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<crate::governance::GovernanceRecord>, StoreError> {
        self.inner.governance_after(after, limit)
    }

    fn governance_head(&self) -> Result<i64, StoreError> {
        self.inner.governance_head()
    }

    fn governance_cursor(&self, peer: &str) -> Result<i64, StoreError> {
        self.inner.governance_cursor(peer)
    }

    fn set_local_refusal(&self, node_id: &str, reason: Option<&str>) -> Result<bool, StoreError> {
        self.inner.set_local_refusal(node_id, reason)
    }

    fn local_refusals(&self) -> Result<Vec<crate::governance::LocalRefusal>, StoreError> {
        self.inner.local_refusals()
    }
}

impl FederationStore for ClearedStore {
    fn put_peer(&self, peer: &PeerRecord) -> Result<(), StoreError> {
        self.inner.put_peer(peer)
    }

    fn peers(&self) -> Result<Vec<PeerRecord>, StoreError> {
        self.inner.peers()
    }

    fn remove_peer(&self, node_id: &str) -> Result<bool, StoreError> {
        self.inner.remove_peer(node_id)
    }

    fn peer_failed(&self, node_id: &str, error: &str) -> Result<(), StoreError> {
        self.inner.peer_failed(node_id, error)
    }

    fn peer_live(&self, node_id: &str, live: bool) -> Result<(), StoreError> {
        self.inner.peer_live(node_id, live)
    }

    fn peer_synced(&self, node_id: &str, head: i64) -> Result<(), StoreError> {
        self.inner.peer_synced(node_id, head)
    }

    fn peer_refused(&self, node_id: &str, count: i64, reason: &str) -> Result<(), StoreError> {
        self.inner.peer_refused(node_id, count, reason)
    }

    fn ingest_received(
        &self,
        me: &str,
        peer: &str,
        objects: &[Object],
        provenance: &[Provenance],
        cursor: i64,
        head: i64,
    ) -> Result<Vec<Result<Outcome, Refusal>>, StoreError> {
        // Only the puller takes objects from peers, and it never acts for a caller.
        self.inner
            .ingest_received(me, peer, objects, provenance, cursor, head)
    }

    fn provenance(&self, id: &str, version: &str) -> Result<Option<Provenance>, StoreError> {
        self.inner.provenance(id, version)
    }

    fn provenance_between(
        &self,
        after: i64,
        upto: i64,
    ) -> Result<HashMap<i64, Provenance>, StoreError> {
        self.inner.provenance_between(after, upto)
    }

    fn unsigned_local(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        self.inner.unsigned_local(after, limit)
    }

    fn put_local_signatures(
        &self,
        signed: &[(String, String, Provenance)],
    ) -> Result<(), StoreError> {
        self.inner.put_local_signatures(signed)
    }

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        self.inner.append_audit(entries)
    }

    fn audit(
        &self,
        peer: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.inner.audit(peer, after, limit)
    }

    fn audit_sent_since(&self, peer: &str, since: &str) -> Result<u64, StoreError> {
        self.inner.audit_sent_since(peer, since)
    }

    fn head_seq(&self) -> Result<i64, StoreError> {
        self.inner.head_seq()
    }
}

/// Nonces, statuses and sign-in attempts carry no objects: passed through.
impl crate::ephemeral::EphemeralStore for ClearedStore {
    fn first_use_of_nonce(
        &self,
        keyid: &str,
        nonce: &str,
        now: i64,
        window: i64,
    ) -> Result<bool, StoreError> {
        self.inner.first_use_of_nonce(keyid, nonce, now, window)
    }

    fn forget_nonces(&self, before: i64) -> Result<usize, StoreError> {
        self.inner.forget_nonces(before)
    }

    fn put_taxii_status(
        &self,
        id: &str,
        owner: &str,
        json: &str,
        now_ms: i64,
        bounds: crate::ephemeral::Bounds,
    ) -> Result<(), StoreError> {
        self.inner.put_taxii_status(id, owner, json, now_ms, bounds)
    }

    fn taxii_status(&self, id: &str, since_ms: i64) -> Result<Option<String>, StoreError> {
        self.inner.taxii_status(id, since_ms)
    }

    fn reserve_attempt(
        &self,
        limits: &[crate::ephemeral::Limit<'_>],
        now_ms: i64,
        window_ms: i64,
    ) -> Result<Option<usize>, StoreError> {
        self.inner.reserve_attempt(limits, now_ms, window_ms)
    }

    fn give_back_attempt(&self, key: &str, all: bool) -> Result<(), StoreError> {
        self.inner.give_back_attempt(key, all)
    }

    fn prune_attempts(&self, before_ms: i64, max: usize) -> Result<usize, StoreError> {
        self.inner.prune_attempts(before_ms, max)
    }
}
