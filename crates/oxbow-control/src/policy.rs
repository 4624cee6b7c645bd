//! IAM-style policy evaluation: identity policies (attached to principals)
//! and the cluster's resource policy, combined as AWS does: an explicit
//! `Deny` anywhere wins; within one account an `Allow` in either policy is
//! enough; across accounts both the caller's identity policy and the
//! resource policy must allow. Supported: `Effect`, `Action`/`NotAction`,
//! `Resource`/`NotResource`, `Principal`/`NotPrincipal` (`*`, account ids,
//! `arn:aws:iam::ACCOUNT:root`, principal ARNs), with `*` and `?` wildcards.
//! A statement with a `Condition` is not understood yet, so it never grants
//! (and an unconditional reading of a `Deny` with a condition still denies).

use serde_json::Value;

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

pub struct Request<'a> {
    pub principal_arn: &'a str,
    pub principal_account: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
    pub resource_account: &'a str,
}

/// Glob match with `*` (any run) and `?` (one character).
pub fn glob(pattern: &str, value: &str, case_insensitive: bool) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = if case_insensitive {
        (pattern.to_lowercase().chars().collect(), value.to_lowercase().chars().collect())
    } else {
        (pattern.chars().collect(), value.chars().collect())
    };
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn statements(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    }
}

fn principal_matches(spec: &Value, req: &Request) -> bool {
    let ids: Vec<&str> = match spec {
        Value::String(s) => vec![s.as_str()],
        Value::Object(m) => strings(m.get("AWS")),
        _ => Vec::new(),
    };
    ids.iter().any(|id| {
        *id == "*"
            || *id == req.principal_arn
            || *id == req.principal_account
            || *id == format!("arn:aws:iam::{}:root", req.principal_account)
    })
}

fn listed(stmt: &Value, key: &str, not_key: &str, value: &str, case_insensitive: bool) -> bool {
    if stmt.get(key).is_some() {
        strings(stmt.get(key)).iter().any(|p| glob(p, value, case_insensitive))
    } else if stmt.get(not_key).is_some() {
        !strings(stmt.get(not_key)).iter().any(|p| glob(p, value, case_insensitive))
    } else {
        false
    }
}

/// The effect of one policy on a request: Some(true) allow, Some(false) deny, None silent.
fn effect(policy: &Value, req: &Request, resource_policy: bool) -> Option<bool> {
    let mut allowed = None;
    for stmt in statements(policy) {
        let deny = stmt.get("Effect").and_then(Value::as_str) == Some("Deny");
        if !listed(stmt, "Action", "NotAction", req.action, true) {
            continue;
        }
        let resource_ok = if stmt.get("Resource").is_none() && stmt.get("NotResource").is_none() {
            resource_policy // a resource policy's statements are about their own resource
        } else {
            listed(stmt, "Resource", "NotResource", req.resource, false)
        };
        if !resource_ok {
            continue;
        }
        if resource_policy {
            let principal_ok = match (stmt.get("Principal"), stmt.get("NotPrincipal")) {
                (Some(p), _) => principal_matches(p, req),
                (None, Some(np)) => !principal_matches(np, req),
                (None, None) => false,
            };
            if !principal_ok {
                continue;
            }
        }
        if deny {
            return Some(false);
        }
        if stmt.get("Condition").is_none() {
            allowed = Some(true);
        }
    }
    allowed
}

pub fn evaluate(identity: &Value, resource_policy: Option<&Value>, req: &Request) -> Decision {
    let by_identity = effect(identity, req, false);
    let by_resource = resource_policy.and_then(|p| effect(p, req, true));
    if by_identity == Some(false) || by_resource == Some(false) {
        return Decision::ExplicitDeny;
    }
    let allowed = if req.principal_account == req.resource_account {
        by_identity == Some(true) || by_resource == Some(true)
    } else {
        by_identity == Some(true) && by_resource == Some(true)
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// A valid policy document for PutClusterPolicy: a JSON object with a Statement list of Effect/Action entries.
pub fn validate(doc: &Value) -> Result<(), String> {
    let stmts = statements(doc);
    if stmts.is_empty() {
        return Err("The policy must have a Statement.".into());
    }
    for s in stmts {
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => return Err("Each statement needs Effect Allow or Deny.".into()),
        }
        if s.get("Action").is_none() && s.get("NotAction").is_none() {
            return Err("Each statement needs Action or NotAction.".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req<'a>(principal: &'a str, account: &'a str, action: &'a str) -> Request<'a> {
        Request {
            principal_arn: principal,
            principal_account: account,
            action,
            resource: "arn:aws:kafka:us-east-1:111111111111:cluster/c/1",
            resource_account: "111111111111",
        }
    }

    #[test]
    fn cross_account_needs_both() {
        let admin = json!({"Statement": [{"Effect": "Allow", "Action": "kafka:*", "Resource": "*"}]});
        let grant = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": ["kafka:DescribeCluster*", "kafka:GetBootstrapBrokers"]}]});
        let b = req("arn:aws:iam::222222222222:user/bob", "222222222222", "kafka:DescribeClusterV2");
        assert_eq!(evaluate(&admin, Some(&grant), &b), Decision::Allow);
        assert_eq!(evaluate(&admin, None, &b), Decision::ImplicitDeny);
        assert_eq!(evaluate(&json!({}), Some(&grant), &b), Decision::ImplicitDeny);
        let b = req("arn:aws:iam::222222222222:user/bob", "222222222222", "kafka:DeleteCluster");
        assert_eq!(evaluate(&admin, Some(&grant), &b), Decision::ImplicitDeny);
        let c = req("arn:aws:iam::333333333333:user/carol", "333333333333", "kafka:DescribeClusterV2");
        assert_eq!(evaluate(&admin, Some(&grant), &c), Decision::ImplicitDeny);
        let own = req("arn:aws:iam::111111111111:user/a", "111111111111", "kafka:DeleteCluster");
        assert_eq!(evaluate(&admin, None, &own), Decision::Allow);
        let deny = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "kafka:Delete*"}]});
        assert_eq!(evaluate(&admin, Some(&deny), &own), Decision::ExplicitDeny);
    }

    #[test]
    fn globs() {
        assert!(glob("kafka:Describe*", "kafka:DescribeClusterV2", true));
        assert!(glob("*", "", false));
        assert!(!glob("kafka:Get?", "kafka:Get", false));
        assert!(glob("a*b*c", "axxbyyc", false));
    }
}
