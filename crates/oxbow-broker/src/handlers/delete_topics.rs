//! DeleteTopics (key 20). Follows Kafka's `ControllerApis.deleteTopics`:
//! v0-5 name topics in `topic_names`, v6 names or ids in `topics`; duplicate
//! names or ids are refused once each, unknown names answer
//! UNKNOWN_TOPIC_OR_PARTITION and unknown ids UNKNOWN_TOPIC_ID, each with
//! Kafka's default message.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use oxbow_meta_store::MetaError;
use uuid::Uuid;

use super::s;
use crate::dispatch::RequestContext;
use crate::errors::{self, ApiError};
use crate::security::Op;
use crate::Broker;

/// Kafka's default messages (`Errors.message()`), which its controller sends.
const UNKNOWN_TOPIC_MESSAGE: &str = "This server does not host this topic-partition.";
const UNKNOWN_TOPIC_ID_MESSAGE: &str = "This server does not host this topic ID.";

fn result(name: Option<&str>, id: Uuid, error: ApiError) -> DeletableTopicResult {
    DeletableTopicResult::default()
        .with_name(name.map(|n| TopicName(s(n))))
        .with_topic_id(id)
        .with_error_code(error.code)
        .with_error_message(error.message.map(|m| s(&m)))
}

/// Names or ids as given, in first-seen order, with how often each was given.
struct Provided<T> {
    order: Vec<T>,
    count: HashMap<T, usize>,
}

impl<T: Hash + Eq + Clone> Provided<T> {
    fn new() -> Self {
        Provided { order: Vec::new(), count: HashMap::new() }
    }

    fn add(&mut self, v: T) {
        let n = self.count.entry(v.clone()).or_default();
        *n += 1;
        if *n == 1 {
            self.order.push(v);
        }
    }

    fn given(&self, times_more_than_once: bool) -> impl Iterator<Item = &T> {
        self.order.iter().filter(move |v| (self.count.get(*v).copied().unwrap_or(0) > 1) == times_more_than_once)
    }

    fn once(&self) -> impl Iterator<Item = &T> {
        self.given(false)
    }

    fn duplicated(&self) -> impl Iterator<Item = &T> {
        self.given(true)
    }
}

pub async fn handle(broker: &Arc<Broker>, ctx: &RequestContext, req: DeleteTopicsRequest) -> DeleteTopicsResponse {
    let mut responses = Vec::new();
    let mut names: Provided<String> = Provided::new();
    let mut ids: Provided<Uuid> = Provided::new();
    for name in &req.topic_names {
        names.add(name.as_str().to_string());
    }
    for topic in &req.topics {
        match (&topic.name, topic.topic_id.is_nil()) {
            (None, true) => responses.push(result(
                None,
                Uuid::nil(),
                ApiError::new(errors::INVALID_REQUEST, "Neither topic name nor id were specified."),
            )),
            (None, false) => ids.add(topic.topic_id),
            (Some(name), true) => names.add(name.as_str().to_string()),
            (Some(name), false) => responses.push(result(
                Some(name.as_str()),
                topic.topic_id,
                ApiError::new(errors::INVALID_REQUEST, "You may not specify both topic name and topic id."),
            )),
        }
    }
    for name in names.duplicated() {
        responses.push(result(
            Some(name),
            Uuid::nil(),
            ApiError::new(errors::INVALID_REQUEST, "Duplicate topic name."),
        ));
    }
    for id in ids.duplicated() {
        responses.push(result(None, *id, ApiError::new(errors::INVALID_REQUEST, "Duplicate topic id.")));
    }

    // The topics to delete, as (id, name), in request order.
    let mut to_delete: Vec<(Uuid, String)> = Vec::new();
    let mut by_id: HashSet<Uuid> = HashSet::new();
    for id in ids.once() {
        match broker.topic_by_id(*id).await {
            Ok(Some(topic)) if !broker.security.authorize_topic(ctx, Op::Delete, &topic.name) => responses
                .push(result(None, *id, ApiError::new(errors::TOPIC_AUTHORIZATION_FAILED, "Authorization failed."))),
            Ok(Some(topic)) => {
                by_id.insert(*id);
                to_delete.push((*id, topic.name.clone()));
            }
            Ok(None) => {
                responses.push(result(None, *id, ApiError::new(errors::UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_ID_MESSAGE)))
            }
            Err(e) => responses.push(result(None, *id, ApiError::from_meta(&e))),
        }
    }
    let mut id_collisions: HashSet<Uuid> = HashSet::new();
    for name in names.once() {
        if !broker.security.authorize_topic(ctx, Op::Delete, name) {
            responses.push(result(
                Some(name),
                Uuid::nil(),
                ApiError::new(errors::TOPIC_AUTHORIZATION_FAILED, "Authorization failed."),
            ));
            continue;
        }
        match broker.topic(name).await {
            Ok(Some(topic)) => {
                let id_given_twice = ids.count.get(&topic.id).is_some_and(|n| *n > 1);
                if id_given_twice || id_collisions.contains(&topic.id) || by_id.contains(&topic.id) {
                    // The same topic by id and by name: neither is deleted.
                    id_collisions.insert(topic.id);
                    responses.push(result(
                        Some(name),
                        topic.id,
                        ApiError::new(
                            errors::INVALID_REQUEST,
                            "The provided topic name maps to an ID that was already supplied.",
                        ),
                    ));
                } else {
                    to_delete.push((topic.id, name.clone()));
                }
            }
            Ok(None) => responses.push(result(
                Some(name),
                Uuid::nil(),
                ApiError::new(errors::UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_MESSAGE),
            )),
            Err(e) => responses.push(result(Some(name), Uuid::nil(), ApiError::from_meta(&e))),
        }
    }

    for (id, name) in to_delete {
        if id_collisions.contains(&id) {
            continue;
        }
        match broker.meta.delete_topic(&name, oxbow_log::now_ms()).await {
            Ok(topic) => {
                tracing::info!(topic = %name, id = %topic.id, "deleted topic");
                broker.forget_topic(&name);
                responses.push(result(Some(&name), id, ApiError::bare(errors::NONE)));
            }
            Err(MetaError::UnknownTopic(_) | MetaError::UnknownTopicOrPartition) => {
                // Deleted meanwhile (by another broker sharing the store).
                broker.forget_topic(&name);
                responses.push(result(
                    Some(&name),
                    id,
                    ApiError::new(errors::UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_MESSAGE),
                ));
            }
            Err(e) => responses.push(result(Some(&name), id, ApiError::from_meta(&e))),
        }
    }
    DeleteTopicsResponse::default().with_responses(responses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_reported_once_and_never_deleted() {
        let mut p: Provided<&str> = Provided::new();
        for n in ["a", "b", "a", "c", "a"] {
            p.add(n);
        }
        assert_eq!(p.once().copied().collect::<Vec<_>>(), vec!["b", "c"]);
        assert_eq!(p.duplicated().copied().collect::<Vec<_>>(), vec!["a"]);
    }
}
