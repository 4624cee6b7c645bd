//! InitProducerId (key 22) for idempotent producers. As Kafka's
//! `TransactionCoordinator.handleInitProducerId` does without a
//! transactional id, every valid request gets a fresh producer id with epoch
//! 0, whatever id and epoch it carried (KIP-360 epoch bumps included).

use std::sync::Arc;

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};

use crate::dispatch::RequestContext;
use crate::errors::{self, ApiError};
use crate::security::Op;
use crate::Broker;

/// Kafka's `RecordBatch.NO_PRODUCER_ID` and `NO_PRODUCER_EPOCH`.
const NO_PRODUCER_ID: i64 = -1;
const NO_PRODUCER_EPOCH: i16 = -1;

fn refused(code: i16) -> InitProducerIdResponse {
    InitProducerIdResponse::default()
        .with_error_code(code)
        .with_producer_id(ProducerId(NO_PRODUCER_ID))
        .with_producer_epoch(NO_PRODUCER_EPOCH)
}

/// Kafka's `KafkaApis.handleInitProducerIdRequest` check: an id and an epoch
/// are given together or not at all.
fn id_and_epoch_agree(producer_id: i64, producer_epoch: i16) -> bool {
    (producer_id == NO_PRODUCER_ID) == (producer_epoch == NO_PRODUCER_EPOCH)
}

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: InitProducerIdRequest) -> InitProducerIdResponse {
    if !id_and_epoch_agree(req.producer_id.0, req.producer_epoch) {
        return refused(errors::INVALID_REQUEST);
    }
    // Transactional: WRITE on the id. Idempotent: IDEMPOTENT_WRITE on the
    // cluster or WRITE on any topic (Kafka 2.8+).
    if let Some(id) = &req.transactional_id {
        if !broker.security.authorize(ctx, Op::Write, crate::security::acl::resource::TRANSACTIONAL_ID, id.as_str()) {
            return refused(errors::TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        }
    } else if !broker.security.authorize_cluster(ctx, Op::IdempotentWrite)
        && !broker.security.authorize_any(ctx, Op::Write, crate::security::acl::resource::TOPIC)
    {
        return refused(errors::CLUSTER_AUTHORIZATION_FAILED);
    }
    if req.transactional_id.is_some() {
        // Transactions are not supported yet; the transaction coordinator
        // will own transactional ids. Kafka answers INVALID_REQUEST for an
        // empty transactional id; a non-empty one gets the same refusal
        // rather than an id that would let the producer believe it is
        // transactional.
        return refused(errors::INVALID_REQUEST);
    }
    match broker.meta.allocate_producer_id().await {
        Ok(id) => InitProducerIdResponse::default()
            .with_error_code(errors::NONE)
            .with_producer_id(ProducerId(id))
            .with_producer_epoch(0),
        Err(e) => {
            let error = ApiError::from_meta(&e);
            // Kafka's answer when it cannot get a producer id block: retriable.
            refused(if e.is_retriable() { errors::COORDINATOR_NOT_AVAILABLE } else { error.code })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_and_epoch_come_together() {
        assert!(id_and_epoch_agree(-1, -1));
        assert!(id_and_epoch_agree(7, 0));
        assert!(!id_and_epoch_agree(-1, 0));
        assert!(!id_and_epoch_agree(7, -1));
    }
}
