//! The group coordinator. It owns what Kafka's group coordinator owns and
//! keeps it in the metadata store, so any broker sharing the store sees the
//! same groups. It knows nothing about sockets or the wire format: handlers
//! translate requests into these calls and errors into Kafka codes.
//!
//! What exists: the classic membership protocol ([`classic`]: JoinGroup,
//! SyncGroup, Heartbeat, LeaveGroup, with session and rebalance timeouts and
//! static membership), committed offsets in the metadata store (also for
//! consumers that only `assign()`), and the admin views (list, describe,
//! delete), and the KIP-848 consumer protocol ([`consumer`]:
//! ConsumerGroupHeartbeat with server-side [`assignor`]s). A group id is
//! either classic or consumer while it has members.
//!
//! Membership is held in memory and written to the metadata store
//! ([`oxbow_meta_store::GroupStateStore`]) by the ticker within
//! [`TICK_MS`] of each change, under a per-group lease that fences a previous
//! owner. On start the coordinator loads every group it can lease, so after
//! a crash members continue with their member ids, generations, epochs and
//! assignments, without a rebalance. Classic groups are stored when Stable
//! (a crash mid-rebalance restores the last completed generation).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use oxbow_meta_store::{CommittedOffset, MetaError, MetaStore, PartitionKey};
use tokio::time::Instant;

pub mod assignor;
pub mod classic;
pub mod consumer;
pub mod snapshot;
use classic::Group;
pub use classic::{
    codes, GroupConfig, GroupDescription, GroupState, JoinRequest, JoinResponse, MemberDescription, SyncResponse,
};
use consumer::{ConsumerGroup, ConsumerHeartbeat, ConsumerHeartbeatResponse};

/// How often session expiries and rebalance deadlines are checked, and
/// changed group state is written to the store.
pub const TICK_MS: u64 = 100;
/// Group lease length in the store, and how often a held lease is renewed.
pub const GROUP_LEASE_MS: i64 = 30_000;
pub const GROUP_LEASE_RENEW_MS: i64 = 10_000;
/// Extra time a Join/Sync waits beyond the rebalance timeout before giving up.
const WAIT_MARGIN_MS: u64 = 5_000;

/// Kafka's `offset.metadata.max.bytes` default.
pub const OFFSET_METADATA_BYTES_MAX: usize = 4096;

/// Why a group operation was refused; each maps to one Kafka error code.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("invalid group id")]
    InvalidGroupId,
    #[error("the group has no generation {0}: it has no members")]
    IllegalGeneration(i32),
    #[error("unknown member id {0:?}")]
    UnknownMemberId(String),
    #[error("group {0} does not exist")]
    GroupIdNotFound(String),
    #[error("a rebalance is in progress")]
    RebalanceInProgress,
    #[error("group {0} still has members")]
    NonEmptyGroup(String),
    #[error("member epoch {0} is stale")]
    StaleMemberEpoch(i32),
    #[error("member epoch {0} is fenced")]
    FencedMemberEpoch(i32),
    #[error(transparent)]
    Store(#[from] MetaError),
}

impl GroupError {
    /// The Kafka error code for this refusal.
    pub fn code(&self) -> i16 {
        match self {
            GroupError::InvalidGroupId => 24,
            GroupError::IllegalGeneration(_) => 22,
            GroupError::UnknownMemberId(_) => 25,
            GroupError::GroupIdNotFound(_) => 69,
            GroupError::RebalanceInProgress => 27,
            GroupError::NonEmptyGroup(_) => 68,
            GroupError::StaleMemberEpoch(_) => consumer::codes::STALE_MEMBER_EPOCH,
            GroupError::FencedMemberEpoch(_) => consumer::codes::FENCED_MEMBER_EPOCH,
            GroupError::Store(MetaError::UnknownTopicOrPartition) => 3,
            // The coordinator cannot reach its state: clients look it up again and retry.
            GroupError::Store(_) => 15,
        }
    }
}

pub struct GroupCoordinator {
    meta: Arc<dyn MetaStore>,
    config: GroupConfig,
    groups: Mutex<HashMap<String, Group>>,
    /// KIP-848 groups. Lock order: `groups` before `consumer_groups`.
    consumer_groups: Mutex<HashMap<String, ConsumerGroup>>,
    /// What was last written to the store, and the leases held. One writer at a time.
    durable: tokio::sync::Mutex<Durable>,
}

#[derive(Default)]
struct Durable {
    saved: HashMap<String, Vec<u8>>,
    /// Group -> (lease epoch, when it was last renewed, ms).
    leases: HashMap<String, (i64, i64)>,
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// One group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: String,
    pub protocol_type: String,
    /// Kafka's state name ("Stable", "Empty", "Reconciling", ...).
    pub state: &'static str,
    /// "classic" or "consumer" (ListGroups v5).
    pub group_type: &'static str,
}

/// One KIP-848 member as ConsumerGroupDescribe reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerMemberDescription {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub member_epoch: i32,
    pub client_id: String,
    pub client_host: String,
    pub subscribed_topic_names: Vec<String>,
    pub subscribed_topic_regex: Option<String>,
    pub assignment: assignor::Assignment,
    pub target_assignment: assignor::Assignment,
}

/// One KIP-848 group as ConsumerGroupDescribe reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupDescription {
    pub state: &'static str,
    pub group_epoch: i32,
    pub assignment_epoch: i32,
    pub assignor_name: String,
    pub members: Vec<ConsumerMemberDescription>,
}

impl GroupCoordinator {
    pub fn new(meta: Arc<dyn MetaStore>, config: GroupConfig) -> Arc<Self> {
        Arc::new(GroupCoordinator {
            meta,
            config,
            groups: Mutex::new(HashMap::new()),
            consumer_groups: Mutex::new(HashMap::new()),
            durable: tokio::sync::Mutex::new(Durable::default()),
        })
    }

    /// Starts the task that expires sessions and ends overdue join phases.
    pub fn start(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(TICK_MS));
            loop {
                tick.tick().await;
                let Some(this) = weak.upgrade() else { return };
                this.tick(Instant::now());
                this.persist().await;
            }
        });
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Group>> {
        self.groups.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads every stored group this broker can lease (call before serving).
    /// Returns how many groups were restored.
    pub async fn load(&self) -> Result<usize, MetaError> {
        let owner = &self.config.coordinator_owner;
        let mut durable = self.durable.lock().await;
        let mut restored = 0;
        for (id, bytes) in self.meta.load_group_states().await? {
            let now_ms = wall_ms();
            let Some(epoch) = self.meta.acquire_group_lease(&id, owner, now_ms, GROUP_LEASE_MS).await? else {
                tracing::info!(group = %id, "group is leased by another coordinator; not loaded");
                continue;
            };
            durable.leases.insert(id.clone(), (epoch, now_ms));
            match self.decode_group(&id, &bytes) {
                Ok(()) => {
                    restored += 1;
                    durable.saved.insert(id, bytes);
                }
                Err(e) => tracing::warn!(group = %id, error = %e, "stored group state unreadable; group starts empty"),
            }
        }
        Ok(restored)
    }

    fn decode_group(&self, id: &str, bytes: &[u8]) -> snapshot::DecodeResult<()> {
        let mut r = snapshot::Reader(bytes);
        let version = r.u8()?;
        if version != snapshot::FORMAT_VERSION {
            return Err(format!("unknown group state format {version}"));
        }
        let now = Instant::now();
        match r.u8()? {
            snapshot::KIND_CLASSIC => {
                let g = Group::restore(&mut r, now)?;
                self.lock().insert(id.to_string(), g);
            }
            snapshot::KIND_CONSUMER => {
                let g = ConsumerGroup::restore(&mut r, now, &self.config)?;
                self.lock_consumer().insert(id.to_string(), g);
            }
            kind => return Err(format!("unknown group kind {kind}")),
        }
        Ok(())
    }

    /// Writes groups whose durable state changed since the last write (and
    /// clears groups that are gone), renewing leases as they come due.
    pub async fn persist(&self) {
        // group id -> Some(state) to store, None to clear; groups mid-rebalance keep their last state.
        let mut changes: Vec<(String, Option<Vec<u8>>)> = Vec::new();
        let mut present: std::collections::HashSet<String> = std::collections::HashSet::new();
        {
            let classic = self.lock();
            for (id, g) in classic.iter() {
                present.insert(id.clone());
                let mut w = snapshot::Writer(vec![snapshot::FORMAT_VERSION, snapshot::KIND_CLASSIC]);
                if g.snapshot(&mut w) {
                    changes.push((id.clone(), Some(w.0)));
                } else if g.state == GroupState::Empty && g.is_empty() {
                    changes.push((id.clone(), None));
                }
            }
        }
        {
            let consumer = self.lock_consumer();
            for (id, g) in consumer.iter() {
                present.insert(id.clone());
                if g.is_empty() {
                    changes.push((id.clone(), None));
                } else {
                    let mut w = snapshot::Writer(vec![snapshot::FORMAT_VERSION, snapshot::KIND_CONSUMER]);
                    g.snapshot(&mut w);
                    changes.push((id.clone(), Some(w.0)));
                }
            }
        }
        let mut durable = self.durable.lock().await;
        changes.extend(durable.saved.keys().filter(|id| !present.contains(*id)).map(|id| (id.clone(), None)));
        let owner = &self.config.coordinator_owner;
        for (id, state) in changes {
            if durable.saved.get(&id) == state.as_ref() {
                continue;
            }
            let Some(epoch) = self.lease(&mut durable, &id).await else { continue };
            match self.meta.save_group_state(&id, owner, epoch, state.clone()).await {
                Ok(true) => match state {
                    Some(s) => {
                        durable.saved.insert(id, s);
                    }
                    None => {
                        durable.saved.remove(&id);
                        durable.leases.remove(&id);
                    }
                },
                Ok(false) => {
                    tracing::warn!(group = %id, "group lease lost to another coordinator; state not written");
                    durable.leases.remove(&id);
                }
                Err(e) => tracing::warn!(group = %id, error = %e, "group state not written; retrying"),
            }
        }
        // Keep the leases of stored groups alive.
        let now_ms = wall_ms();
        let due: Vec<String> = durable
            .leases
            .iter()
            .filter(|(id, (_, at))| durable.saved.contains_key(*id) && now_ms - at >= GROUP_LEASE_RENEW_MS)
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            durable.leases.remove(&id);
            self.lease(&mut durable, &id).await;
        }
    }

    /// The lease epoch for `group_id`, taking or renewing the lease if needed.
    async fn lease(&self, durable: &mut Durable, group_id: &str) -> Option<i64> {
        let now_ms = wall_ms();
        if let Some((epoch, at)) = durable.leases.get(group_id) {
            if now_ms - at < GROUP_LEASE_RENEW_MS {
                return Some(*epoch);
            }
        }
        let owner = &self.config.coordinator_owner;
        match self.meta.acquire_group_lease(group_id, owner, now_ms, GROUP_LEASE_MS).await {
            Ok(Some(epoch)) => {
                durable.leases.insert(group_id.to_string(), (epoch, now_ms));
                Some(epoch)
            }
            Ok(None) => {
                tracing::warn!(group = %group_id, "group is leased by another coordinator");
                None
            }
            Err(e) => {
                tracing::warn!(group = %group_id, error = %e, "group lease not renewed");
                None
            }
        }
    }

    fn lock_consumer(&self) -> MutexGuard<'_, HashMap<String, ConsumerGroup>> {
        self.consumer_groups.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn tick(&self, now: Instant) {
        let mut groups = self.lock();
        for group in groups.values_mut() {
            group.tick(now, &self.config);
        }
        // An Empty group has nothing in memory worth keeping; its offsets stay in the store.
        groups.retain(|_, g| !(g.state == GroupState::Empty && g.is_empty()));
        drop(groups);
        let mut consumer = self.lock_consumer();
        for group in consumer.values_mut() {
            group.tick(now);
        }
        consumer.retain(|_, g| !g.is_empty());
    }

    /// Whether `group_id` is a consumer (KIP-848) group with members.
    fn is_active_consumer_group(&self, group_id: &str) -> bool {
        self.lock_consumer().get(group_id).is_some_and(|g| !g.is_empty())
    }

    /// ConsumerGroupHeartbeat (KIP-848).
    pub async fn consumer_heartbeat(&self, req: ConsumerHeartbeat) -> ConsumerHeartbeatResponse {
        if let Err(resp) = consumer::validate(&req, &self.config) {
            return resp;
        }
        // Subscriptions are resolved against the topics in the store on every
        // heartbeat, so new topics and partitions reach the assignor.
        let topics = match self.meta.topics().await {
            Ok(t) => t.into_iter().map(|t| (t.name, (t.id, t.partition_count))).collect(),
            Err(e) => {
                return ConsumerHeartbeatResponse::error(GroupError::Store(e).code(), "metadata store unavailable")
            }
        };
        let classic = self.lock();
        if classic.get(&req.group_id).is_some_and(|g| !(g.state == GroupState::Empty && g.is_empty())) {
            return ConsumerHeartbeatResponse::error(
                consumer::codes::GROUP_ID_NOT_FOUND,
                format!("Group {} is not a consumer group.", req.group_id),
            );
        }
        let mut groups = self.lock_consumer();
        drop(classic);
        if req.member_epoch != 0 && !groups.contains_key(&req.group_id) {
            return ConsumerHeartbeatResponse::error(
                consumer::codes::UNKNOWN_MEMBER_ID,
                format!("Member {} is not a member of group {}.", req.member_id, req.group_id),
            );
        }
        let group = groups.entry(req.group_id.clone()).or_default();
        group.heartbeat(req, &topics, Instant::now(), &self.config)
    }

    /// ConsumerGroupDescribe: Err((code, message)) for a missing or classic group.
    pub async fn describe_consumer_group(&self, group_id: &str) -> Result<ConsumerGroupDescription, (i16, String)> {
        if let Some(g) = self.lock_consumer().get(group_id) {
            let empty = assignor::Assignment::new();
            return Ok(ConsumerGroupDescription {
                state: consumer::state_name(g),
                group_epoch: g.group_epoch,
                assignment_epoch: g.assignment_epoch,
                assignor_name: g.assignor.clone(),
                members: g
                    .members
                    .values()
                    .map(|m| ConsumerMemberDescription {
                        member_id: m.member_id.clone(),
                        instance_id: m.instance_id.clone(),
                        rack_id: m.rack_id.clone(),
                        member_epoch: m.member_epoch,
                        client_id: m.client_id.clone(),
                        client_host: m.client_host.clone(),
                        subscribed_topic_names: m.subscribed_topic_names.clone(),
                        subscribed_topic_regex: m.subscribed_topic_regex.clone(),
                        assignment: m.assigned.clone(),
                        target_assignment: g.target.get(&m.member_id).unwrap_or(&empty).clone(),
                    })
                    .collect(),
            });
        }
        let not_found = consumer::codes::GROUP_ID_NOT_FOUND;
        if self.lock().contains_key(group_id) {
            return Err((not_found, format!("Group {group_id} is not a consumer group.")));
        }
        match self.group_exists(group_id).await {
            // A group with only committed offsets is an Empty group with no type yet.
            Ok(true) => Err((not_found, format!("Group {group_id} is not a consumer group."))),
            Ok(false) => Err((not_found, format!("Group {group_id} not found."))),
            Err(e) => Err((e.code(), e.to_string())),
        }
    }

    /// OffsetFetch v9 for a consumer group: a member that names itself must
    /// send its current epoch (admin fetches send no member id).
    pub fn authorize_fetch(
        &self,
        group_id: &str,
        member_id: Option<&str>,
        member_epoch: i32,
    ) -> Result<(), GroupError> {
        let member_id = member_id.unwrap_or("");
        if member_id.is_empty() && member_epoch < 0 {
            return Ok(());
        }
        match self.lock_consumer().get(group_id) {
            Some(g) => self.member_epoch_result(g.check_member_epoch(member_id, member_epoch), member_id, member_epoch),
            None => Ok(()),
        }
    }

    fn member_epoch_result(&self, code: i16, member_id: &str, epoch: i32) -> Result<(), GroupError> {
        match code {
            consumer::codes::NONE => Ok(()),
            consumer::codes::STALE_MEMBER_EPOCH => Err(GroupError::StaleMemberEpoch(epoch)),
            consumer::codes::FENCED_MEMBER_EPOCH => Err(GroupError::FencedMemberEpoch(epoch)),
            _ => Err(GroupError::UnknownMemberId(member_id.to_string())),
        }
    }

    pub async fn join(&self, req: JoinRequest) -> JoinResponse {
        if req.group_id.is_empty() {
            return JoinResponse { error_code: codes::INVALID_GROUP_ID, generation_id: -1, ..Default::default() };
        }
        if self.is_active_consumer_group(&req.group_id) {
            // Kafka refuses classic members in a non-empty consumer group it may not convert.
            return JoinResponse {
                error_code: codes::INCONSISTENT_GROUP_PROTOCOL,
                member_id: req.member_id,
                generation_id: -1,
                ..Default::default()
            };
        }
        let wait_ms = req.rebalance_timeout_ms.max(req.session_timeout_ms).max(0) as u64 + WAIT_MARGIN_MS;
        let member_id = req.member_id.clone();
        let rx = {
            let mut groups = self.lock();
            let group = groups.entry(req.group_id.clone()).or_insert_with(Group::new);
            match group.join(req, Instant::now(), &self.config) {
                Ok(rx) => rx,
                Err(resp) => return resp,
            }
        };
        let refused = |code| JoinResponse {
            error_code: code,
            member_id: member_id.clone(),
            generation_id: -1,
            ..Default::default()
        };
        match tokio::time::timeout(Duration::from_millis(wait_ms), rx).await {
            Ok(Ok(resp)) => resp,
            Ok(Err(_)) => refused(codes::UNKNOWN_MEMBER_ID),
            Err(_) => refused(codes::REBALANCE_IN_PROGRESS),
        }
    }

    pub async fn sync(
        &self,
        group_id: &str,
        generation_id: i32,
        member_id: &str,
        instance: Option<&str>,
        assignments: Vec<(String, Bytes)>,
        wait: Duration,
    ) -> SyncResponse {
        let rx = {
            let mut groups = self.lock();
            let Some(group) = groups.get_mut(group_id) else {
                return SyncResponse { error_code: codes::UNKNOWN_MEMBER_ID, ..Default::default() };
            };
            match group.sync(generation_id, member_id, instance, assignments, Instant::now()) {
                Ok(rx) => rx,
                Err(resp) => return resp,
            }
        };
        match tokio::time::timeout(wait + Duration::from_millis(WAIT_MARGIN_MS), rx).await {
            Ok(Ok(resp)) => resp,
            Ok(Err(_)) => SyncResponse { error_code: codes::UNKNOWN_MEMBER_ID, ..Default::default() },
            Err(_) => SyncResponse { error_code: codes::REBALANCE_IN_PROGRESS, ..Default::default() },
        }
    }

    pub fn heartbeat(&self, group_id: &str, generation_id: i32, member_id: &str, instance: Option<&str>) -> i16 {
        match self.lock().get_mut(group_id) {
            Some(group) => group.heartbeat(generation_id, member_id, instance, Instant::now()),
            None => codes::UNKNOWN_MEMBER_ID,
        }
    }

    /// LeaveGroup: one code per (member id, instance id).
    pub fn leave(&self, group_id: &str, members: &[(String, Option<String>)]) -> Vec<i16> {
        let mut groups = self.lock();
        let Some(group) = groups.get_mut(group_id) else {
            return vec![codes::UNKNOWN_MEMBER_ID; members.len()];
        };
        let now = Instant::now();
        members.iter().map(|(id, instance)| group.leave(id, instance.as_deref(), now, &self.config)).collect()
    }

    /// Every group: those with members in memory and those with only committed offsets.
    pub async fn list_groups(&self) -> Result<Vec<GroupListing>, GroupError> {
        let with_offsets = self.meta.groups_with_offsets().await?;
        let groups = self.lock();
        let mut out: Vec<GroupListing> = groups
            .iter()
            .map(|(id, g)| GroupListing {
                group_id: id.clone(),
                protocol_type: g.protocol_type().to_string(),
                state: g.state.name(),
                group_type: "classic",
            })
            .collect();
        let consumer = self.lock_consumer();
        out.extend(consumer.iter().filter(|(id, _)| !groups.contains_key(*id)).map(|(id, g)| GroupListing {
            group_id: id.clone(),
            protocol_type: "consumer".to_string(),
            state: consumer::state_name(g),
            group_type: "consumer",
        }));
        for id in with_offsets {
            if !groups.contains_key(&id) && !consumer.contains_key(&id) {
                out.push(GroupListing {
                    group_id: id,
                    protocol_type: String::new(),
                    state: GroupState::Empty.name(),
                    group_type: "classic",
                });
            }
        }
        out.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(out)
    }

    /// None when the group does not exist at all (Kafka reports it as Dead).
    /// A consumer group is Dead here too, as Kafka 4 answers DescribeGroups
    /// for a group that is not classic.
    pub async fn describe_group(&self, group_id: &str) -> Result<Option<GroupDescription>, GroupError> {
        if self.lock_consumer().contains_key(group_id) {
            return Ok(None);
        }
        if let Some(g) = self.lock().get(group_id) {
            return Ok(Some(g.describe()));
        }
        Ok(self.group_exists(group_id).await?.then(|| GroupDescription {
            state: GroupState::Empty,
            protocol_type: String::new(),
            protocol_name: String::new(),
            members: Vec::new(),
        }))
    }

    /// DeleteGroups for one group: only an Empty group can go; its offsets go with it.
    pub async fn delete_group(&self, group_id: &str) -> Result<(), GroupError> {
        if self.is_active_consumer_group(group_id) {
            return Err(GroupError::NonEmptyGroup(group_id.to_string()));
        }
        let in_memory = {
            let groups = self.lock();
            match groups.get(group_id) {
                Some(g) if g.state != GroupState::Empty || !g.is_empty() => {
                    return Err(GroupError::NonEmptyGroup(group_id.to_string()))
                }
                Some(_) => true,
                None => false,
            }
        };
        let had_offsets = self.meta.delete_group_offsets_all(group_id).await?;
        if in_memory {
            self.lock().remove(group_id);
        }
        if !had_offsets && !in_memory {
            return Err(GroupError::GroupIdNotFound(group_id.to_string()));
        }
        Ok(())
    }

    /// Whether the group currently exists (has committed offsets).
    pub async fn group_exists(&self, group_id: &str) -> Result<bool, GroupError> {
        Ok(!self.meta.group_offsets(group_id, None).await?.is_empty())
    }

    /// Checks who may commit, as Kafka's classic coordinator does for a
    /// group with no members: generation -1 is a simple commit; a positive
    /// generation claims membership and is refused.
    /// An empty group id is valid here, as Kafka allows it for offset APIs.
    pub async fn authorize_commit(
        &self,
        group_id: &str,
        generation_id: i32,
        member_id: &str,
    ) -> Result<(), GroupError> {
        if let Some(g) = self.lock_consumer().get(group_id).filter(|g| !g.is_empty()) {
            // KIP-848: the member must exist and send its current member epoch.
            return self.member_epoch_result(g.check_member_epoch(member_id, generation_id), member_id, generation_id);
        }
        if let Some(group) = self.lock().get_mut(group_id) {
            return group.check_commit(generation_id, member_id, Instant::now()).map_err(|code| match code {
                codes::UNKNOWN_MEMBER_ID => GroupError::UnknownMemberId(member_id.to_string()),
                codes::REBALANCE_IN_PROGRESS => GroupError::RebalanceInProgress,
                _ => GroupError::IllegalGeneration(generation_id),
            });
        }
        // Generation -1 is a commit from outside group management (admin, or
        // a consumer that only assigns; KIP-848 clients send their member id
        // too): Kafka accepts it whenever the group has no members.
        if generation_id < 0 {
            return Ok(());
        }
        if self.group_exists(group_id).await? {
            Err(GroupError::UnknownMemberId(member_id.to_string()))
        } else {
            Err(GroupError::IllegalGeneration(generation_id))
        }
    }

    /// Stores offsets already checked by [`authorize_commit`] and per-partition validation.
    pub async fn commit_offsets(&self, group_id: &str, offsets: Vec<CommittedOffset>) -> Result<(), GroupError> {
        debug_assert!(offsets.iter().all(|o| o.metadata.as_ref().is_none_or(|m| m.len() <= OFFSET_METADATA_BYTES_MAX)));
        if offsets.is_empty() {
            return Ok(());
        }
        Ok(self.meta.commit_group_offsets(group_id, offsets).await?)
    }

    /// Committed offsets of `partitions` (or all of the group's); a group
    /// that never committed simply has none (clients read -1), as in Kafka.
    pub async fn fetch_offsets(
        &self,
        group_id: &str,
        partitions: Option<Vec<PartitionKey>>,
    ) -> Result<Vec<CommittedOffset>, GroupError> {
        Ok(self.meta.group_offsets(group_id, partitions).await?)
    }

    /// OffsetDelete: GROUP_ID_NOT_FOUND for a group that does not exist.
    pub async fn delete_offsets(&self, group_id: &str, partitions: Vec<PartitionKey>) -> Result<(), GroupError> {
        if group_id.is_empty() {
            return Err(GroupError::InvalidGroupId);
        }
        let in_memory = self.lock().contains_key(group_id);
        if !in_memory && !self.group_exists(group_id).await? {
            return Err(GroupError::GroupIdNotFound(group_id.to_string()));
        }
        Ok(self.meta.delete_group_offsets(group_id, partitions).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxbow_meta_store::{NewTopic, SqliteMetaStore};

    async fn setup() -> (tempfile::TempDir, GroupCoordinator, PartitionKey) {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = Arc::new(SqliteMetaStore::open(&dir.path().join("m.sqlite")).expect("open"));
        let id = uuid::Uuid::new_v4();
        meta.create_topic(NewTopic {
            name: "t".into(),
            id,
            partition_count: 2,
            replication_factor: 1,
            configs: Default::default(),
            created_ms: 0,
        })
        .await
        .expect("topic");
        (
            dir,
            Arc::into_inner(GroupCoordinator::new(meta, GroupConfig::default())).expect("sole owner"),
            PartitionKey { topic_id: id, partition: 0 },
        )
    }

    fn offset(p: PartitionKey, offset: i64) -> CommittedOffset {
        CommittedOffset { partition: p, offset, leader_epoch: -1, metadata: None, commit_timestamp_ms: 1 }
    }

    #[tokio::test]
    async fn simple_commits_are_accepted_and_membership_claims_refused() {
        let (_d, c, p) = setup().await;
        assert_eq!(c.authorize_commit("g", 3, "m").await.expect_err("no such generation").code(), 22);
        c.authorize_commit("g", -1, "").await.expect("simple commit");
        c.commit_offsets("g", vec![offset(p, 42)]).await.expect("commit");
        assert_eq!(c.authorize_commit("g", 3, "m").await.expect_err("not a member").code(), 25);
        assert_eq!(c.fetch_offsets("g", None).await.expect("fetch")[0].offset, 42);
        assert!(c.fetch_offsets("never", Some(vec![p])).await.expect("fetch").is_empty());
    }

    #[tokio::test]
    async fn delete_needs_an_existing_group() {
        let (_d, c, p) = setup().await;
        assert_eq!(c.delete_offsets("g", vec![p]).await.expect_err("no group").code(), 69);
        c.commit_offsets("g", vec![offset(p, 1)]).await.expect("commit");
        c.delete_offsets("g", vec![p]).await.expect("delete");
        assert!(!c.group_exists("g").await.expect("exists"));
    }
}
