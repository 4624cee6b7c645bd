//! Kafka ACL semantics as pure functions: resource patterns (literal,
//! wildcard, prefixed), the match filter of Describe/DeleteAcls, allow and
//! deny (deny wins), hosts, and Kafka's implied operations (READ, WRITE,
//! DELETE or ALTER allow DESCRIBE; ALTER_CONFIGS allows DESCRIBE_CONFIGS; ALL
//! allows everything). Numeric codes are Kafka's.

use oxbow_meta_store::AclBinding;

pub mod resource {
    pub const ANY: i8 = 1;
    pub const TOPIC: i8 = 2;
    pub const GROUP: i8 = 3;
    pub const CLUSTER: i8 = 4;
    pub const TRANSACTIONAL_ID: i8 = 5;
    pub const DELEGATION_TOKEN: i8 = 6;
    pub const USER: i8 = 7;
}

pub mod pattern {
    pub const ANY: i8 = 1;
    pub const MATCH: i8 = 2;
    pub const LITERAL: i8 = 3;
    pub const PREFIXED: i8 = 4;
}

pub mod permission {
    pub const ANY: i8 = 1;
    pub const DENY: i8 = 2;
    pub const ALLOW: i8 = 3;
}

/// Kafka's `AclOperation` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i8)]
pub enum Op {
    Any = 1,
    All = 2,
    Read = 3,
    Write = 4,
    Create = 5,
    Delete = 6,
    Alter = 7,
    Describe = 8,
    ClusterAction = 9,
    DescribeConfigs = 10,
    AlterConfigs = 11,
    IdempotentWrite = 12,
    CreateTokens = 13,
    DescribeTokens = 14,
}

impl Op {
    pub fn from_code(code: i8) -> Option<Op> {
        use Op::*;
        Some(match code {
            1 => Any,
            2 => All,
            3 => Read,
            4 => Write,
            5 => Create,
            6 => Delete,
            7 => Alter,
            8 => Describe,
            9 => ClusterAction,
            10 => DescribeConfigs,
            11 => AlterConfigs,
            12 => IdempotentWrite,
            13 => CreateTokens,
            14 => DescribeTokens,
            _ => return None,
        })
    }

    /// Operations whose ALLOW also allows `self` (besides `self` and ALL).
    fn implied_by(self) -> &'static [Op] {
        match self {
            Op::Describe => &[Op::Read, Op::Write, Op::Delete, Op::Alter],
            Op::DescribeConfigs => &[Op::AlterConfigs],
            _ => &[],
        }
    }
}

/// The operations Kafka reports as "authorized operations" per resource type.
pub const TOPIC_OPS: &[Op] =
    &[Op::Read, Op::Write, Op::Create, Op::Delete, Op::Alter, Op::Describe, Op::DescribeConfigs, Op::AlterConfigs];
pub const GROUP_OPS: &[Op] = &[Op::Read, Op::Describe, Op::Delete];
pub const CLUSTER_OPS: &[Op] = &[
    Op::Create,
    Op::Alter,
    Op::Describe,
    Op::ClusterAction,
    Op::DescribeConfigs,
    Op::AlterConfigs,
    Op::IdempotentWrite,
];

/// The cluster resource's only name.
pub const CLUSTER_NAME: &str = "kafka-cluster";

/// Whether a stored binding's resource pattern covers a concrete resource.
fn pattern_covers(acl: &AclBinding, resource_type: i8, name: &str) -> bool {
    acl.resource_type == resource_type
        && match acl.pattern_type {
            pattern::LITERAL => acl.resource_name == name || acl.resource_name == "*",
            pattern::PREFIXED => name.starts_with(acl.resource_name.as_str()),
            _ => false,
        }
}

fn principal_matches(acl: &AclBinding, principal: &str) -> bool {
    acl.principal == principal || acl.principal == "User:*"
}

fn host_matches(acl: &AclBinding, host: &str) -> bool {
    acl.host == "*" || acl.host == host
}

/// The authorizer's verdict without super users (the caller checks those).
/// `allow_if_no_acl`: Kafka's `allow.everyone.if.no.acl.found`.
pub fn authorize(
    acls: &[AclBinding],
    principal: &str,
    host: &str,
    op: Op,
    resource_type: i8,
    name: &str,
    allow_if_no_acl: bool,
) -> bool {
    let mut any_acl = false;
    let mut allowed = false;
    for acl in acls.iter().filter(|a| pattern_covers(a, resource_type, name)) {
        any_acl = true;
        if !principal_matches(acl, principal) || !host_matches(acl, host) {
            continue;
        }
        let Some(acl_op) = Op::from_code(acl.operation) else { continue };
        match acl.permission_type {
            // Deny does not imply: DENY READ does not deny DESCRIBE.
            permission::DENY if acl_op == op || acl_op == Op::All => return false,
            permission::ALLOW if acl_op == op || acl_op == Op::All || op.implied_by().contains(&acl_op) => {
                allowed = true
            }
            _ => {}
        }
    }
    allowed || (!any_acl && allow_if_no_acl)
}

/// Kafka's `authorizeByResourceType`: whether the principal may do `op` on
/// at least one resource of the type (used for IDEMPOTENT_WRITE's fallback
/// "WRITE on any topic"). An ALLOW on some pattern counts unless a DENY on
/// the same or a covering pattern cancels it.
pub fn authorize_any(
    acls: &[AclBinding],
    principal: &str,
    host: &str,
    op: Op,
    resource_type: i8,
    allow_if_no_acl: bool,
) -> bool {
    let relevant = |a: &&AclBinding| {
        a.resource_type == resource_type
            && principal_matches(a, principal)
            && host_matches(a, host)
            && Op::from_code(a.operation).is_some_and(|o| o == op || o == Op::All)
    };
    let denies: Vec<&AclBinding> =
        acls.iter().filter(relevant).filter(|a| a.permission_type == permission::DENY).collect();
    if denies.iter().any(|d| d.pattern_type == pattern::LITERAL && d.resource_name == "*")
        || denies.iter().any(|d| d.pattern_type == pattern::PREFIXED && d.resource_name.is_empty())
    {
        return false;
    }
    let allowed = acls.iter().filter(relevant).filter(|a| a.permission_type == permission::ALLOW).any(|a| {
        !denies.iter().any(|d| {
            (d.pattern_type == a.pattern_type && d.resource_name == a.resource_name)
                || (d.pattern_type == pattern::PREFIXED && a.resource_name.starts_with(d.resource_name.as_str()))
        })
    });
    allowed || (allow_if_no_acl && !acls.iter().any(|a| a.resource_type == resource_type))
}

/// A Describe/DeleteAcls filter; `None` fields match anything.
#[derive(Debug, Clone)]
pub struct AclFilter {
    pub resource_type: i8,
    pub resource_name: Option<String>,
    pub pattern_type: i8,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: i8,
    pub permission_type: i8,
}

impl AclFilter {
    /// Kafka's `AclBindingFilter.matches`, including the MATCH pattern type
    /// (a named resource matched by literal, wildcard and prefixed bindings).
    pub fn matches(&self, acl: &AclBinding) -> bool {
        if self.resource_type != resource::ANY && self.resource_type != acl.resource_type {
            return false;
        }
        let name_ok = match (self.pattern_type, &self.resource_name) {
            (pattern::ANY, None) | (pattern::MATCH, None) => true,
            (pattern::ANY, Some(n)) => &acl.resource_name == n,
            (pattern::MATCH, Some(n)) => match acl.pattern_type {
                pattern::LITERAL => &acl.resource_name == n || acl.resource_name == "*",
                pattern::PREFIXED => n.starts_with(acl.resource_name.as_str()),
                _ => false,
            },
            (p, n) => p == acl.pattern_type && n.as_ref().is_none_or(|n| &acl.resource_name == n),
        };
        name_ok
            && self.principal.as_ref().is_none_or(|p| &acl.principal == p)
            && self.host.as_ref().is_none_or(|h| &acl.host == h)
            && (self.operation == Op::Any as i8 || self.operation == acl.operation)
            && (self.permission_type == permission::ANY || self.permission_type == acl.permission_type)
    }
}

/// Why a binding cannot be created (Kafka answers INVALID_REQUEST with this).
pub fn validate_binding(acl: &AclBinding) -> Result<(), String> {
    if !matches!(
        acl.resource_type,
        resource::TOPIC
            | resource::GROUP
            | resource::CLUSTER
            | resource::TRANSACTIONAL_ID
            | resource::DELEGATION_TOKEN
            | resource::USER
    ) {
        return Err(format!("invalid resource type {}", acl.resource_type));
    }
    if !matches!(acl.pattern_type, pattern::LITERAL | pattern::PREFIXED) {
        return Err(format!("invalid pattern type {} (LITERAL or PREFIXED)", acl.pattern_type));
    }
    if acl.resource_name.is_empty() {
        return Err("resource name must not be empty".into());
    }
    if acl.resource_type == resource::CLUSTER && acl.resource_name != CLUSTER_NAME {
        return Err(format!("the cluster resource is named {CLUSTER_NAME}"));
    }
    match Op::from_code(acl.operation) {
        None | Some(Op::Any) => return Err(format!("invalid operation {}", acl.operation)),
        Some(_) => {}
    }
    if !matches!(acl.permission_type, permission::ALLOW | permission::DENY) {
        return Err(format!("invalid permission type {}", acl.permission_type));
    }
    match acl.principal.split_once(':') {
        Some((kind, name)) if !kind.is_empty() && !name.is_empty() => {}
        _ => return Err(format!("principal {:?} is not TYPE:NAME", acl.principal)),
    }
    if acl.host.is_empty() {
        return Err("host must not be empty (use *)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(rt: i8, name: &str, pt: i8, principal: &str, op: Op, perm: i8) -> AclBinding {
        AclBinding {
            resource_type: rt,
            resource_name: name.into(),
            pattern_type: pt,
            principal: principal.into(),
            host: "*".into(),
            operation: op as i8,
            permission_type: perm,
        }
    }

    #[test]
    fn allow_implies_describe_and_deny_wins() {
        let acls = vec![
            b(resource::TOPIC, "orders", pattern::LITERAL, "User:alice", Op::Read, permission::ALLOW),
            b(resource::TOPIC, "ord", pattern::PREFIXED, "User:bob", Op::All, permission::ALLOW),
            b(resource::TOPIC, "orders", pattern::LITERAL, "User:bob", Op::Write, permission::DENY),
        ];
        let az = |p: &str, op: Op, name: &str| authorize(&acls, p, "1.2.3.4", op, resource::TOPIC, name, true);
        assert!(az("User:alice", Op::Read, "orders"));
        assert!(az("User:alice", Op::Describe, "orders"), "READ implies DESCRIBE");
        assert!(!az("User:alice", Op::Write, "orders"));
        assert!(az("User:bob", Op::Read, "orders"), "prefixed ALL");
        assert!(!az("User:bob", Op::Write, "orders"), "deny wins over ALL");
        assert!(az("User:bob", Op::Write, "ordinal"));
        // A topic without any ACL follows allow.everyone.if.no.acl.found.
        assert!(az("User:carol", Op::Write, "other"));
        assert!(!authorize(&acls, "User:carol", "h", Op::Write, resource::TOPIC, "other", false));
        assert!(!az("User:carol", Op::Read, "orders"), "ACLs exist on orders, none for carol");
    }

    #[test]
    fn hosts_and_wildcards() {
        let mut acl = b(resource::GROUP, "*", pattern::LITERAL, "User:*", Op::Read, permission::ALLOW);
        acl.host = "10.0.0.1".into();
        let acls = vec![acl];
        assert!(authorize(&acls, "User:x", "10.0.0.1", Op::Read, resource::GROUP, "g", false));
        assert!(!authorize(&acls, "User:x", "10.0.0.2", Op::Read, resource::GROUP, "g", false));
    }

    #[test]
    fn match_filter() {
        let lit = b(resource::TOPIC, "foo", pattern::LITERAL, "User:a", Op::Read, permission::ALLOW);
        let wild = b(resource::TOPIC, "*", pattern::LITERAL, "User:a", Op::Read, permission::ALLOW);
        let pre = b(resource::TOPIC, "fo", pattern::PREFIXED, "User:a", Op::Read, permission::ALLOW);
        let other = b(resource::TOPIC, "bar", pattern::LITERAL, "User:a", Op::Read, permission::ALLOW);
        let f = AclFilter {
            resource_type: resource::TOPIC,
            resource_name: Some("foo".into()),
            pattern_type: pattern::MATCH,
            principal: None,
            host: None,
            operation: Op::Any as i8,
            permission_type: permission::ANY,
        };
        assert!(f.matches(&lit) && f.matches(&wild) && f.matches(&pre) && !f.matches(&other));
        let f = AclFilter { pattern_type: pattern::LITERAL, ..f };
        assert!(f.matches(&lit) && !f.matches(&wild) && !f.matches(&pre));
        let f = AclFilter { pattern_type: pattern::ANY, resource_name: None, ..f };
        assert!(f.matches(&lit) && f.matches(&wild) && f.matches(&pre) && f.matches(&other));
    }

    #[test]
    fn idempotent_write_fallback() {
        let acls = vec![b(resource::TOPIC, "t", pattern::LITERAL, "User:p", Op::Write, permission::ALLOW)];
        assert!(authorize_any(&acls, "User:p", "h", Op::Write, resource::TOPIC, false));
        assert!(!authorize_any(&acls, "User:q", "h", Op::Write, resource::TOPIC, true));
    }
}
