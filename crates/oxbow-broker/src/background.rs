//! Periodic work: retention by `retention.ms` / `retention.bytes`, deletion
//! of dead and orphaned objects, and renewal of this broker's registration
//! lease.

use std::sync::Arc;
use std::time::Duration;

use oxbow_log::PartitionKey;

use crate::Broker;

/// How long a broker registration lasts without renewal.
pub const BROKER_LEASE_MS: i64 = 10_000;

/// Registers (or renews) this broker's lease, then refreshes the broker's
/// view of the live brokers (Metadata, partition leaders, group coordinators).
pub async fn register(broker: &Broker) -> Result<(), oxbow_meta_store::MetaError> {
    let now = oxbow_log::now_ms();
    broker.meta.register_broker(broker.registration(now + BROKER_LEASE_MS)).await?;
    broker.set_live_brokers(broker.meta.live_brokers(now).await?);
    Ok(())
}

/// Ends this broker's lease at shutdown, so that the others stop listing it
/// at their next refresh instead of when the lease runs out.
pub async fn deregister(broker: &Broker) -> Result<(), oxbow_meta_store::MetaError> {
    broker.meta.register_broker(broker.registration(oxbow_log::now_ms() - 1)).await
}

/// One retention pass over every partition. Returns how many partitions moved their log start.
pub async fn enforce_retention(broker: &Broker) -> Result<usize, oxbow_log::LogError> {
    let now = oxbow_log::now_ms();
    let mut moved = 0;
    for topic in broker.all_topics().await? {
        let retention_ms: i64 = broker.topic_config(&topic, "retention.ms").parse().unwrap_or(-1);
        let retention_bytes: i64 = broker.topic_config(&topic, "retention.bytes").parse().unwrap_or(-1);
        let min_ts = (retention_ms >= 0).then(|| now.saturating_sub(retention_ms));
        let max_bytes = (retention_bytes >= 0).then_some(retention_bytes);
        if min_ts.is_none() && max_bytes.is_none() {
            continue;
        }
        for partition in 0..topic.partition_count {
            let key = PartitionKey { topic_id: topic.id, partition };
            let before = broker.meta.partition_offsets(key).await?.unwrap_or_default();
            let after = broker.meta.apply_retention(key, min_ts, max_bytes, now).await?;
            if after.log_start_offset != before.log_start_offset {
                tracing::info!(topic = %topic.name, partition, log_start_offset = after.log_start_offset, "retention moved log start");
                moved += 1;
            }
        }
    }
    Ok(moved)
}

/// Runs until `shutdown` flips: retention and GC every
/// `log.retention.check.interval.ms`, lease renewal every third of the lease.
pub async fn run(broker: Arc<Broker>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut retention = tokio::time::interval(Duration::from_millis(broker.config.log_retention_check_interval_ms));
    let mut lease = tokio::time::interval(Duration::from_millis((BROKER_LEASE_MS / 3) as u64));
    retention.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    lease.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = lease.tick() => {
                if let Err(e) = register(&broker).await {
                    tracing::warn!(error = %e, "broker lease renewal failed");
                }
            }
            _ = retention.tick() => {
                if let Err(e) = enforce_retention(&broker).await {
                    tracing::warn!(error = %e, "retention pass failed");
                }
                match broker.engine.collect_garbage().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(objects = n, "deleted unreferenced objects"),
                    Err(e) => tracing::warn!(error = %e, "object garbage collection failed"),
                }
            }
        }
    }
}
