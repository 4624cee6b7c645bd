//! The KIP-848 consumer group protocol (ConsumerGroupHeartbeat), after
//! Apache Kafka's `GroupMetadataManager`, `ConsumerGroup` and
//! `CurrentAssignmentBuilder`:
//!
//! - The group epoch is bumped whenever membership, a subscription or the
//!   metadata of a subscribed topic changes. When it passes the assignment
//!   epoch, the server-side assignor computes a new target assignment.
//! - Each member reconciles toward its target: partitions it must give up
//!   are revoked first (it keeps its epoch and is told only what it
//!   retains); partitions still owned by another member are withheld until
//!   that member has revoked them (UnreleasedPartitions). Only then does
//!   the member move to the target epoch.
//! - A member that sends a newer epoch than it has, or an older one that is
//!   not its previous epoch with a subset of its partitions, is fenced
//!   (FENCED_MEMBER_EPOCH). Missing heartbeats for the session timeout, or
//!   not revoking within the rebalance timeout, removes the member.
//! - Epoch -1 leaves; epoch -2 is a static member leaving temporarily: its
//!   assignment is held for its instance id until the session expires.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;
use uuid::Uuid;

use crate::assignor::{self, Assignment, MemberSpec};
use crate::snapshot::{DecodeResult, Reader, Writer};
use crate::GroupConfig;

pub mod codes {
    pub const NONE: i16 = 0;
    pub const INVALID_REQUEST: i16 = 42;
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    pub const GROUP_ID_NOT_FOUND: i16 = 69;
    pub const GROUP_MAX_SIZE_REACHED: i16 = 81;
    pub const FENCED_MEMBER_EPOCH: i16 = 110;
    pub const UNRELEASED_INSTANCE_ID: i16 = 111;
    pub const UNSUPPORTED_ASSIGNOR: i16 = 112;
    pub const STALE_MEMBER_EPOCH: i16 = 113;
    pub const INVALID_REGULAR_EXPRESSION: i16 = 128;
}

pub const LEAVE_EPOCH: i32 = -1;
pub const LEAVE_STATIC_EPOCH: i32 = -2;
/// Longest accepted `subscribedTopicRegex`, in bytes.
pub const REGEX_BYTES_MAX: usize = 4096;
/// Bound on the compiled size of a subscription regex.
const REGEX_COMPILED_BYTES_MAX: usize = 1 << 20;

/// One ConsumerGroupHeartbeat, without wire types. `None` fields mean "unchanged".
#[derive(Debug, Clone, Default)]
pub struct ConsumerHeartbeat {
    pub group_id: String,
    pub member_id: String,
    pub member_epoch: i32,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub rebalance_timeout_ms: i32,
    pub subscribed_topic_names: Option<Vec<String>>,
    pub subscribed_topic_regex: Option<String>,
    pub server_assignor: Option<String>,
    pub owned: Option<Assignment>,
    pub client_id: String,
    pub client_host: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumerHeartbeatResponse {
    pub error_code: i16,
    pub error_message: Option<String>,
    pub member_id: String,
    pub member_epoch: i32,
    pub heartbeat_interval_ms: i32,
    pub assignment: Option<Assignment>,
}

impl ConsumerHeartbeatResponse {
    pub fn error(code: i16, message: impl Into<String>) -> Self {
        ConsumerHeartbeatResponse { error_code: code, error_message: Some(message.into()), ..Default::default() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    Stable,
    UnrevokedPartitions,
    UnreleasedPartitions,
}

#[derive(Debug)]
pub struct Member {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub member_epoch: i32,
    pub previous_member_epoch: i32,
    pub state: MemberState,
    pub subscribed_topic_names: Vec<String>,
    pub subscribed_topic_regex: Option<String>,
    regex: Option<regex::Regex>,
    pub server_assignor: Option<String>,
    pub rebalance_timeout: Duration,
    pub assigned: Assignment,
    pub pending_revocation: Assignment,
    session_deadline: Instant,
    revocation_deadline: Option<Instant>,
}

impl Member {
    fn subscribes_to(&self, topic: &str) -> bool {
        self.subscribed_topic_names.iter().any(|n| n == topic) || self.regex.as_ref().is_some_and(|r| r.is_match(topic))
    }
}

/// Topic name -> (id, partition count), as the coordinator last read it.
pub type TopicsView = BTreeMap<String, (Uuid, i32)>;

#[derive(Debug, Default)]
pub struct ConsumerGroup {
    pub group_epoch: i32,
    pub assignment_epoch: i32,
    pub members: BTreeMap<String, Member>,
    pub static_members: BTreeMap<String, String>,
    pub target: BTreeMap<String, Assignment>,
    /// Topic id -> partition count of every subscribed topic, at the last epoch bump.
    subscribed_topics: BTreeMap<Uuid, i32>,
    pub assignor: String,
}

/// The group states Kafka reports for consumer groups.
pub fn state_name(g: &ConsumerGroup) -> &'static str {
    if g.members.is_empty() {
        "Empty"
    } else if g.group_epoch > g.assignment_epoch {
        "Assigning"
    } else if g.members.values().any(|m| m.state != MemberState::Stable || m.member_epoch != g.assignment_epoch) {
        "Reconciling"
    } else {
        "Stable"
    }
}

fn count(a: &Assignment) -> usize {
    a.values().map(|s| s.len()).sum()
}

fn is_subset(owned: &Assignment, of: &Assignment) -> bool {
    owned.iter().all(|(t, ps)| ps.is_empty() || of.get(t).is_some_and(|have| ps.is_subset(have)))
}

fn overlaps(a: &Assignment, b: &Assignment) -> bool {
    a.iter().any(|(t, ps)| b.get(t).is_some_and(|other| !ps.is_disjoint(other)))
}

fn compile_regex(pattern: &str) -> Result<regex::Regex, String> {
    if pattern.len() > REGEX_BYTES_MAX {
        return Err(format!("regular expression longer than {REGEX_BYTES_MAX} bytes"));
    }
    // Kafka matches the whole topic name (RE2/J `matches()`).
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(REGEX_COMPILED_BYTES_MAX)
        .build()
        .map_err(|e| format!("invalid regular expression {pattern:?}: {e}"))
}

/// Request checks Kafka makes before touching the group.
pub fn validate(req: &ConsumerHeartbeat, cfg: &GroupConfig) -> Result<(), ConsumerHeartbeatResponse> {
    let invalid = |m: &str| Err(ConsumerHeartbeatResponse::error(codes::INVALID_REQUEST, m));
    if req.group_id.is_empty() {
        return invalid("GroupId can't be empty.");
    }
    if req.instance_id.as_deref() == Some("") {
        return invalid("InstanceId can't be empty.");
    }
    if req.rack_id.as_deref() == Some("") {
        return invalid("RackId can't be empty.");
    }
    if req.member_epoch < LEAVE_STATIC_EPOCH {
        return invalid("MemberEpoch is invalid.");
    }
    if req.member_epoch != 0 && req.member_id.is_empty() {
        return invalid("MemberId can't be empty.");
    }
    if req.member_epoch == 0 {
        if req.rebalance_timeout_ms <= 0 {
            return invalid("RebalanceTimeoutMs must be provided in first request.");
        }
        if req.owned.as_ref().is_none_or(|o| count(o) != 0) {
            return invalid("TopicPartitions must be empty when (re-)joining.");
        }
        let names_empty = req.subscribed_topic_names.as_ref().is_none_or(|n| n.is_empty());
        if names_empty && req.subscribed_topic_regex.as_ref().is_none_or(|r| r.is_empty()) {
            return invalid("SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
        }
    }
    if let Some(name) = &req.server_assignor {
        if !cfg.consumer_assignors.iter().any(|a| a == name) {
            return Err(ConsumerHeartbeatResponse::error(
                codes::UNSUPPORTED_ASSIGNOR,
                format!("ServerAssignor {name} is not supported. Supported assignors: {:?}.", cfg.consumer_assignors),
            ));
        }
    }
    if let Some(r) = req.subscribed_topic_regex.as_deref().filter(|r| !r.is_empty()) {
        compile_regex(r).map_err(|m| ConsumerHeartbeatResponse::error(codes::INVALID_REGULAR_EXPRESSION, m))?;
    }
    Ok(())
}

impl ConsumerGroup {
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Everything but timers: restored members get fresh session and
    /// revocation deadlines.
    pub fn snapshot(&self, w: &mut Writer) {
        w.i32(self.group_epoch);
        w.i32(self.assignment_epoch);
        w.str(&self.assignor);
        w.len(self.subscribed_topics.len());
        for (t, n) in &self.subscribed_topics {
            w.uuid(*t);
            w.i32(*n);
        }
        w.len(self.target.len());
        for (id, a) in &self.target {
            w.str(id);
            w.assignment(a);
        }
        w.len(self.members.len());
        for m in self.members.values() {
            w.str(&m.member_id);
            w.opt_str(m.instance_id.as_deref());
            w.opt_str(m.rack_id.as_deref());
            w.str(&m.client_id);
            w.str(&m.client_host);
            w.i32(m.member_epoch);
            w.i32(m.previous_member_epoch);
            w.u8(match m.state {
                MemberState::Stable => 0,
                MemberState::UnrevokedPartitions => 1,
                MemberState::UnreleasedPartitions => 2,
            });
            w.len(m.subscribed_topic_names.len());
            for n in &m.subscribed_topic_names {
                w.str(n);
            }
            w.opt_str(m.subscribed_topic_regex.as_deref());
            w.opt_str(m.server_assignor.as_deref());
            w.u64(m.rebalance_timeout.as_millis() as u64);
            w.assignment(&m.assigned);
            w.assignment(&m.pending_revocation);
        }
    }

    pub fn restore(r: &mut Reader<'_>, now: Instant, cfg: &GroupConfig) -> DecodeResult<ConsumerGroup> {
        let mut g = ConsumerGroup {
            group_epoch: r.i32()?,
            assignment_epoch: r.i32()?,
            assignor: r.str()?,
            ..Default::default()
        };
        for _ in 0..r.len(20)? {
            let t = r.uuid()?;
            g.subscribed_topics.insert(t, r.i32()?);
        }
        g.target = r.assignments()?;
        for _ in 0..r.len(40)? {
            let member_id = r.str()?;
            let instance_id = r.opt_str()?;
            let rack_id = r.opt_str()?;
            let client_id = r.str()?;
            let client_host = r.str()?;
            let member_epoch = r.i32()?;
            let previous_member_epoch = r.i32()?;
            let state = match r.u8()? {
                0 => MemberState::Stable,
                1 => MemberState::UnrevokedPartitions,
                2 => MemberState::UnreleasedPartitions,
                other => return Err(format!("unknown member state {other}")),
            };
            let mut subscribed_topic_names = Vec::new();
            for _ in 0..r.len(4)? {
                subscribed_topic_names.push(r.str()?);
            }
            let subscribed_topic_regex = r.opt_str()?;
            let server_assignor = r.opt_str()?;
            let rebalance_timeout = Duration::from_millis(r.u64()?);
            let assigned = r.assignment()?;
            let pending_revocation = r.assignment()?;
            if let Some(i) = &instance_id {
                g.static_members.insert(i.clone(), member_id.clone());
            }
            let revocation_deadline = (state == MemberState::UnrevokedPartitions).then(|| now + rebalance_timeout);
            g.members.insert(
                member_id.clone(),
                Member {
                    member_id,
                    instance_id,
                    rack_id,
                    client_id,
                    client_host,
                    member_epoch,
                    previous_member_epoch,
                    state,
                    subscribed_topic_names,
                    regex: subscribed_topic_regex.as_deref().and_then(|p| compile_regex(p).ok()),
                    subscribed_topic_regex,
                    server_assignor,
                    rebalance_timeout,
                    assigned,
                    pending_revocation,
                    session_deadline: now + Duration::from_millis(cfg.consumer_session_timeout_ms as u64),
                    revocation_deadline,
                },
            );
        }
        Ok(g)
    }

    fn bump(&mut self) {
        self.group_epoch += 1;
    }

    fn remove_member(&mut self, member_id: &str) {
        if let Some(m) = self.members.remove(member_id) {
            if let Some(i) = &m.instance_id {
                if self.static_members.get(i).map(String::as_str) == Some(member_id) {
                    self.static_members.remove(i);
                }
            }
            self.target.remove(member_id);
            self.bump();
        }
    }

    fn new_member(req: &ConsumerHeartbeat, member_id: String, now: Instant, cfg: &GroupConfig) -> Member {
        Member {
            member_id,
            instance_id: req.instance_id.clone(),
            rack_id: None,
            client_id: req.client_id.clone(),
            client_host: req.client_host.clone(),
            member_epoch: 0,
            previous_member_epoch: 0,
            state: MemberState::Stable,
            subscribed_topic_names: Vec::new(),
            subscribed_topic_regex: None,
            regex: None,
            server_assignor: None,
            rebalance_timeout: Duration::from_millis(req.rebalance_timeout_ms.max(0) as u64),
            assigned: Assignment::new(),
            pending_revocation: Assignment::new(),
            session_deadline: now + Duration::from_millis(cfg.consumer_session_timeout_ms as u64),
            revocation_deadline: None,
        }
    }

    /// Handles one heartbeat already checked by [`validate`].
    pub fn heartbeat(
        &mut self,
        req: ConsumerHeartbeat,
        topics: &TopicsView,
        now: Instant,
        cfg: &GroupConfig,
    ) -> ConsumerHeartbeatResponse {
        let interval = cfg.consumer_heartbeat_interval_ms;
        let done = |member_id: &str, epoch: i32| ConsumerHeartbeatResponse {
            member_id: member_id.to_string(),
            member_epoch: epoch,
            heartbeat_interval_ms: interval,
            ..Default::default()
        };
        let mut member_id = req.member_id.clone();
        // Every change in one heartbeat bumps the group epoch once, as in Kafka.
        let mut bump = false;
        match req.member_epoch {
            LEAVE_EPOCH | LEAVE_STATIC_EPOCH => {
                if !self.members.contains_key(&member_id) {
                    return ConsumerHeartbeatResponse::error(
                        codes::UNKNOWN_MEMBER_ID,
                        format!("Member {member_id} is not a member of group {}.", req.group_id),
                    );
                }
                let static_leave = req.member_epoch == LEAVE_STATIC_EPOCH
                    && self.members.get(&member_id).is_some_and(|m| m.instance_id.is_some());
                if static_leave {
                    // Hold the assignment for the instance id until its session expires.
                    let m = self.members.get_mut(&member_id).expect("checked above");
                    if m.member_epoch != LEAVE_STATIC_EPOCH {
                        m.previous_member_epoch = m.member_epoch;
                    }
                    m.member_epoch = LEAVE_STATIC_EPOCH;
                    m.session_deadline = now + Duration::from_millis(cfg.consumer_session_timeout_ms as u64);
                } else {
                    self.remove_member(&member_id);
                }
                return done(&member_id, req.member_epoch);
            }
            0 => {
                if member_id.is_empty() {
                    member_id = Uuid::new_v4().to_string();
                }
                let replaced = match &req.instance_id {
                    Some(instance) => match self.static_members.get(instance).cloned() {
                        Some(old_id) if old_id != member_id => {
                            let old = &self.members[&old_id];
                            if old.member_epoch != LEAVE_STATIC_EPOCH {
                                return ConsumerHeartbeatResponse::error(
                                    codes::UNRELEASED_INSTANCE_ID,
                                    format!("Static member {old_id} with instance id {instance} is still active."),
                                );
                            }
                            self.members.remove(&old_id).map(|old| (old_id, old))
                        }
                        _ => None,
                    },
                    None => None,
                };
                if let Some((old_id, old)) = replaced {
                    // The new member takes over the departed static member's partitions and epoch.
                    let mut m = Self::new_member(&req, member_id.clone(), now, cfg);
                    m.member_epoch = old.previous_member_epoch;
                    m.previous_member_epoch = old.previous_member_epoch;
                    m.assigned = old.assigned;
                    m.pending_revocation = old.pending_revocation;
                    m.state = old.state;
                    m.subscribed_topic_names = old.subscribed_topic_names;
                    m.regex = old.regex;
                    m.subscribed_topic_regex = old.subscribed_topic_regex;
                    m.server_assignor = old.server_assignor;
                    if let Some(t) = self.target.remove(&old_id) {
                        self.target.insert(member_id.clone(), t);
                    }
                    self.members.insert(member_id.clone(), m);
                } else if let Some(m) = self.members.get_mut(&member_id) {
                    // A known member re-joining has lost its partitions.
                    m.assigned.clear();
                    m.pending_revocation.clear();
                    m.member_epoch = 0;
                    m.previous_member_epoch = 0;
                    m.state = MemberState::Stable;
                    bump = true;
                } else {
                    if self.members.len() >= cfg.consumer_max_size {
                        return ConsumerHeartbeatResponse::error(
                            codes::GROUP_MAX_SIZE_REACHED,
                            format!(
                                "The consumer group has reached its maximum capacity of {} members.",
                                cfg.consumer_max_size
                            ),
                        );
                    }
                    self.members.insert(member_id.clone(), Self::new_member(&req, member_id.clone(), now, cfg));
                    bump = true;
                }
                if let Some(i) = &req.instance_id {
                    self.static_members.insert(i.clone(), member_id.clone());
                }
            }
            epoch => {
                let Some(m) = self.members.get(&member_id) else {
                    return ConsumerHeartbeatResponse::error(
                        codes::UNKNOWN_MEMBER_ID,
                        format!("Member {member_id} is not a member of group {}.", req.group_id),
                    );
                };
                let fenced = epoch > m.member_epoch
                    || (epoch < m.member_epoch
                        && (epoch != m.previous_member_epoch
                            || !req.owned.as_ref().is_some_and(|o| is_subset(o, &m.assigned))));
                if fenced {
                    return ConsumerHeartbeatResponse::error(
                        codes::FENCED_MEMBER_EPOCH,
                        format!("The member epoch {epoch} does not match the expected epoch {}.", m.member_epoch),
                    );
                }
            }
        }

        // Update the member from the request.
        let m = self.members.get_mut(&member_id).expect("member exists here");
        m.session_deadline = now + Duration::from_millis(cfg.consumer_session_timeout_ms as u64);
        m.client_id = req.client_id.clone();
        m.client_host = req.client_host.clone();
        if req.rack_id.is_some() {
            m.rack_id = req.rack_id.clone();
        }
        if req.rebalance_timeout_ms > 0 {
            m.rebalance_timeout = Duration::from_millis(req.rebalance_timeout_ms as u64);
        }
        let mut changed = false;
        if let Some(names) = &req.subscribed_topic_names {
            let mut names = names.clone();
            names.sort();
            names.dedup();
            changed |= names != m.subscribed_topic_names;
            m.subscribed_topic_names = names;
        }
        if let Some(r) = &req.subscribed_topic_regex {
            let r = Some(r.clone()).filter(|r| !r.is_empty());
            if r != m.subscribed_topic_regex {
                m.regex = r.as_deref().and_then(|p| compile_regex(p).ok());
                m.subscribed_topic_regex = r;
                changed = true;
            }
        }
        if req.server_assignor.is_some() && req.server_assignor != m.server_assignor {
            m.server_assignor = req.server_assignor.clone();
            changed = true;
        }
        bump |= changed;
        self.refresh_target(topics, cfg, bump);
        self.reconcile(&member_id, req.owned.as_ref(), now);
        let m = &self.members[&member_id];
        ConsumerHeartbeatResponse {
            member_id: member_id.clone(),
            member_epoch: m.member_epoch,
            heartbeat_interval_ms: interval,
            assignment: Some(m.assigned.clone()),
            ..Default::default()
        }
    }

    /// Bumps the group epoch if subscribed topics changed, and computes a new
    /// target assignment when the group epoch passed the assignment epoch.
    fn refresh_target(&mut self, topics: &TopicsView, cfg: &GroupConfig, mut bump: bool) {
        let subscribed: BTreeMap<Uuid, i32> = topics
            .iter()
            .filter(|(name, _)| self.members.values().any(|m| m.subscribes_to(name)))
            .map(|(_, (id, count))| (*id, *count))
            .collect();
        if subscribed != self.subscribed_topics {
            self.subscribed_topics = subscribed;
            bump = true;
        }
        if bump {
            self.bump();
        }
        if self.group_epoch <= self.assignment_epoch {
            return;
        }
        self.assignor = self.choose_assignor(cfg);
        let by_id: BTreeMap<Uuid, &str> = topics.iter().map(|(n, (id, _))| (*id, n.as_str())).collect();
        let specs: Vec<MemberSpec<'_>> = self
            .members
            .values()
            .map(|m| MemberSpec {
                member_id: &m.member_id,
                subscribed: self
                    .subscribed_topics
                    .keys()
                    .filter(|id| by_id.get(id).is_some_and(|n| m.subscribes_to(n)))
                    .copied()
                    .collect(),
                current: self.target.get(&m.member_id),
            })
            .collect();
        let target = assignor::assign(&self.assignor, &specs, &self.subscribed_topics);
        self.target = target;
        self.assignment_epoch = self.group_epoch;
    }

    /// The assignor most members asked for, else the first configured one.
    fn choose_assignor(&self, cfg: &GroupConfig) -> String {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some(a) = &m.server_assignor {
                *votes.entry(a.as_str()).or_default() += 1;
            }
        }
        let best = votes.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(n, _)| n.to_string());
        best.or_else(|| cfg.consumer_assignors.first().cloned()).unwrap_or_else(|| "uniform".to_string())
    }

    /// Kafka's `CurrentAssignmentBuilder`: moves one member toward its target.
    fn reconcile(&mut self, member_id: &str, owned: Option<&Assignment>, now: Instant) {
        let target_epoch = self.assignment_epoch;
        let m = &self.members[member_id];
        let advance = match m.state {
            MemberState::Stable => m.member_epoch != target_epoch,
            MemberState::UnrevokedPartitions => owned.is_some_and(|o| !overlaps(o, &m.pending_revocation)),
            MemberState::UnreleasedPartitions => true,
        };
        if !advance {
            return;
        }
        // Partitions other members still hold (assigned or not yet revoked).
        let mut held_by_others = Assignment::new();
        for (id, other) in &self.members {
            if id != member_id {
                for a in [&other.assigned, &other.pending_revocation] {
                    for (t, ps) in a {
                        held_by_others.entry(*t).or_default().extend(ps.iter().copied());
                    }
                }
            }
        }
        let empty = Assignment::new();
        let target = self.target.get(member_id).unwrap_or(&empty);
        let m = &self.members[member_id];
        let (mut retained, mut revoking, mut unreleased) = (Assignment::new(), Assignment::new(), false);
        let mut next = Assignment::new();
        for (t, ps) in &m.assigned {
            for p in ps {
                if target.get(t).is_some_and(|s| s.contains(p)) {
                    retained.entry(*t).or_default().insert(*p);
                    next.entry(*t).or_default().insert(*p);
                } else {
                    revoking.entry(*t).or_default().insert(*p);
                }
            }
        }
        for (t, ps) in target {
            for p in ps {
                if m.assigned.get(t).is_some_and(|s| s.contains(p)) {
                    continue;
                }
                if held_by_others.get(t).is_some_and(|s| s.contains(p)) {
                    unreleased = true;
                } else {
                    next.entry(*t).or_default().insert(*p);
                }
            }
        }
        let m = self.members.get_mut(member_id).expect("member exists");
        if !revoking.is_empty() {
            m.state = MemberState::UnrevokedPartitions;
            m.assigned = retained;
            m.pending_revocation = revoking;
            m.revocation_deadline = Some(now + m.rebalance_timeout);
        } else {
            m.state = if unreleased { MemberState::UnreleasedPartitions } else { MemberState::Stable };
            if m.member_epoch != target_epoch {
                m.previous_member_epoch = m.member_epoch;
                m.member_epoch = target_epoch;
            }
            m.assigned = next;
            m.pending_revocation.clear();
            m.revocation_deadline = None;
        }
    }

    /// Removes members whose session expired or who did not revoke in time.
    pub fn tick(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| m.session_deadline <= now || m.revocation_deadline.is_some_and(|d| d <= now))
            .map(|m| m.member_id.clone())
            .collect();
        for id in expired {
            tracing::info!(member = %id, "consumer group member removed: session or rebalance timeout expired");
            self.remove_member(&id);
        }
    }

    /// OffsetCommit / OffsetFetch checks for a consumer group (Kafka's
    /// `ConsumerGroup.validateOffsetCommit`): a member must exist and send its current epoch.
    pub fn check_member_epoch(&self, member_id: &str, epoch: i32) -> i16 {
        let Some(m) = self.members.get(member_id) else { return codes::UNKNOWN_MEMBER_ID };
        match epoch.cmp(&m.member_epoch) {
            std::cmp::Ordering::Greater => codes::FENCED_MEMBER_EPOCH,
            std::cmp::Ordering::Less => codes::STALE_MEMBER_EPOCH,
            std::cmp::Ordering::Equal => codes::NONE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> GroupConfig {
        GroupConfig::default()
    }

    fn topics() -> TopicsView {
        BTreeMap::from([("t".to_string(), (Uuid::from_u128(1), 4))])
    }

    fn join(id: &str) -> ConsumerHeartbeat {
        ConsumerHeartbeat {
            group_id: "g".into(),
            member_id: id.into(),
            member_epoch: 0,
            rebalance_timeout_ms: 1000,
            subscribed_topic_names: Some(vec!["t".into()]),
            owned: Some(Assignment::new()),
            ..Default::default()
        }
    }

    fn hb(id: &str, epoch: i32, owned: &Assignment) -> ConsumerHeartbeat {
        ConsumerHeartbeat {
            group_id: "g".into(),
            member_id: id.into(),
            member_epoch: epoch,
            owned: Some(owned.clone()),
            ..Default::default()
        }
    }

    fn n(a: &Option<Assignment>) -> usize {
        a.as_ref().map(count).unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn partitions_move_only_after_revocation() {
        let (mut g, t, now) = (ConsumerGroup::default(), topics(), Instant::now());
        let a = g.heartbeat(join("a"), &t, now, &cfg());
        assert_eq!((a.error_code, a.member_epoch, n(&a.assignment)), (0, 1, 4));
        let a_owned = a.assignment.clone().expect("assignment");
        // b joins: epoch 2; b gets nothing until a revoked its share.
        let b = g.heartbeat(join("b"), &t, now, &cfg());
        assert_eq!((b.member_epoch, n(&b.assignment)), (2, 0));
        assert_eq!(state_name(&g), "Reconciling");
        // a is told to keep 2 (still epoch 1: revocation first).
        let a = g.heartbeat(hb("a", 1, &a_owned), &t, now, &cfg());
        assert_eq!((a.member_epoch, n(&a.assignment)), (1, 2));
        let b = g.heartbeat(hb("b", 2, &Assignment::new()), &t, now, &cfg());
        assert_eq!(n(&b.assignment), 0, "a has not revoked yet");
        // a acknowledges the revocation: it moves to epoch 2, then b gets its partitions.
        let a = g.heartbeat(hb("a", 1, a.assignment.as_ref().expect("a")), &t, now, &cfg());
        assert_eq!(a.member_epoch, 2);
        let b = g.heartbeat(hb("b", 2, &Assignment::new()), &t, now, &cfg());
        assert_eq!(n(&b.assignment), 2);
        assert_eq!(state_name(&g), "Stable");
    }

    #[tokio::test(start_paused = true)]
    async fn epochs_are_fenced_and_sessions_expire() {
        let (mut g, t, now) = (ConsumerGroup::default(), topics(), Instant::now());
        let a = g.heartbeat(join("a"), &t, now, &cfg());
        let owned = a.assignment.expect("assignment");
        assert_eq!(g.heartbeat(hb("a", 5, &owned), &t, now, &cfg()).error_code, codes::FENCED_MEMBER_EPOCH);
        assert_eq!(g.heartbeat(hb("x", 1, &owned), &t, now, &cfg()).error_code, codes::UNKNOWN_MEMBER_ID);
        assert_eq!(g.check_member_epoch("a", 0), codes::STALE_MEMBER_EPOCH);
        assert_eq!(g.check_member_epoch("a", 1), codes::NONE);
        g.tick(now + Duration::from_millis(cfg().consumer_session_timeout_ms as u64 + 1));
        assert!(g.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_member_that_does_not_revoke_in_time_is_removed() {
        let (mut g, t, now) = (ConsumerGroup::default(), topics(), Instant::now());
        g.heartbeat(join("a"), &t, now, &cfg());
        g.heartbeat(join("b"), &t, now, &cfg());
        let a = g.heartbeat(hb("a", 1, &Assignment::new()), &t, now, &cfg());
        assert_eq!(a.member_epoch, 1);
        // a never acknowledges: after its 1 s rebalance timeout it is out and b takes all.
        g.tick(now + Duration::from_millis(1001));
        assert!(!g.members.contains_key("a"));
        let b = g.heartbeat(hb("b", 2, &Assignment::new()), &t, now, &cfg());
        assert_eq!(n(&b.assignment), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn static_member_leaving_temporarily_keeps_its_partitions() {
        let (mut g, t, now) = (ConsumerGroup::default(), topics(), Instant::now());
        let mut j = join("a");
        j.instance_id = Some("i1".into());
        let a = g.heartbeat(j.clone(), &t, now, &cfg());
        let owned = a.assignment.clone().expect("assignment");
        let left = g.heartbeat(hb("a", LEAVE_STATIC_EPOCH, &owned), &t, now, &cfg());
        assert_eq!(left.member_epoch, LEAVE_STATIC_EPOCH);
        // Another member with the same instance id while a is active would be refused; now it takes over.
        j.member_id = "a2".into();
        let a2 = g.heartbeat(j, &t, now, &cfg());
        assert_eq!((a2.error_code, a2.member_epoch), (0, 1));
        assert_eq!(a2.assignment, Some(owned));
    }

    #[test]
    fn snapshot_round_trips() {
        let (mut g, t) = (ConsumerGroup::default(), topics());
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("rt");
        rt.block_on(async {
            let now = Instant::now();
            g.heartbeat(join("a"), &t, now, &cfg());
            let mut w = Writer::default();
            g.snapshot(&mut w);
            let back = ConsumerGroup::restore(&mut Reader(&w.0), now, &cfg()).expect("restore");
            let mut w2 = Writer::default();
            back.snapshot(&mut w2);
            assert_eq!(w.0, w2.0);
            assert_eq!(back.members["a"].member_epoch, 1);
        });
    }

    #[test]
    fn requests_are_validated() {
        let mut bad = join("a");
        bad.server_assignor = Some("nope".into());
        assert_eq!(validate(&bad, &cfg()).expect_err("assignor").error_code, codes::UNSUPPORTED_ASSIGNOR);
        let mut bad = join("a");
        bad.subscribed_topic_regex = Some("(".into());
        assert_eq!(validate(&bad, &cfg()).expect_err("regex").error_code, codes::INVALID_REGULAR_EXPRESSION);
        let mut bad = join("a");
        bad.subscribed_topic_names = None;
        assert_eq!(validate(&bad, &cfg()).expect_err("no subscription").error_code, codes::INVALID_REQUEST);
    }
}
