//! Idempotent-producer sequence rules, as pure functions so that every
//! metadata-store implementation applies exactly the same logic inside its
//! commit transaction (and so that proptest can drive them without a store).
//!
//! The rules follow Apache Kafka's `ProducerStateManager`: per (producer id,
//! partition) the broker remembers the epoch and the last few batches; a batch
//! that matches a remembered one is a duplicate and gets its original offset;
//! otherwise its first sequence must follow the last one, and an epoch may
//! only move forward (starting again at sequence 0).

/// How many recent batches are remembered per producer and partition. Kafka
/// remembers 5, matching `max.in.flight.requests.per.connection` <= 5.
pub const CACHED_BATCHES_MAX: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub last_sequence: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachedBatch {
    pub first_sequence: i32,
    pub last_sequence: i32,
    pub base_offset: i64,
    pub last_offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerEntry {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// Oldest first, at most [`CACHED_BATCHES_MAX`].
    pub batches: Vec<CachedBatch>,
    pub last_timestamp_ms: i64,
}

impl ProducerEntry {
    pub fn last_sequence(&self) -> i32 {
        self.batches.last().map(|b| b.last_sequence).unwrap_or(-1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    Accept,
    Duplicate { base_offset: i64 },
    OutOfOrder,
    FencedEpoch,
}

fn next_sequence(last: i32) -> i32 {
    if last == i32::MAX {
        0
    } else {
        last + 1
    }
}

/// What a sequence check means for a batch in `commit_object`: None to append
/// it, else its outcome without appending (a duplicate answered with the
/// offset it was first given, or a rejection). Every backend maps it this way.
pub fn outcome_of(check: SequenceCheck, log_start_offset: i64) -> Option<crate::BatchOutcome> {
    use crate::{AppendRejection, BatchOutcome};
    match check {
        SequenceCheck::Accept => None,
        SequenceCheck::Duplicate { base_offset } => Some(BatchOutcome::Duplicate { base_offset, log_start_offset }),
        SequenceCheck::OutOfOrder => Some(BatchOutcome::Rejected(AppendRejection::OutOfOrderSequence)),
        SequenceCheck::FencedEpoch => Some(BatchOutcome::Rejected(AppendRejection::InvalidProducerEpoch)),
    }
}

/// Decides what happens to `batch` given the partition's current entry for its producer.
pub fn check(entry: Option<&ProducerEntry>, batch: &ProducerBatch) -> SequenceCheck {
    let Some(entry) = entry else {
        // No state (new producer, or state expired): Kafka accepts any sequence.
        return SequenceCheck::Accept;
    };
    debug_assert_eq!(entry.producer_id, batch.producer_id);
    if batch.producer_epoch < entry.producer_epoch {
        return SequenceCheck::FencedEpoch;
    }
    if batch.producer_epoch > entry.producer_epoch {
        return if batch.base_sequence == 0 { SequenceCheck::Accept } else { SequenceCheck::OutOfOrder };
    }
    if let Some(dup) =
        entry.batches.iter().find(|b| b.first_sequence == batch.base_sequence && b.last_sequence == batch.last_sequence)
    {
        return SequenceCheck::Duplicate { base_offset: dup.base_offset };
    }
    match entry.batches.last() {
        Some(last) if batch.base_sequence != next_sequence(last.last_sequence) => SequenceCheck::OutOfOrder,
        _ => SequenceCheck::Accept,
    }
}

/// The entry after appending `batch` at `base_offset..=last_offset` (only call after [`check`] said Accept).
pub fn record(
    entry: Option<ProducerEntry>,
    batch: &ProducerBatch,
    base_offset: i64,
    last_offset: i64,
    timestamp_ms: i64,
) -> ProducerEntry {
    let mut entry = match entry {
        Some(e) if e.producer_epoch == batch.producer_epoch => e,
        _ => ProducerEntry {
            producer_id: batch.producer_id,
            producer_epoch: batch.producer_epoch,
            batches: Vec::new(),
            last_timestamp_ms: timestamp_ms,
        },
    };
    entry.batches.push(CachedBatch {
        first_sequence: batch.base_sequence,
        last_sequence: batch.last_sequence,
        base_offset,
        last_offset,
    });
    if entry.batches.len() > CACHED_BATCHES_MAX {
        let excess = entry.batches.len() - CACHED_BATCHES_MAX;
        entry.batches.drain(..excess);
    }
    entry.last_timestamp_ms = timestamp_ms;
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b(epoch: i16, first: i32, last: i32) -> ProducerBatch {
        ProducerBatch { producer_id: 7, producer_epoch: epoch, base_sequence: first, last_sequence: last }
    }

    #[test]
    fn first_batch_of_unknown_producer_is_accepted_at_any_sequence() {
        assert_eq!(check(None, &b(0, 42, 45)), SequenceCheck::Accept);
    }

    #[test]
    fn in_order_duplicate_gap_and_fencing() {
        let e = record(None, &b(0, 0, 4), 100, 104, 1);
        assert_eq!(check(Some(&e), &b(0, 5, 9)), SequenceCheck::Accept);
        assert_eq!(check(Some(&e), &b(0, 0, 4)), SequenceCheck::Duplicate { base_offset: 100 });
        assert_eq!(check(Some(&e), &b(0, 6, 9)), SequenceCheck::OutOfOrder);
        assert_eq!(check(Some(&e), &b(1, 0, 3)), SequenceCheck::Accept);
        assert_eq!(check(Some(&e), &b(1, 5, 9)), SequenceCheck::OutOfOrder);
        let e2 = record(Some(e), &b(1, 0, 3), 105, 108, 2);
        assert_eq!(check(Some(&e2), &b(0, 5, 9)), SequenceCheck::FencedEpoch);
        assert_eq!(e2.batches.len(), 1, "a new epoch forgets the old epoch's batches");
    }

    #[test]
    fn sequence_wraps_at_i32_max() {
        let e = record(None, &b(0, i32::MAX - 1, i32::MAX), 0, 1, 1);
        assert_eq!(check(Some(&e), &b(0, 0, 3)), SequenceCheck::Accept);
    }

    proptest! {
        /// Any replay of one of the last five batches is a duplicate with its
        /// original offset; the next batch in sequence is accepted.
        #[test]
        fn replays_of_recent_batches_are_duplicates(sizes in proptest::collection::vec(1i32..50, 1..20)) {
            let mut entry = None;
            let mut seq = 0i32;
            let mut offset = 0i64;
            let mut appended = Vec::new();
            for size in &sizes {
                let batch = b(3, seq, seq + size - 1);
                prop_assert_eq!(check(entry.as_ref(), &batch), SequenceCheck::Accept);
                entry = Some(record(entry, &batch, offset, offset + *size as i64 - 1, 0));
                appended.push((batch, offset));
                seq += size;
                offset += *size as i64;
            }
            let entry = entry.expect("some batches");
            for (batch, base) in appended.iter().rev().take(CACHED_BATCHES_MAX) {
                prop_assert_eq!(check(Some(&entry), batch), SequenceCheck::Duplicate { base_offset: *base });
            }
            prop_assert_eq!(check(Some(&entry), &b(3, seq, seq)), SequenceCheck::Accept);
            prop_assert_eq!(check(Some(&entry), &b(3, seq + 1, seq + 1)), SequenceCheck::OutOfOrder);
        }
    }
}
