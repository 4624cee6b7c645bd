//! AlterUserScramCredentials (key 51): needs ALTER on the cluster. Clients
//! send a salt and a salted password (never the password); the broker
//! derives and stores StoredKey/ServerKey. Errors per user as Kafka's
//! controller: UNSUPPORTED_SASL_MECHANISM, UNACCEPTABLE_CREDENTIAL (iterations
//! outside 4096..=16384, empty salt or password), DUPLICATE_RESOURCE (a user
//! named twice), RESOURCE_NOT_FOUND (deleting a credential that does not exist).

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::messages::alter_user_scram_credentials_response::AlterUserScramCredentialsResult;
use kafka_protocol::messages::{AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse};

use super::s;
use crate::dispatch::RequestContext;
use crate::security::scram::{self, Hash};
use crate::security::Op;
use crate::{errors, Broker};

enum Change {
    Delete(Hash),
    Upsert(oxbow_meta_store::ScramCredential),
}

pub async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: AlterUserScramCredentialsRequest,
) -> AlterUserScramCredentialsResponse {
    let mut outcome: BTreeMap<String, Result<Vec<Change>, (i16, String)>> = BTreeMap::new();
    let authorized = broker.security.authorize_cluster(ctx, Op::Alter);
    let mut seen: Vec<(String, i8)> = Vec::new();
    let deletions = req.deletions.into_iter().map(|d| (d.name.to_string(), d.mechanism, None));
    let upsertions = req
        .upsertions
        .into_iter()
        .map(|u| (u.name.to_string(), u.mechanism, Some((u.iterations, u.salt, u.salted_password))));
    for (user, mechanism, upsert) in deletions.chain(upsertions) {
        let entry = outcome.entry(user.clone()).or_insert(Ok(Vec::new()));
        if !authorized {
            *entry = Err((errors::CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.".into()));
            continue;
        }
        if entry.is_err() {
            continue;
        }
        let fail = |code: i16, msg: String| Err((code, msg));
        if user.is_empty() {
            *entry = fail(errors::UNACCEPTABLE_CREDENTIAL, "Username must not be empty".into());
            continue;
        }
        let Some(h) = Hash::from_code(mechanism) else {
            *entry = fail(errors::UNSUPPORTED_SASL_MECHANISM, format!("Unknown SCRAM mechanism {mechanism}"));
            continue;
        };
        if seen.contains(&(user.clone(), mechanism)) {
            *entry = fail(
                errors::DUPLICATE_RESOURCE,
                "A user credential cannot be altered twice in the same request".into(),
            );
            continue;
        }
        seen.push((user.clone(), mechanism));
        let change = match upsert {
            None => Change::Delete(h),
            Some((iterations, salt, salted)) => {
                if !(scram::ITERATIONS_MIN..=scram::ITERATIONS_MAX).contains(&iterations) {
                    *entry = fail(
                        errors::UNACCEPTABLE_CREDENTIAL,
                        format!(
                            "Iterations {iterations} must be between {} and {}",
                            scram::ITERATIONS_MIN,
                            scram::ITERATIONS_MAX
                        ),
                    );
                    continue;
                }
                if salt.is_empty() || salted.len() != h.output_bytes() {
                    *entry = fail(errors::UNACCEPTABLE_CREDENTIAL, "Salt and salted password must be set".into());
                    continue;
                }
                Change::Upsert(scram::credential_from_salted(h, &user, salt.to_vec(), &salted, iterations))
            }
        };
        if let Ok(changes) = entry {
            changes.push(change);
        }
    }
    let mut results = Vec::with_capacity(outcome.len());
    for (user, result) in outcome {
        let (code, message) = match result {
            Err((code, msg)) => (code, Some(msg)),
            Ok(changes) => apply(broker, &user, changes).await,
        };
        if code == errors::NONE {
            tracing::info!(principal = %ctx.principal, user, "altered SCRAM credentials");
        }
        results.push(
            AlterUserScramCredentialsResult::default()
                .with_user(s(&user))
                .with_error_code(code)
                .with_error_message(message.as_deref().map(s)),
        );
    }
    AlterUserScramCredentialsResponse::default().with_results(results)
}

async fn apply(broker: &Broker, user: &str, changes: Vec<Change>) -> (i16, Option<String>) {
    let meta = broker.security.meta();
    for change in changes {
        let r = match change {
            Change::Upsert(c) => meta.upsert_scram_credential(c).await.map(|_| true),
            Change::Delete(h) => meta.delete_scram_credential(user, h.mechanism()).await,
        };
        match r {
            Ok(true) => {}
            Ok(false) => {
                return (
                    errors::RESOURCE_NOT_FOUND,
                    Some("Attempt to delete a user credential that does not exist".into()),
                )
            }
            Err(e) => {
                tracing::warn!(error = %e, "AlterUserScramCredentials: store write failed");
                return (errors::UNKNOWN_SERVER_ERROR, Some("metadata store unavailable".into()));
            }
        }
    }
    (errors::NONE, None)
}
