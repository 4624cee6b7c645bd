//! Kafka's classic group membership protocol (JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup) as a state machine, after Apache Kafka's
//! `GroupMetadata` / classic `GroupCoordinator`:
//!
//! ```text
//!   Empty --join--> PreparingRebalance --all rejoined or deadline--> CompletingRebalance
//!     ^                 ^        |                                        | leader's SyncGroup
//!     | last member     |        +--no members left--> Empty              v
//!     +---leaves--------+----------member joins/leaves/expires------- Stable
//! ```
//!
//! Membership lives in memory on the broker (one coordinator for every
//! group on a single node); committed offsets live in the metadata store.
//! After a restart groups are Empty and members rejoin (their heartbeats
//! get UNKNOWN_MEMBER_ID), which Kafka clients handle by rejoining.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::snapshot::{DecodeResult, Reader, Writer};

pub mod codes {
    pub const NONE: i16 = 0;
    pub const ILLEGAL_GENERATION: i16 = 22;
    pub const INCONSISTENT_GROUP_PROTOCOL: i16 = 23;
    pub const INVALID_GROUP_ID: i16 = 24;
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    pub const INVALID_SESSION_TIMEOUT: i16 = 26;
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
    pub const FENCED_INSTANCE_ID: i16 = 82;
    pub const MEMBER_ID_REQUIRED: i16 = 79;
    pub const GROUP_MAX_SIZE_REACHED: i16 = 81;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }
}

/// Limits and defaults, named as Kafka's broker configs.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    pub group_min_session_timeout_ms: i32,
    pub group_max_session_timeout_ms: i32,
    pub group_initial_rebalance_delay_ms: i32,
    pub group_max_size: usize,
    /// KIP-848 consumer groups: `group.consumer.session.timeout.ms`.
    pub consumer_session_timeout_ms: i32,
    /// `group.consumer.heartbeat.interval.ms`, told to members in every heartbeat answer.
    pub consumer_heartbeat_interval_ms: i32,
    /// `group.consumer.max.size`.
    pub consumer_max_size: usize,
    /// `group.consumer.assignors`; the first is the default.
    pub consumer_assignors: Vec<String>,
    /// Who holds group leases in the metadata store: stable across restarts
    /// of the same broker (its node id), so a restarted broker resumes its
    /// own leases at once.
    pub coordinator_owner: String,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            group_min_session_timeout_ms: 6_000,
            group_max_session_timeout_ms: 1_800_000,
            group_initial_rebalance_delay_ms: 3_000,
            group_max_size: 1_000,
            consumer_session_timeout_ms: 45_000,
            consumer_heartbeat_interval_ms: 5_000,
            consumer_max_size: i32::MAX as usize,
            consumer_assignors: crate::assignor::ASSIGNOR_NAMES.iter().map(|s| s.to_string()).collect(),
            coordinator_owner: "node-1".to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub group_id: String,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    /// JoinGroup v4+: a member without an id first gets MEMBER_ID_REQUIRED.
    pub require_known_member_id: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinResponse {
    pub error_code: i16,
    pub generation_id: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: String,
    pub member_id: String,
    /// Filled for the leader only: (member id, instance id, metadata of the chosen protocol).
    pub members: Vec<(String, Option<String>, Bytes)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncResponse {
    pub error_code: i16,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub metadata: Bytes,
    pub assignment: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub state: GroupState,
    pub protocol_type: String,
    pub protocol_name: String,
    pub members: Vec<MemberDescription>,
}

struct Member {
    group_instance_id: Option<String>,
    client_id: String,
    client_host: String,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    protocol_type: String,
    protocols: Vec<(String, Bytes)>,
    assignment: Bytes,
    last_seen: Instant,
    join_waiter: Option<oneshot::Sender<JoinResponse>>,
    sync_waiter: Option<oneshot::Sender<SyncResponse>>,
}

impl Member {
    fn metadata_for(&self, protocol: &str) -> Bytes {
        self.protocols.iter().find(|(n, _)| n == protocol).map(|(_, m)| m.clone()).unwrap_or_default()
    }
}

pub(crate) struct Group {
    pub(crate) state: GroupState,
    generation: i32,
    protocol_type: Option<String>,
    protocol_name: Option<String>,
    leader: Option<String>,
    /// Join order is kept: the first joiner leads.
    members: BTreeMap<String, Member>,
    join_order: Vec<String>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, until they join or expire.
    pending: HashMap<String, Instant>,
    static_members: HashMap<String, String>,
    rebalance_deadline: Option<Instant>,
    /// Deadline of the initial delay for a group that was Empty (Kafka's
    /// group.initial.rebalance.delay.ms), and when that rebalance began.
    initial_delay: Option<(Instant, Instant)>,
}

impl Group {
    pub(crate) fn new() -> Self {
        Group {
            state: GroupState::Empty,
            generation: 0,
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: BTreeMap::new(),
            join_order: Vec::new(),
            pending: HashMap::new(),
            static_members: HashMap::new(),
            rebalance_deadline: None,
            initial_delay: None,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty() && self.pending.is_empty()
    }

    /// The durable part of a Stable group (generation, protocol, leader,
    /// members and their assignments); None in any other state, so a crash
    /// mid-rebalance restores the last completed generation.
    pub(crate) fn snapshot(&self, w: &mut Writer) -> bool {
        if self.state != GroupState::Stable || self.members.is_empty() {
            return false;
        }
        w.i32(self.generation);
        w.opt_str(self.protocol_type.as_deref());
        w.opt_str(self.protocol_name.as_deref());
        w.opt_str(self.leader.as_deref());
        let ordered: Vec<(&String, &Member)> =
            self.join_order.iter().filter_map(|id| self.members.get_key_value(id)).collect();
        w.len(ordered.len());
        for (id, m) in ordered {
            w.str(id);
            w.opt_str(m.group_instance_id.as_deref());
            w.str(&m.client_id);
            w.str(&m.client_host);
            w.u64(m.session_timeout.as_millis() as u64);
            w.u64(m.rebalance_timeout.as_millis() as u64);
            w.str(&m.protocol_type);
            w.len(m.protocols.len());
            for (name, meta) in &m.protocols {
                w.str(name);
                w.bytes(meta);
            }
            w.bytes(&m.assignment);
        }
        true
    }

    /// A Stable group from [`snapshot`]; every member's session restarts now.
    pub(crate) fn restore(r: &mut Reader<'_>, now: Instant) -> DecodeResult<Group> {
        let mut g = Group::new();
        g.state = GroupState::Stable;
        g.generation = r.i32()?;
        g.protocol_type = r.opt_str()?;
        g.protocol_name = r.opt_str()?;
        g.leader = r.opt_str()?;
        for _ in 0..r.len(40)? {
            let id = r.str()?;
            let group_instance_id = r.opt_str()?;
            let client_id = r.str()?;
            let client_host = r.str()?;
            let session_timeout = Duration::from_millis(r.u64()?);
            let rebalance_timeout = Duration::from_millis(r.u64()?);
            let protocol_type = r.str()?;
            let mut protocols = Vec::new();
            for _ in 0..r.len(8)? {
                protocols.push((r.str()?, r.bytes()?));
            }
            let assignment = r.bytes()?;
            if let Some(i) = &group_instance_id {
                g.static_members.insert(i.clone(), id.clone());
            }
            g.join_order.push(id.clone());
            g.members.insert(
                id,
                Member {
                    group_instance_id,
                    client_id,
                    client_host,
                    session_timeout,
                    rebalance_timeout,
                    protocol_type,
                    protocols,
                    assignment,
                    last_seen: now,
                    join_waiter: None,
                    sync_waiter: None,
                },
            );
        }
        if g.members.is_empty() {
            return Err("a stored classic group has no members".into());
        }
        Ok(g)
    }

    pub(crate) fn protocol_type(&self) -> &str {
        self.protocol_type.as_deref().unwrap_or("")
    }

    fn max_rebalance_timeout(&self) -> Duration {
        self.members.values().map(|m| m.rebalance_timeout).max().unwrap_or(Duration::from_secs(0))
    }

    fn supports_protocols(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.members.is_empty() {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols
                .iter()
                .any(|(name, _)| self.members.values().all(|m| m.protocols.iter().any(|(n, _)| n == name)))
    }

    /// Moves to PreparingRebalance; answers waiting SyncGroups with REBALANCE_IN_PROGRESS.
    fn prepare_rebalance(&mut self, now: Instant, cfg: &GroupConfig) {
        for m in self.members.values_mut() {
            if let Some(w) = m.sync_waiter.take() {
                let _ = w.send(SyncResponse { error_code: codes::REBALANCE_IN_PROGRESS, ..Default::default() });
            }
        }
        if self.state == GroupState::Empty {
            let delay = Duration::from_millis(cfg.group_initial_rebalance_delay_ms.max(0) as u64);
            self.initial_delay = Some((now + delay.min(self.max_rebalance_timeout()), now));
        }
        self.state = GroupState::PreparingRebalance;
        self.rebalance_deadline = Some(now + self.max_rebalance_timeout());
    }

    fn all_rejoined(&self) -> bool {
        self.members.values().all(|m| m.join_waiter.is_some())
    }

    /// Ends the join phase if it can end now; returns whether it did.
    pub(crate) fn try_complete_join(&mut self, now: Instant, cfg: &GroupConfig) -> bool {
        if self.state != GroupState::PreparingRebalance {
            return false;
        }
        let deadline_passed = self.rebalance_deadline.is_some_and(|d| now >= d);
        if let Some((delay_end, _)) = self.initial_delay {
            if now < delay_end && !deadline_passed {
                return false;
            }
        } else if !self.all_rejoined() && !deadline_passed {
            return false;
        }
        let _ = cfg;
        // Members that did not rejoin in time are out.
        let gone: Vec<String> =
            self.members.iter().filter(|(_, m)| m.join_waiter.is_none()).map(|(id, _)| id.clone()).collect();
        for id in gone {
            self.remove_member(&id);
        }
        self.initial_delay = None;
        self.rebalance_deadline = None;
        self.generation += 1;
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.protocol_name = None;
            self.protocol_type = None;
            self.leader = None;
            return true;
        }
        self.protocol_name = Some(self.select_protocol());
        if !self.leader.as_ref().is_some_and(|l| self.members.contains_key(l)) {
            self.leader = self.join_order.iter().find(|id| self.members.contains_key(*id)).cloned();
        }
        self.state = GroupState::CompletingRebalance;
        let protocol = self.protocol_name.clone().unwrap_or_default();
        let leader = self.leader.clone().unwrap_or_default();
        let all = self.member_list(&protocol);
        for (id, m) in self.members.iter_mut() {
            m.assignment = Bytes::new();
            if let Some(w) = m.join_waiter.take() {
                let _ = w.send(JoinResponse {
                    error_code: codes::NONE,
                    generation_id: self.generation,
                    protocol_type: self.protocol_type.clone(),
                    protocol_name: Some(protocol.clone()),
                    leader: leader.clone(),
                    member_id: id.clone(),
                    members: if *id == leader { all.clone() } else { Vec::new() },
                });
            }
        }
        true
    }

    /// The protocol every member supports with the most first-choice votes.
    fn select_protocol(&self) -> String {
        let Some(first) = self.members.values().next() else { return String::new() };
        let candidates: Vec<&String> = first
            .protocols
            .iter()
            .map(|(n, _)| n)
            .filter(|n| self.members.values().all(|m| m.protocols.iter().any(|(p, _)| p == *n)))
            .collect();
        let mut votes: HashMap<&String, usize> = HashMap::new();
        for m in self.members.values() {
            if let Some((n, _)) = m.protocols.iter().find(|(n, _)| candidates.contains(&n)) {
                *votes.entry(n).or_default() += 1;
            }
        }
        candidates.iter().max_by_key(|n| votes.get(*n).copied().unwrap_or(0)).map(|n| (*n).clone()).unwrap_or_default()
    }

    /// (member id, instance id, metadata for `protocol`) of every member, in join order.
    fn member_list(&self, protocol: &str) -> Vec<(String, Option<String>, Bytes)> {
        self.join_order
            .iter()
            .filter_map(|id| {
                self.members.get(id).map(|m| (id.clone(), m.group_instance_id.clone(), m.metadata_for(protocol)))
            })
            .collect()
    }

    /// The answer for a member rejoining without a rebalance: the current
    /// generation, with the member list if it leads.
    fn current_generation_response(&self, member_id: &str) -> JoinResponse {
        let protocol = self.protocol_name.clone().unwrap_or_default();
        let leads = self.leader.as_deref() == Some(member_id);
        JoinResponse {
            error_code: codes::NONE,
            generation_id: self.generation,
            protocol_type: self.protocol_type.clone(),
            members: if leads { self.member_list(&protocol) } else { Vec::new() },
            protocol_name: Some(protocol),
            leader: self.leader.clone().unwrap_or_default(),
            member_id: member_id.to_string(),
        }
    }

    fn remove_member(&mut self, member_id: &str) {
        if let Some(m) = self.members.remove(member_id) {
            if let Some(instance) = &m.group_instance_id {
                if self.static_members.get(instance).map(String::as_str) == Some(member_id) {
                    self.static_members.remove(instance);
                }
            }
            if let Some(w) = m.join_waiter {
                let _ = w.send(JoinResponse { error_code: codes::UNKNOWN_MEMBER_ID, ..Default::default() });
            }
            if let Some(w) = m.sync_waiter {
                let _ = w.send(SyncResponse { error_code: codes::UNKNOWN_MEMBER_ID, ..Default::default() });
            }
        }
        self.join_order.retain(|id| id != member_id);
        if self.leader.as_deref() == Some(member_id) {
            self.leader = None;
        }
    }

    /// A member left or expired: the rest must rebalance.
    fn member_gone(&mut self, member_id: &str, now: Instant, cfg: &GroupConfig) {
        self.remove_member(member_id);
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                if self.members.is_empty() {
                    self.state = GroupState::Empty;
                    self.generation += 1;
                    self.protocol_name = None;
                    self.protocol_type = None;
                } else {
                    self.prepare_rebalance(now, cfg);
                }
            }
            GroupState::PreparingRebalance => {
                self.try_complete_join(now, cfg);
            }
            GroupState::Empty => {}
        }
    }

    // The error is the whole response sent back at once; it is not propagated.
    #[allow(clippy::result_large_err)]
    pub(crate) fn join(
        &mut self,
        req: JoinRequest,
        now: Instant,
        cfg: &GroupConfig,
    ) -> Result<oneshot::Receiver<JoinResponse>, JoinResponse> {
        let refuse = |code: i16, member_id: &str| JoinResponse {
            error_code: code,
            generation_id: -1,
            member_id: member_id.to_string(),
            ..Default::default()
        };
        if req.session_timeout_ms < cfg.group_min_session_timeout_ms
            || req.session_timeout_ms > cfg.group_max_session_timeout_ms
        {
            return Err(refuse(codes::INVALID_SESSION_TIMEOUT, &req.member_id));
        }
        if !self.supports_protocols(&req.protocol_type, &req.protocols) {
            return Err(refuse(codes::INCONSISTENT_GROUP_PROTOCOL, &req.member_id));
        }
        let mut member_id = req.member_id.clone();
        if member_id.is_empty() {
            member_id = format!("{}-{}", req.client_id, uuid::Uuid::new_v4());
            if let Some(instance) = &req.group_instance_id {
                // A static member coming back: the new id replaces the old one.
                if let Some(old) = self.static_members.get(instance).cloned() {
                    return self.replace_static_member(&old, member_id, req, now, cfg);
                }
            } else if req.require_known_member_id {
                self.pending.insert(member_id.clone(), now + Duration::from_millis(req.session_timeout_ms as u64));
                return Err(refuse(codes::MEMBER_ID_REQUIRED, &member_id));
            }
        } else if !self.members.contains_key(&member_id) && self.pending.remove(&member_id).is_none() {
            return Err(refuse(codes::UNKNOWN_MEMBER_ID, &member_id));
        } else if let Some(instance) = &req.group_instance_id {
            if self.static_members.get(instance).is_some_and(|id| *id != member_id) {
                return Err(refuse(codes::FENCED_INSTANCE_ID, &member_id));
            }
        }
        if !self.members.contains_key(&member_id) && self.members.len() >= cfg.group_max_size {
            return Err(refuse(codes::GROUP_MAX_SIZE_REACHED, &member_id));
        }
        let (tx, rx) = oneshot::channel();
        let rejoin_unchanged = self
            .members
            .get(&member_id)
            .is_some_and(|m| m.protocols == req.protocols && self.state != GroupState::PreparingRebalance);
        if rejoin_unchanged && self.state == GroupState::Stable && self.leader.as_deref() != Some(member_id.as_str()) {
            // A follower rejoining with unchanged metadata while Stable gets
            // the current generation back without a rebalance (as Kafka does).
            let _ = tx.send(self.current_generation_response(&member_id));
            if let Some(m) = self.members.get_mut(&member_id) {
                m.last_seen = now;
            }
            return Ok(rx);
        }
        let existing = self.members.remove(&member_id);
        let member = Member {
            group_instance_id: req.group_instance_id.clone(),
            client_id: req.client_id.clone(),
            client_host: req.client_host.clone(),
            session_timeout: Duration::from_millis(req.session_timeout_ms as u64),
            rebalance_timeout: Duration::from_millis(req.rebalance_timeout_ms.max(0) as u64),
            protocol_type: req.protocol_type.clone(),
            protocols: req.protocols.clone(),
            assignment: existing.as_ref().map(|m| m.assignment.clone()).unwrap_or_default(),
            last_seen: now,
            join_waiter: Some(tx),
            sync_waiter: None,
        };
        if existing.is_none() {
            self.join_order.push(member_id.clone());
        }
        if let Some(instance) = &req.group_instance_id {
            self.static_members.insert(instance.clone(), member_id.clone());
        }
        if self.protocol_type.is_none() {
            self.protocol_type = Some(member.protocol_type.clone());
        }
        self.members.insert(member_id.clone(), member);
        match self.state {
            GroupState::PreparingRebalance => {
                if let Some((delay_end, started)) = self.initial_delay {
                    // Kafka's InitialDelayedJoin: each new member extends the
                    // delay, never past the rebalance timeout.
                    let delay = Duration::from_millis(cfg.group_initial_rebalance_delay_ms.max(0) as u64);
                    let cap = started + self.max_rebalance_timeout();
                    self.initial_delay = Some(((now + delay).min(cap).max(delay_end), started));
                }
                self.rebalance_deadline = self.rebalance_deadline.max(Some(now + self.max_rebalance_timeout()));
            }
            _ => self.prepare_rebalance(now, cfg),
        }
        self.try_complete_join(now, cfg);
        Ok(rx)
    }

    #[allow(clippy::result_large_err)]
    fn replace_static_member(
        &mut self,
        old: &str,
        new_id: String,
        req: JoinRequest,
        now: Instant,
        cfg: &GroupConfig,
    ) -> Result<oneshot::Receiver<JoinResponse>, JoinResponse> {
        let Some(mut m) = self.members.remove(old) else {
            self.static_members.remove(req.group_instance_id.as_deref().unwrap_or_default());
            return self.join(JoinRequest { member_id: String::new(), ..req }, now, cfg);
        };
        // The old incarnation's outstanding calls are fenced.
        if let Some(w) = m.join_waiter.take() {
            let _ = w.send(JoinResponse { error_code: codes::FENCED_INSTANCE_ID, ..Default::default() });
        }
        if let Some(w) = m.sync_waiter.take() {
            let _ = w.send(SyncResponse { error_code: codes::FENCED_INSTANCE_ID, ..Default::default() });
        }
        for id in self.join_order.iter_mut() {
            if id == old {
                *id = new_id.clone();
            }
        }
        if self.leader.as_deref() == Some(old) {
            self.leader = Some(new_id.clone());
        }
        let unchanged = m.protocols == req.protocols;
        m.last_seen = now;
        m.session_timeout = Duration::from_millis(req.session_timeout_ms as u64);
        m.rebalance_timeout = Duration::from_millis(req.rebalance_timeout_ms.max(0) as u64);
        m.client_id = req.client_id.clone();
        m.client_host = req.client_host.clone();
        m.protocols = req.protocols.clone();
        if let Some(instance) = &req.group_instance_id {
            self.static_members.insert(instance.clone(), new_id.clone());
        }
        let (tx, rx) = oneshot::channel();
        if self.state == GroupState::Stable && unchanged {
            // KIP-345: a static member that restarts keeps its assignment, no rebalance.
            self.members.insert(new_id.clone(), m);
            let _ = tx.send(self.current_generation_response(&new_id));
            return Ok(rx);
        }
        m.join_waiter = Some(tx);
        self.members.insert(new_id, m);
        if self.state != GroupState::PreparingRebalance {
            self.prepare_rebalance(now, cfg);
        }
        self.try_complete_join(now, cfg);
        Ok(rx)
    }

    fn check_member(&self, generation_id: i32, member_id: &str, instance: Option<&str>) -> Result<(), i16> {
        if let Some(instance) = instance {
            if self.static_members.get(instance).is_some_and(|id| id != member_id) {
                return Err(codes::FENCED_INSTANCE_ID);
            }
        }
        if !self.members.contains_key(member_id) {
            return Err(codes::UNKNOWN_MEMBER_ID);
        }
        if generation_id != self.generation {
            return Err(codes::ILLEGAL_GENERATION);
        }
        Ok(())
    }

    pub(crate) fn sync(
        &mut self,
        generation_id: i32,
        member_id: &str,
        instance: Option<&str>,
        assignments: Vec<(String, Bytes)>,
        now: Instant,
    ) -> Result<oneshot::Receiver<SyncResponse>, SyncResponse> {
        let refuse = |code: i16| SyncResponse { error_code: code, ..Default::default() };
        self.check_member(generation_id, member_id, instance).map_err(refuse)?;
        let (tx, rx) = oneshot::channel();
        if let Some(m) = self.members.get_mut(member_id) {
            m.last_seen = now;
        }
        match self.state {
            GroupState::Empty => Err(refuse(codes::UNKNOWN_MEMBER_ID)),
            GroupState::PreparingRebalance => Err(refuse(codes::REBALANCE_IN_PROGRESS)),
            GroupState::Stable => {
                let assignment = self.members.get(member_id).map(|m| m.assignment.clone()).unwrap_or_default();
                let _ = tx.send(self.sync_ok(assignment));
                Ok(rx)
            }
            GroupState::CompletingRebalance => {
                if self.leader.as_deref() == Some(member_id) {
                    let mut given: HashMap<String, Bytes> = assignments.into_iter().collect();
                    let ok = self.sync_ok(Bytes::new());
                    for (id, m) in self.members.iter_mut() {
                        m.assignment = given.remove(id).unwrap_or_default();
                        if let Some(w) = m.sync_waiter.take() {
                            let _ = w.send(SyncResponse { assignment: m.assignment.clone(), ..ok.clone() });
                        }
                    }
                    self.state = GroupState::Stable;
                    let assignment = self.members.get(member_id).map(|m| m.assignment.clone()).unwrap_or_default();
                    let _ = tx.send(SyncResponse { assignment, ..ok });
                } else if let Some(m) = self.members.get_mut(member_id) {
                    m.sync_waiter = Some(tx);
                }
                Ok(rx)
            }
        }
    }

    fn sync_ok(&self, assignment: Bytes) -> SyncResponse {
        SyncResponse {
            error_code: codes::NONE,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol_name.clone(),
            assignment,
        }
    }

    pub(crate) fn heartbeat(
        &mut self,
        generation_id: i32,
        member_id: &str,
        instance: Option<&str>,
        now: Instant,
    ) -> i16 {
        if let Err(code) = self.check_member(generation_id, member_id, instance) {
            // A stale generation during a rebalance is told to rejoin.
            if code == codes::ILLEGAL_GENERATION && self.state == GroupState::PreparingRebalance {
                return codes::REBALANCE_IN_PROGRESS;
            }
            return code;
        }
        if let Some(m) = self.members.get_mut(member_id) {
            m.last_seen = now;
        }
        match self.state {
            GroupState::PreparingRebalance => codes::REBALANCE_IN_PROGRESS,
            GroupState::Empty => codes::UNKNOWN_MEMBER_ID,
            _ => codes::NONE,
        }
    }

    /// LeaveGroup for one member (by member id, or by instance id for static members).
    pub(crate) fn leave(&mut self, member_id: &str, instance: Option<&str>, now: Instant, cfg: &GroupConfig) -> i16 {
        let target = match instance {
            Some(instance) => match self.static_members.get(instance) {
                Some(id) if member_id.is_empty() || id == member_id => id.clone(),
                Some(_) => return codes::FENCED_INSTANCE_ID,
                None => return codes::UNKNOWN_MEMBER_ID,
            },
            None => member_id.to_string(),
        };
        if self.pending.remove(&target).is_some() {
            return codes::NONE;
        }
        if !self.members.contains_key(&target) {
            return codes::UNKNOWN_MEMBER_ID;
        }
        self.member_gone(&target, now, cfg);
        codes::NONE
    }

    /// OffsetCommit from a member: who may commit, as Kafka's classic coordinator decides.
    pub(crate) fn check_commit(&mut self, generation_id: i32, member_id: &str, now: Instant) -> Result<(), i16> {
        if generation_id < 0 && self.state == GroupState::Empty {
            return Ok(());
        }
        if !self.members.contains_key(member_id) {
            return Err(codes::UNKNOWN_MEMBER_ID);
        }
        if generation_id != self.generation {
            return Err(codes::ILLEGAL_GENERATION);
        }
        // As Kafka: members of the current generation commit while Stable and
        // while a rebalance is being prepared (so work done before revocation
        // is kept); only between join and sync is the assignment in flux.
        if self.state == GroupState::CompletingRebalance {
            return Err(codes::REBALANCE_IN_PROGRESS);
        }
        if let Some(m) = self.members.get_mut(member_id) {
            m.last_seen = now;
        }
        Ok(())
    }

    /// Periodic work: expire silent members and pending ids, end join phases past their deadline.
    pub(crate) fn tick(&mut self, now: Instant, cfg: &GroupConfig) {
        self.pending.retain(|_, expires| *expires > now);
        let expired: Vec<String> = self
            .members
            .iter()
            .filter(|(_, m)| m.join_waiter.is_none() && m.last_seen + m.session_timeout < now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            tracing::info!(member = %id, "group member session expired");
            self.member_gone(&id, now, cfg);
        }
        self.try_complete_join(now, cfg);
    }

    pub(crate) fn describe(&self) -> GroupDescription {
        let protocol = self.protocol_name.clone().unwrap_or_default();
        GroupDescription {
            state: self.state,
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            protocol_name: if self.state == GroupState::Stable { protocol.clone() } else { String::new() },
            members: self
                .join_order
                .iter()
                .filter_map(|id| {
                    self.members.get(id).map(|m| MemberDescription {
                        member_id: id.clone(),
                        group_instance_id: m.group_instance_id.clone(),
                        client_id: m.client_id.clone(),
                        client_host: m.client_host.clone(),
                        metadata: m.metadata_for(&protocol),
                        assignment: m.assignment.clone(),
                    })
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> GroupConfig {
        GroupConfig { group_initial_rebalance_delay_ms: 0, ..Default::default() }
    }

    fn req(member_id: &str, client: &str) -> JoinRequest {
        JoinRequest {
            group_id: "g".into(),
            member_id: member_id.into(),
            group_instance_id: None,
            client_id: client.into(),
            client_host: "/127.0.0.1".into(),
            session_timeout_ms: 10_000,
            rebalance_timeout_ms: 30_000,
            protocol_type: "consumer".into(),
            protocols: vec![("range".into(), Bytes::from_static(b"meta"))],
            require_known_member_id: true,
        }
    }

    fn joined(g: &mut Group, client: &str, now: Instant) -> (String, oneshot::Receiver<JoinResponse>) {
        let refused = g.join(req("", client), now, &cfg()).expect_err("first join needs a member id");
        assert_eq!(refused.error_code, codes::MEMBER_ID_REQUIRED);
        let rx = g.join(req(&refused.member_id, client), now, &cfg()).expect("second join accepted");
        (refused.member_id, rx)
    }

    #[tokio::test(start_paused = true)]
    async fn two_members_join_sync_and_heartbeat() {
        let mut g = Group::new();
        let now = Instant::now();
        let (a, mut rx_a) = joined(&mut g, "a", now);
        // Initial delay is 0 and everyone has joined: generation 1 at once.
        let ja = rx_a.try_recv().expect("a answered");
        assert_eq!((ja.error_code, ja.generation_id, ja.leader.as_str()), (0, 1, a.as_str()));
        assert_eq!(ja.members.len(), 1);
        // b joins: a must rejoin; the phase completes when both are in.
        let (b, mut rx_b) = joined(&mut g, "b", now);
        assert_eq!(g.state, GroupState::PreparingRebalance);
        assert_eq!(g.heartbeat(1, &a, None, now), codes::REBALANCE_IN_PROGRESS);
        assert!(rx_b.try_recv().is_err(), "b waits for a to rejoin");
        let mut rx_a = g.join(req(&a, "a"), now, &cfg()).expect("a rejoins");
        let (ja, jb) = (rx_a.try_recv().expect("a"), rx_b.try_recv().expect("b"));
        assert_eq!((ja.generation_id, jb.generation_id), (2, 2));
        assert_eq!(ja.leader, a);
        assert_eq!((ja.members.len(), jb.members.len()), (2, 0), "only the leader gets the member list");
        // The follower's SyncGroup waits for the leader's assignments.
        let mut sb = g.sync(2, &b, None, vec![], now).expect("b syncs");
        assert!(sb.try_recv().is_err());
        let mut sa = g
            .sync(2, &a, None, vec![(a.clone(), Bytes::from_static(b"A")), (b.clone(), Bytes::from_static(b"B"))], now)
            .expect("leader syncs");
        assert_eq!(sa.try_recv().expect("a").assignment, Bytes::from_static(b"A"));
        assert_eq!(sb.try_recv().expect("b").assignment, Bytes::from_static(b"B"));
        assert_eq!(g.state, GroupState::Stable);
        assert_eq!(g.heartbeat(2, &b, None, now), codes::NONE);
        assert_eq!(g.heartbeat(1, &b, None, now), codes::ILLEGAL_GENERATION);
        assert_eq!(g.heartbeat(2, "stranger", None, now), codes::UNKNOWN_MEMBER_ID);
        // Commits: members of this generation only; accepted while Stable...
        assert_eq!(g.check_commit(2, &a, now), Ok(()));
        assert_eq!(g.check_commit(1, &a, now), Err(codes::ILLEGAL_GENERATION));
        assert_eq!(g.check_commit(-1, "", now), Err(codes::UNKNOWN_MEMBER_ID));
    }

    #[tokio::test(start_paused = true)]
    async fn leave_and_session_expiry_trigger_rebalances() {
        let mut g = Group::new();
        let now = Instant::now();
        let (a, _rx_a) = joined(&mut g, "a", now);
        let (b, rx_b) = joined(&mut g, "b", now);
        let _rx_a2 = g.join(req(&a, "a"), now, &cfg()).expect("a rejoins");
        drop(rx_b);
        drop(g.sync(2, &a, None, vec![], now).expect("leader syncs"));
        assert_eq!(g.state, GroupState::Stable);
        // b leaves: a is told to rejoin, and alone it completes generation 3.
        assert_eq!(g.leave(&b, None, now, &cfg()), codes::NONE);
        assert_eq!(g.state, GroupState::PreparingRebalance);
        assert_eq!(g.check_commit(2, &a, now), Ok(()), "commits before revocation are kept");
        let mut rx = g.join(req(&a, "a"), now, &cfg()).expect("rejoin");
        assert_eq!(rx.try_recv().expect("answered").generation_id, 3);
        assert_eq!(g.check_commit(3, &a, now), Err(codes::REBALANCE_IN_PROGRESS), "between join and sync");
        drop(g.sync(3, &a, None, vec![], now).expect("sync"));
        // a goes silent past its session timeout: the group empties.
        g.tick(now + Duration::from_millis(10_001), &cfg());
        assert_eq!(g.state, GroupState::Empty);
        assert!(g.is_empty());
        assert_eq!(g.check_commit(-1, "", now), Ok(()), "an Empty group takes simple commits again");
    }

    #[tokio::test(start_paused = true)]
    async fn a_member_that_does_not_rejoin_in_time_is_removed() {
        let mut g = Group::new();
        let now = Instant::now();
        let (a, _ra) = joined(&mut g, "a", now);
        drop(g.sync(1, &a, None, vec![], now).expect("sync"));
        let (_b, mut rx_b) = joined(&mut g, "b", now);
        assert!(rx_b.try_recv().is_err());
        // a never rejoins; after its rebalance timeout (30 s) the phase ends without it.
        g.tick(now + Duration::from_millis(30_001), &cfg());
        let jb = rx_b.try_recv().expect("b answered");
        assert_eq!((jb.error_code, jb.generation_id), (0, 2));
        assert_eq!(jb.members.len(), 1, "b leads alone");
    }

    #[tokio::test(start_paused = true)]
    async fn session_timeouts_outside_the_broker_bounds_are_refused() {
        let mut g = Group::new();
        let mut r = req("", "a");
        r.session_timeout_ms = 10;
        assert_eq!(
            g.join(r, Instant::now(), &cfg()).expect_err("too short").error_code,
            codes::INVALID_SESSION_TIMEOUT
        );
    }
}
