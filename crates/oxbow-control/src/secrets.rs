//! The AWS Secrets Manager subset the MSK SCRAM journey needs: CreateSecret,
//! GetSecretValue, PutSecretValue, DescribeSecret, ListSecrets,
//! DeleteSecret (JSON 1.1: `POST /` with `X-Amz-Target:
//! secretsmanager.<Op>`). Values are sealed with the data directory's key
//! (`crypto`). Authorization: the caller's identity policy; secrets belong
//! to the caller's account and are invisible to other accounts.

use serde_json::{json, Map, Value};

use crate::policy::Decision;
use crate::store::Resource;
use crate::util::now_ms;
use crate::{Answer, Caller, ControlPlane};

/// Secrets Manager's own limit on a secret value.
pub const SECRET_VALUE_MAX_BYTES: usize = 65_536;
const LIST_MAX_RESULTS: usize = 100;

pub fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer {
        status,
        headers: vec![("x-amzn-errortype", code.to_string())],
        body: Some(json!({"__type": code, "message": message, "Message": message})),
    }
}

fn invalid(message: &str) -> Answer {
    error(400, "InvalidParameterException", message)
}

fn epoch_seconds(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

const KNOWN: &[(&str, &[&str])] = &[
    (
        "CreateSecret",
        &[
            "Name",
            "ClientRequestToken",
            "Description",
            "KmsKeyId",
            "SecretBinary",
            "SecretString",
            "Tags",
            "AddReplicaRegions",
            "ForceOverwriteReplicaSecret",
            "Type",
        ],
    ),
    ("GetSecretValue", &["SecretId", "VersionId", "VersionStage"]),
    ("PutSecretValue", &["SecretId", "ClientRequestToken", "SecretBinary", "SecretString", "VersionStages"]),
    ("DescribeSecret", &["SecretId"]),
    ("ListSecrets", &["IncludePlannedDeletion", "MaxResults", "NextToken", "Filters", "SortOrder", "SortBy"]),
    ("DeleteSecret", &["SecretId", "RecoveryWindowInDays", "ForceDeleteWithoutRecovery"]),
];

pub async fn handle(plane: &ControlPlane, caller: &Caller, target: &str, body: &[u8]) -> (Answer, String, String) {
    let op = target.strip_prefix("secretsmanager.").unwrap_or(target).to_string();
    let action = format!("secretsmanager:{op}");
    let Some((_, known)) = KNOWN.iter().find(|(n, _)| *n == op) else {
        return (
            error(400, "UnknownOperationException", &format!("Operation {op} is not supported by Oxbow.")),
            action,
            "*".into(),
        );
    };
    let input: Map<String, Value> = match serde_json::from_slice(if body.is_empty() { b"{}" } else { body }) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return (
                error(400, "SerializationException", "The request body must be a JSON object."),
                action,
                "*".into(),
            )
        }
        Err(e) => return (error(400, "SerializationException", &format!("Malformed JSON: {e}")), action, "*".into()),
    };
    if let Some(k) = input.keys().find(|k| !known.contains(&k.as_str())) {
        return (error(400, "SerializationException", &format!("Unknown parameter {k}.")), action, "*".into());
    }
    let _guard = plane.mutate.lock().await;
    let account = caller.principal.account_id.clone();
    // Resolve the secret first: authorization is per secret ARN.
    let secret = match input.get("SecretId") {
        Some(Value::String(id)) => match find(plane, &account, id) {
            Some(r) => Some(r),
            None => {
                return (
                    error(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."),
                    action,
                    id.clone(),
                )
            }
        },
        Some(_) => return (invalid("SecretId must be a string."), action, "*".into()),
        None => None,
    };
    let resource = secret.as_ref().map(|s| s.arn.clone()).unwrap_or_else(|| "*".into());
    if plane.authorize(caller, &action, &resource, &account, None) != Decision::Allow {
        let message =
            format!("User: {} is not authorized to perform: {action} on resource: {resource}", caller.principal.arn);
        return (error(400, "AccessDeniedException", &message), action, resource);
    }
    let answer = match (op.as_str(), secret) {
        ("CreateSecret", _) => create(plane, &account, &input),
        ("ListSecrets", _) => list(plane, &account, &input),
        (_, None) => invalid("SecretId is required."),
        ("GetSecretValue", Some(s)) => get_value(plane, &s, &input),
        ("PutSecretValue", Some(s)) => put_value(plane, s, &input),
        ("DescribeSecret", Some(s)) => Answer::ok(describe(&s)),
        ("DeleteSecret", Some(s)) => delete(plane, s, &input),
        _ => error(400, "UnknownOperationException", "unsupported"),
    };
    (answer, action, resource)
}

/// A secret of `account` by name or ARN.
pub fn find(plane: &ControlPlane, account: &str, id: &str) -> Option<Resource> {
    if id.starts_with("arn:") {
        return plane.store.resource(id).ok().flatten().filter(|r| r.kind == "secret" && r.account_id == account);
    }
    plane.store.resources("secret", Some(account), None).ok()?.into_iter().find(|r| r.name == id)
}

/// The current value of a secret, decrypted (None when deleted or undecryptable).
pub fn current_value(plane: &ControlPlane, secret: &Resource) -> Option<String> {
    if secret.doc.get("deletedDate").is_some_and(|d| !d.is_null()) {
        return None;
    }
    let versions = secret.doc.get("versions")?.as_array()?;
    let current = versions
        .iter()
        .find(|v| v.get("stages").and_then(Value::as_array).is_some_and(|s| s.iter().any(|x| x == "AWSCURRENT")))?;
    let sealed = current.get("sealed")?.as_str()?;
    String::from_utf8(plane.key().open(sealed).ok()?).ok()
}

fn value_of(input: &Map<String, Value>) -> Result<Option<String>, Answer> {
    if input.contains_key("SecretBinary") {
        return Err(invalid("SecretBinary is not supported by Oxbow; use SecretString."));
    }
    match input.get("SecretString") {
        None => Ok(None),
        Some(Value::String(s)) if s.len() <= SECRET_VALUE_MAX_BYTES => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(invalid(&format!("SecretString exceeds {SECRET_VALUE_MAX_BYTES} bytes."))),
        Some(_) => Err(invalid("SecretString must be a string.")),
    }
}

fn new_version(plane: &ControlPlane, input: &Map<String, Value>, value: &str) -> Value {
    let version_id = input
        .get("ClientRequestToken")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    json!({"versionId": version_id, "stages": ["AWSCURRENT"], "created": now_ms(), "sealed": plane.key().seal(value.as_bytes())})
}

fn create(plane: &ControlPlane, account: &str, input: &Map<String, Value>) -> Answer {
    let Some(name) = input.get("Name").and_then(Value::as_str) else {
        return invalid("Name is required.");
    };
    if name.is_empty() || name.len() > 512 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
    {
        return invalid("Name must be 1-512 characters from letters, digits and /_+=.@-");
    }
    if find(plane, account, name).is_some() {
        return error(
            400,
            "ResourceExistsException",
            &format!("The operation failed because the secret {name} already exists."),
        );
    }
    let value = match value_of(input) {
        Ok(v) => v,
        Err(a) => return a,
    };
    let suffix = crate::util::random_string(6, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    let arn = format!("arn:aws:secretsmanager:{}:{account}:secret:{name}-{suffix}", plane.region);
    let now = now_ms();
    let versions: Vec<Value> = value.iter().map(|v| new_version(plane, input, v)).collect();
    let version_id = versions.first().and_then(|v| v.get("versionId")).cloned();
    let doc = json!({
        "name": name,
        "description": input.get("Description").cloned().unwrap_or(Value::Null),
        "kmsKeyId": input.get("KmsKeyId").cloned().unwrap_or(Value::Null),
        "tags": input.get("Tags").cloned().unwrap_or(json!([])),
        "createdDate": now,
        "lastChangedDate": now,
        "deletedDate": null,
        "versions": versions,
    });
    let r = Resource {
        arn: arn.clone(),
        kind: "secret".into(),
        account_id: account.into(),
        name: name.into(),
        parent: None,
        doc,
    };
    if let Err(e) = plane.store.put_resource(&r) {
        return error(500, "InternalServiceError", &e.to_string());
    }
    let mut out = json!({"ARN": arn, "Name": name});
    if let Some(v) = version_id {
        out["VersionId"] = v;
    }
    Answer::ok(out)
}

fn get_value(plane: &ControlPlane, s: &Resource, input: &Map<String, Value>) -> Answer {
    if s.doc.get("deletedDate").is_some_and(|d| !d.is_null()) {
        return error(
            400,
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was marked for deletion.",
        );
    }
    let versions = s.doc.get("versions").and_then(Value::as_array).cloned().unwrap_or_default();
    let wanted_stage = input.get("VersionStage").and_then(Value::as_str).unwrap_or("AWSCURRENT");
    let version = versions.iter().find(|v| match input.get("VersionId").and_then(Value::as_str) {
        Some(id) => v.get("versionId").and_then(Value::as_str) == Some(id),
        None => v.get("stages").and_then(Value::as_array).is_some_and(|st| st.iter().any(|x| x == wanted_stage)),
    });
    let Some(version) = version else {
        return error(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value.");
    };
    let sealed = version.get("sealed").and_then(Value::as_str).unwrap_or("");
    let value = match plane.key().open(sealed).map(String::from_utf8) {
        Ok(Ok(v)) => v,
        _ => {
            return error(
                500,
                "InternalServiceError",
                "The secret value cannot be decrypted with this data directory's key.",
            )
        }
    };
    Answer::ok(json!({
        "ARN": s.arn,
        "Name": s.name,
        "VersionId": version.get("versionId"),
        "SecretString": value,
        "VersionStages": version.get("stages"),
        "CreatedDate": epoch_seconds(version.get("created").and_then(Value::as_i64).unwrap_or(0)),
    }))
}

fn put_value(plane: &ControlPlane, mut s: Resource, input: &Map<String, Value>) -> Answer {
    if s.doc.get("deletedDate").is_some_and(|d| !d.is_null()) {
        return error(400, "InvalidRequestException", "The secret is marked for deletion.");
    }
    let value = match value_of(input) {
        Ok(Some(v)) => v,
        Ok(None) => return invalid("SecretString is required."),
        Err(a) => return a,
    };
    let version = new_version(plane, input, &value);
    let mut versions = s.doc.get("versions").and_then(Value::as_array).cloned().unwrap_or_default();
    for v in versions.iter_mut() {
        // The old current version becomes AWSPREVIOUS; older ones lose their labels.
        let was_current =
            v.get("stages").and_then(Value::as_array).is_some_and(|st| st.iter().any(|x| x == "AWSCURRENT"));
        v["stages"] = if was_current { json!(["AWSPREVIOUS"]) } else { json!([]) };
    }
    versions.retain(|v| v.get("stages").and_then(Value::as_array).is_some_and(|s| !s.is_empty()));
    versions.push(version.clone());
    s.doc["versions"] = Value::Array(versions);
    s.doc["lastChangedDate"] = json!(now_ms());
    if let Err(e) = plane.store.put_resource(&s) {
        return error(500, "InternalServiceError", &e.to_string());
    }
    Answer::ok(
        json!({"ARN": s.arn, "Name": s.name, "VersionId": version["versionId"], "VersionStages": ["AWSCURRENT"]}),
    )
}

fn describe(s: &Resource) -> Value {
    let mut out = json!({
        "ARN": s.arn,
        "Name": s.name,
        "CreatedDate": epoch_seconds(s.doc.get("createdDate").and_then(Value::as_i64).unwrap_or(0)),
        "LastChangedDate": epoch_seconds(s.doc.get("lastChangedDate").and_then(Value::as_i64).unwrap_or(0)),
        "Tags": s.doc.get("tags").cloned().unwrap_or(json!([])),
        "RotationEnabled": false,
    });
    for (from, to) in [("description", "Description"), ("kmsKeyId", "KmsKeyId")] {
        if let Some(v) = s.doc.get(from).filter(|v| !v.is_null()) {
            out[to] = v.clone();
        }
    }
    if let Some(d) = s.doc.get("deletedDate").and_then(Value::as_i64) {
        out["DeletedDate"] = epoch_seconds(d);
    }
    let mut stages = Map::new();
    for v in s.doc.get("versions").and_then(Value::as_array).into_iter().flatten() {
        if let Some(id) = v.get("versionId").and_then(Value::as_str) {
            stages.insert(id.to_string(), v.get("stages").cloned().unwrap_or(json!([])));
        }
    }
    out["VersionIdsToStages"] = Value::Object(stages);
    out
}

fn list(plane: &ControlPlane, account: &str, input: &Map<String, Value>) -> Answer {
    let max = input
        .get("MaxResults")
        .and_then(Value::as_u64)
        .unwrap_or(LIST_MAX_RESULTS as u64)
        .clamp(1, LIST_MAX_RESULTS as u64) as usize;
    let start = match input.get("NextToken").and_then(Value::as_str) {
        Some(t) => match t.parse::<usize>() {
            Ok(n) => n,
            Err(_) => return invalid("NextToken is not valid."),
        },
        None => 0,
    };
    let include_deleted = input.get("IncludePlannedDeletion").and_then(Value::as_bool).unwrap_or(false);
    let all: Vec<Resource> = match plane.store.resources("secret", Some(account), None) {
        Ok(v) => v,
        Err(e) => return error(500, "InternalServiceError", &e.to_string()),
    };
    let visible: Vec<&Resource> =
        all.iter().filter(|s| include_deleted || s.doc.get("deletedDate").is_none_or(Value::is_null)).collect();
    let page: Vec<Value> = visible.iter().skip(start).take(max).map(|s| describe(s)).collect();
    let mut out = json!({"SecretList": page});
    if start + max < visible.len() {
        out["NextToken"] = json!((start + max).to_string());
    }
    Answer::ok(out)
}

fn delete(plane: &ControlPlane, mut s: Resource, input: &Map<String, Value>) -> Answer {
    let force = input.get("ForceDeleteWithoutRecovery").and_then(Value::as_bool).unwrap_or(false);
    let window_days = input.get("RecoveryWindowInDays").and_then(Value::as_i64).unwrap_or(30);
    if force && input.contains_key("RecoveryWindowInDays") {
        return invalid("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    if !force && !(7..=30).contains(&window_days) {
        return invalid("RecoveryWindowInDays must be from 7 to 30.");
    }
    let now = now_ms();
    let deletion = if force { now } else { now + window_days * 86_400_000 };
    let result = if force {
        plane.store.delete_resource(&s.arn).map(|_| ())
    } else {
        s.doc["deletedDate"] = json!(now);
        plane.store.put_resource(&s)
    };
    if let Err(e) = result {
        return error(500, "InternalServiceError", &e.to_string());
    }
    Answer::ok(json!({"ARN": s.arn, "Name": s.name, "DeletionDate": epoch_seconds(deletion)}))
}
