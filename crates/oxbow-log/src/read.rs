//! The read path: index rows, object bytes through the cache, verification,
//! base-offset patching.

use bytes::{Bytes, BytesMut};
use oxbow_meta_store::{IndexEntry, PartitionKey, PartitionOffsets};

use crate::{LogEngine, LogError};

#[derive(Debug, Clone)]
pub struct ReadResult {
    pub offsets: PartitionOffsets,
    /// Whole batches, concatenated, base offsets patched; may start before the requested offset.
    pub records: Bytes,
    pub batch_count: usize,
}

impl LogEngine {
    /// Fetches the object bytes of one index row, from the cache when possible.
    pub(crate) async fn batch_bytes(&self, entry: &IndexEntry) -> Result<Bytes, LogError> {
        let start = entry.byte_position as usize;
        let end = start + entry.byte_length as usize;
        let object = match self.cache.get(&entry.object_key) {
            Some(object) => object,
            None => {
                let object = self.objects.get(&entry.object_key).await?;
                self.cache.insert(entry.object_key.clone(), object.clone());
                object
            }
        };
        if end > object.len() {
            return Err(LogError::Corrupt(format!(
                "index row {}..{} points past object {} of {} bytes",
                start,
                end,
                entry.object_key,
                object.len()
            )));
        }
        Ok(object.slice(start..end))
    }

    /// Reads whole batches from `from_offset` up to about `max_bytes`. With
    /// `allow_oversized_first`, the first batch is returned even when it alone
    /// exceeds `max_bytes` (Kafka does this so consumers always progress).
    /// Returns None for an unknown partition.
    pub async fn read(
        &self,
        partition: PartitionKey,
        from_offset: i64,
        max_bytes: u64,
        allow_oversized_first: bool,
    ) -> Result<Option<ReadResult>, LogError> {
        let Some((offsets, entries)) =
            self.meta.read_index(partition, from_offset, self.config.read_index_entries_max, max_bytes).await?
        else {
            return Ok(None);
        };
        let mut out = BytesMut::new();
        let mut batch_count = 0;
        for entry in &entries {
            if entry.base_offset < offsets.log_start_offset && entry.last_offset < offsets.log_start_offset {
                continue;
            }
            let would_be = out.len() as u64 + entry.byte_length as u64;
            if would_be > max_bytes && !(batch_count == 0 && allow_oversized_first) {
                break;
            }
            let bytes = self.batch_bytes(entry).await?;
            oxbow_codec::batch::verify_stored(&bytes)
                .map_err(|e| LogError::Corrupt(format!("object {}: {e}", entry.object_key)))?;
            let at = out.len();
            out.extend_from_slice(&bytes);
            oxbow_codec::batch::patch_base_offset(&mut out[at..], entry.base_offset);
            batch_count += 1;
        }
        Ok(Some(ReadResult { offsets, records: out.freeze(), batch_count }))
    }

    /// The offset of the first record whose timestamp is >= `timestamp_ms`,
    /// with that record's timestamp; None if no such record.
    pub async fn offset_for_timestamp(
        &self,
        partition: PartitionKey,
        timestamp_ms: i64,
    ) -> Result<Option<(i64, i64)>, LogError> {
        let Some(entry) = self.meta.first_entry_at_or_after_timestamp(partition, timestamp_ms).await? else {
            return Ok(None);
        };
        let bytes = self.batch_bytes(&entry).await?;
        let records = crate::records::record_timestamps(&bytes, self.config.decompressed_bytes_max)?;
        let offsets = self.meta.partition_offsets(partition).await?.unwrap_or_default();
        Ok(records
            .into_iter()
            .map(|(delta, ts)| (entry.base_offset + delta as i64, ts))
            .find(|(offset, ts)| *ts >= timestamp_ms && *offset >= offsets.log_start_offset))
    }

    /// The offset and timestamp of the record with the largest timestamp
    /// (the earliest such record on ties), as ListOffsets MAX_TIMESTAMP answers.
    pub async fn max_timestamp_offset(&self, partition: PartitionKey) -> Result<Option<(i64, i64)>, LogError> {
        let Some(entry) = self.meta.max_timestamp_entry(partition).await? else {
            return Ok(None);
        };
        let bytes = self.batch_bytes(&entry).await?;
        let records = crate::records::record_timestamps(&bytes, self.config.decompressed_bytes_max)?;
        let mut best: Option<(i64, i64)> = None;
        for (delta, ts) in records {
            if best.is_none_or(|(_, b)| ts > b) {
                best = Some((entry.base_offset + delta as i64, ts));
            }
        }
        Ok(best)
    }
}
