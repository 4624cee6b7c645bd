//! DescribeUserScramCredentials (key 50): needs DESCRIBE on the cluster;
//! answers each user's mechanisms and iteration counts (never salts or keys).

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::messages::describe_user_scram_credentials_response::{
    CredentialInfo, DescribeUserScramCredentialsResult,
};
use kafka_protocol::messages::{DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse};

use super::s;
use crate::dispatch::RequestContext;
use crate::security::scram::Hash;
use crate::security::Op;
use crate::{errors, Broker};

pub async fn handle(
    broker: &Arc<Broker>,
    ctx: &RequestContext,
    req: DescribeUserScramCredentialsRequest,
) -> DescribeUserScramCredentialsResponse {
    let resp = DescribeUserScramCredentialsResponse::default();
    if !broker.security.authorize_cluster(ctx, Op::Describe) {
        return resp.with_error_code(errors::CLUSTER_AUTHORIZATION_FAILED);
    }
    let all = match broker.security.meta().scram_credentials().await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "DescribeUserScramCredentials: store read failed");
            return resp
                .with_error_code(errors::UNKNOWN_SERVER_ERROR)
                .with_error_message(Some(s("metadata store unavailable")));
        }
    };
    let mut by_user: BTreeMap<String, Vec<CredentialInfo>> = BTreeMap::new();
    for c in &all {
        let Some(h) = Hash::for_mechanism(&c.mechanism) else { continue };
        by_user
            .entry(c.user.clone())
            .or_default()
            .push(CredentialInfo::default().with_mechanism(h.code()).with_iterations(c.iterations));
    }
    let ok = |user: &str, infos: Vec<CredentialInfo>| {
        DescribeUserScramCredentialsResult::default()
            .with_user(s(user))
            .with_error_code(errors::NONE)
            .with_credential_infos(infos)
    };
    let results = match req.users {
        // Null or empty: every user with credentials.
        None => by_user.into_iter().map(|(u, i)| ok(&u, i)).collect(),
        Some(users) if users.is_empty() => by_user.into_iter().map(|(u, i)| ok(&u, i)).collect(),
        Some(users) => {
            let names: Vec<String> = users.iter().map(|u| u.name.to_string()).collect();
            let mut results = Vec::new();
            for (i, name) in names.iter().enumerate() {
                if names[..i].contains(name) {
                    continue;
                }
                let err = |code, msg: &str| {
                    DescribeUserScramCredentialsResult::default()
                        .with_user(s(name))
                        .with_error_code(code)
                        .with_error_message(Some(s(msg)))
                };
                if names.iter().filter(|n| *n == name).count() > 1 {
                    results.push(err(
                        errors::DUPLICATE_RESOURCE,
                        "Cannot describe SCRAM credentials for the same user twice in a single request",
                    ));
                } else {
                    match by_user.get(name) {
                        Some(infos) => results.push(ok(name, infos.clone())),
                        None => results.push(err(
                            errors::RESOURCE_NOT_FOUND,
                            "Attempt to describe a user credential that does not exist",
                        )),
                    }
                }
            }
            results
        }
    };
    resp.with_error_code(errors::NONE).with_results(results)
}
