//! The authorization matrix: with `allow.everyone.if.no.acl.found=false`, a
//! principal without ACLs sends every API the broker implements (driven from
//! `versions::SUPPORTED`, so a new API without an arm here fails the test)
//! and each is refused with Kafka's error code; a super user, on the same
//! broker, is served. Also SASL refusals at the wire level.

mod common;

use std::io::Write;
use std::process::Stdio;

use bytes::Bytes;
use common::{oxbow, Broker, Conn};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use oxbow_broker::versions::SUPPORTED;

const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
const GROUP_AUTHORIZATION_FAILED: i16 = 30;
const CLUSTER_AUTHORIZATION_FAILED: i16 = 31;
const SASL_AUTHENTICATION_FAILED: i16 = 58;
const UNSUPPORTED_SASL_MECHANISM: i16 = 33;

fn start() -> Broker {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_str().expect("utf8").to_string();
    for (user, password) in [("admin", "admin-secret"), ("mallory", "mallory-secret")] {
        let status = oxbow()
            .args(["scram", "set", "--data-dir", &data, "--user", user, "--password", password])
            .stdout(Stdio::null())
            .status()
            .expect("oxbow scram");
        assert!(status.success());
    }
    common::start_in(
        dir,
        &[
            "--set",
            "listeners=SASL_PLAINTEXT://127.0.0.1:0",
            "--set",
            "allow.everyone.if.no.acl.found=false",
            "--set",
            "super.users=User:admin",
            "--set",
            "group.initial.rebalance.delay.ms=0",
        ],
    )
}

/// SaslHandshake v1 + SaslAuthenticate v2 with PLAIN.
fn login(addr: &str, user: &str, password: &str) -> Conn {
    let mut c = Conn::open(addr);
    let hs: SaslHandshakeResponse =
        c.call(ApiKey::SaslHandshake, 1, &SaslHandshakeRequest::default().with_mechanism(st("PLAIN")));
    assert_eq!(hs.error_code, 0);
    let auth: SaslAuthenticateResponse = c.call(
        ApiKey::SaslAuthenticate,
        2,
        &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(format!("\0{user}\0{password}"))),
    );
    assert_eq!(auth.error_code, 0, "{:?}", auth.error_message);
    c
}

fn st(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

fn topic(name: &str) -> TopicName {
    TopicName(st(name))
}

fn group(name: &str) -> GroupId {
    GroupId(st(name))
}

/// Kafka's authorized operations for a topic with no rights: none.
fn metadata(c: &mut Conn, topics: Option<Vec<&str>>) -> MetadataResponse {
    let req = MetadataRequest::default()
        .with_topics(topics.map(|ts| {
            ts.into_iter()
                .map(|t| metadata_request::MetadataRequestTopic::default().with_name(Some(topic(t))))
                .collect()
        }))
        .with_allow_auto_topic_creation(false);
    c.call(ApiKey::Metadata, 12, &req)
}

fn admin_setup(c: &mut Conn) {
    let t = create_topics_request::CreatableTopic::default()
        .with_name(topic("t"))
        .with_num_partitions(1)
        .with_replication_factor(1);
    let resp: CreateTopicsResponse =
        c.call(ApiKey::CreateTopics, 7, &CreateTopicsRequest::default().with_topics(vec![t]).with_timeout_ms(5000));
    assert_eq!(resp.topics[0].error_code, 0);
    // A "simple" commit (generation -1) creates group g's offsets.
    let commit: OffsetCommitResponse = c.call(ApiKey::OffsetCommit, 9, &commit_request());
    assert_eq!(commit.topics[0].partitions[0].error_code, 0);
}

fn commit_request() -> OffsetCommitRequest {
    OffsetCommitRequest::default().with_group_id(group("g")).with_generation_id_or_member_epoch(-1).with_topics(vec![
        offset_commit_request::OffsetCommitRequestTopic::default().with_name(topic("t")).with_partitions(vec![
            offset_commit_request::OffsetCommitRequestPartition::default()
                .with_partition_index(0)
                .with_committed_offset(0),
        ]),
    ])
}

fn heartbeat_request(group_id: &str, topic_name: &str) -> ConsumerGroupHeartbeatRequest {
    ConsumerGroupHeartbeatRequest::default()
        .with_group_id(group(group_id))
        .with_member_id(st(&uuid_like()))
        .with_member_epoch(0)
        .with_rebalance_timeout_ms(10_000)
        .with_subscribed_topic_names(Some(vec![topic(topic_name)]))
        .with_topic_partitions(Some(vec![]))
}

fn uuid_like() -> String {
    format!("m{:0>21}", std::process::id())
}

/// Sends one request of `key` as the unauthorized principal and returns the
/// error codes the response carries that matter for authorization.
fn refused_codes(c: &mut Conn, key: ApiKey) -> Vec<i16> {
    use ApiKey as K;
    match key {
        K::Produce => {
            let req = ProduceRequest::default().with_acks(-1).with_timeout_ms(5000).with_topic_data(vec![
                produce_request::TopicProduceData::default().with_name(topic("t")).with_partition_data(vec![
                    produce_request::PartitionProduceData::default().with_index(0).with_records(None),
                ]),
            ]);
            let r: ProduceResponse = c.call(key, 9, &req);
            vec![r.responses[0].partition_responses[0].error_code]
        }
        K::Fetch => {
            let req = FetchRequest::default().with_max_wait_ms(0).with_max_bytes(1 << 20).with_topics(vec![
                fetch_request::FetchTopic::default().with_topic(topic("t")).with_partitions(vec![
                    fetch_request::FetchPartition::default().with_partition(0).with_partition_max_bytes(1 << 20),
                ]),
            ]);
            let r: FetchResponse = c.call(key, 12, &req);
            vec![r.responses[0].partitions[0].error_code]
        }
        K::ListOffsets => {
            let req = ListOffsetsRequest::default().with_replica_id(BrokerId(-1)).with_topics(vec![
                list_offsets_request::ListOffsetsTopic::default().with_name(topic("t")).with_partitions(vec![
                    list_offsets_request::ListOffsetsPartition::default().with_partition_index(0).with_timestamp(-1),
                ]),
            ]);
            let r: ListOffsetsResponse = c.call(key, 7, &req);
            vec![r.topics[0].partitions[0].error_code]
        }
        K::Metadata => {
            let all = metadata(c, None);
            assert!(all.topics.is_empty(), "undescribable topics are filtered from Metadata");
            metadata(c, Some(vec!["t"])).topics.iter().map(|t| t.error_code).collect()
        }
        K::CreateTopics => {
            let t = create_topics_request::CreatableTopic::default()
                .with_name(topic("new"))
                .with_num_partitions(1)
                .with_replication_factor(1);
            let r: CreateTopicsResponse = c.call(key, 7, &CreateTopicsRequest::default().with_topics(vec![t]));
            vec![r.topics[0].error_code]
        }
        K::DeleteTopics => {
            let r: DeleteTopicsResponse =
                c.call(key, 5, &DeleteTopicsRequest::default().with_topic_names(vec![topic("t")]));
            vec![r.responses[0].error_code]
        }
        K::DeleteRecords => {
            let req =
                DeleteRecordsRequest::default().with_topics(vec![delete_records_request::DeleteRecordsTopic::default(
                )
                .with_name(topic("t"))
                .with_partitions(vec![delete_records_request::DeleteRecordsPartition::default()
                    .with_partition_index(0)
                    .with_offset(0)])]);
            let r: DeleteRecordsResponse = c.call(key, 2, &req);
            vec![r.topics[0].partitions[0].error_code]
        }
        K::InitProducerId => {
            let req = InitProducerIdRequest::default()
                .with_transactional_id(None)
                .with_producer_id(ProducerId(-1))
                .with_producer_epoch(-1)
                .with_transaction_timeout_ms(-1);
            let r: InitProducerIdResponse = c.call(key, 4, &req);
            vec![r.error_code]
        }
        K::DescribeConfigs => {
            let req = DescribeConfigsRequest::default().with_resources(vec![
                describe_configs_request::DescribeConfigsResource::default()
                    .with_resource_type(2)
                    .with_resource_name(st("t")),
                describe_configs_request::DescribeConfigsResource::default()
                    .with_resource_type(4)
                    .with_resource_name(st("1")),
            ]);
            let r: DescribeConfigsResponse = c.call(key, 4, &req);
            assert_eq!(r.results[1].error_code, CLUSTER_AUTHORIZATION_FAILED, "broker configs need the cluster");
            vec![r.results[0].error_code]
        }
        K::AlterConfigs => {
            let req = AlterConfigsRequest::default().with_resources(vec![
                alter_configs_request::AlterConfigsResource::default()
                    .with_resource_type(2)
                    .with_resource_name(st("t")),
            ]);
            let r: AlterConfigsResponse = c.call(key, 2, &req);
            vec![r.responses[0].error_code]
        }
        K::IncrementalAlterConfigs => {
            let req = IncrementalAlterConfigsRequest::default().with_resources(vec![
                incremental_alter_configs_request::AlterConfigsResource::default()
                    .with_resource_type(2)
                    .with_resource_name(st("t")),
            ]);
            let r: IncrementalAlterConfigsResponse = c.call(key, 1, &req);
            vec![r.responses[0].error_code]
        }
        K::CreatePartitions => {
            let req = CreatePartitionsRequest::default().with_topics(vec![
                create_partitions_request::CreatePartitionsTopic::default().with_name(topic("t")).with_count(2),
            ]);
            let r: CreatePartitionsResponse = c.call(key, 3, &req);
            vec![r.results[0].error_code]
        }
        K::DescribeCluster => {
            let r: DescribeClusterResponse = c.call(key, 1, &DescribeClusterRequest::default().with_endpoint_type(1));
            vec![r.error_code]
        }
        K::DescribeProducers => {
            let req = DescribeProducersRequest::default().with_topics(vec![
                describe_producers_request::TopicRequest::default()
                    .with_name(topic("t"))
                    .with_partition_indexes(vec![0]),
            ]);
            let r: DescribeProducersResponse = c.call(key, 0, &req);
            vec![r.topics[0].partitions[0].error_code]
        }
        K::FindCoordinator => {
            let r: FindCoordinatorResponse = c.call(
                key,
                4,
                &FindCoordinatorRequest::default().with_key_type(0).with_coordinator_keys(vec![st("g")]),
            );
            let old: FindCoordinatorResponse = c.call(key, 3, &FindCoordinatorRequest::default().with_key(st("g")));
            vec![r.coordinators[0].error_code, old.error_code]
        }
        K::OffsetCommit => {
            let r: OffsetCommitResponse = c.call(key, 9, &commit_request());
            vec![r.topics[0].partitions[0].error_code]
        }
        K::OffsetFetch => {
            let v8 = OffsetFetchRequest::default()
                .with_groups(vec![offset_fetch_request::OffsetFetchRequestGroup::default().with_group_id(group("g"))]);
            let r8: OffsetFetchResponse = c.call(key, 9, &v8);
            let r7: OffsetFetchResponse =
                c.call(key, 7, &OffsetFetchRequest::default().with_group_id(group("g")).with_topics(None));
            vec![r8.groups[0].error_code, r7.error_code]
        }
        K::OffsetDelete => {
            let req = OffsetDeleteRequest::default().with_group_id(group("g")).with_topics(vec![
                offset_delete_request::OffsetDeleteRequestTopic::default().with_name(topic("t")).with_partitions(vec![
                    offset_delete_request::OffsetDeleteRequestPartition::default().with_partition_index(0),
                ]),
            ]);
            let r: OffsetDeleteResponse = c.call(key, 0, &req);
            vec![r.error_code]
        }
        K::JoinGroup => {
            let req = JoinGroupRequest::default()
                .with_group_id(group("g"))
                .with_session_timeout_ms(10_000)
                .with_rebalance_timeout_ms(10_000)
                .with_protocol_type(st("consumer"))
                .with_protocols(vec![join_group_request::JoinGroupRequestProtocol::default().with_name(st("range"))]);
            let r: JoinGroupResponse = c.call(key, 9, &req);
            vec![r.error_code]
        }
        K::SyncGroup => {
            let req =
                SyncGroupRequest::default().with_group_id(group("g")).with_generation_id(1).with_member_id(st("m"));
            let r: SyncGroupResponse = c.call(key, 5, &req);
            vec![r.error_code]
        }
        K::Heartbeat => {
            let req =
                HeartbeatRequest::default().with_group_id(group("g")).with_generation_id(1).with_member_id(st("m"));
            let r: HeartbeatResponse = c.call(key, 4, &req);
            vec![r.error_code]
        }
        K::LeaveGroup => {
            let req = LeaveGroupRequest::default()
                .with_group_id(group("g"))
                .with_members(vec![leave_group_request::MemberIdentity::default().with_member_id(st("m"))]);
            let r: LeaveGroupResponse = c.call(key, 5, &req);
            vec![r.error_code]
        }
        K::ListGroups => {
            let r: ListGroupsResponse = c.call(key, 5, &ListGroupsRequest::default());
            // Nothing to refuse: the groups the principal may not describe are left out.
            assert!(r.groups.iter().all(|g| g.group_id.0.as_str() != "g"), "ListGroups hides group g");
            vec![if r.groups.is_empty() { GROUP_AUTHORIZATION_FAILED } else { 0 }]
        }
        K::DescribeGroups => {
            let r: DescribeGroupsResponse =
                c.call(key, 5, &DescribeGroupsRequest::default().with_groups(vec![group("g")]));
            vec![r.groups[0].error_code]
        }
        K::DeleteGroups => {
            let r: DeleteGroupsResponse =
                c.call(key, 2, &DeleteGroupsRequest::default().with_groups_names(vec![group("g")]));
            vec![r.results[0].error_code]
        }
        K::CreateAcls => {
            let creation = create_acls_request::AclCreation::default()
                .with_resource_type(2)
                .with_resource_name(st("t"))
                .with_resource_pattern_type(3)
                .with_principal(st("User:mallory"))
                .with_host(st("*"))
                .with_operation(2)
                .with_permission_type(3);
            let r: CreateAclsResponse = c.call(key, 3, &CreateAclsRequest::default().with_creations(vec![creation]));
            vec![r.results[0].error_code]
        }
        K::DescribeAcls => {
            let req = DescribeAclsRequest::default()
                .with_resource_type_filter(1)
                .with_pattern_type_filter(1)
                .with_operation(1)
                .with_permission_type(1);
            let r: DescribeAclsResponse = c.call(key, 3, &req);
            vec![r.error_code]
        }
        K::DeleteAcls => {
            let filter = delete_acls_request::DeleteAclsFilter::default()
                .with_resource_type_filter(1)
                .with_pattern_type_filter(1)
                .with_operation(1)
                .with_permission_type(1);
            let r: DeleteAclsResponse = c.call(key, 3, &DeleteAclsRequest::default().with_filters(vec![filter]));
            vec![r.filter_results[0].error_code]
        }
        K::DescribeUserScramCredentials => {
            let r: DescribeUserScramCredentialsResponse =
                c.call(key, 0, &DescribeUserScramCredentialsRequest::default().with_users(None));
            vec![r.error_code]
        }
        K::AlterUserScramCredentials => {
            let req = AlterUserScramCredentialsRequest::default().with_deletions(vec![
                alter_user_scram_credentials_request::ScramCredentialDeletion::default()
                    .with_name(st("admin"))
                    .with_mechanism(2),
            ]);
            let r: AlterUserScramCredentialsResponse = c.call(key, 0, &req);
            vec![r.results[0].error_code]
        }
        K::ConsumerGroupHeartbeat => {
            let r: ConsumerGroupHeartbeatResponse = c.call(key, 0, &heartbeat_request("g", "t"));
            vec![r.error_code]
        }
        K::ConsumerGroupDescribe => {
            let r: ConsumerGroupDescribeResponse =
                c.call(key, 0, &ConsumerGroupDescribeRequest::default().with_group_ids(vec![group("g")]));
            vec![r.groups[0].error_code]
        }
        other => panic!("API {other:?} is advertised but has no arm in the authorization matrix"),
    }
}

/// The code Kafka answers an unauthorized principal with, per API.
fn expected(key: ApiKey) -> Option<i16> {
    use ApiKey as K;
    Some(match key {
        // Not authorized: needed before and for authentication.
        K::ApiVersions | K::SaslHandshake | K::SaslAuthenticate => return None,
        K::Produce | K::Fetch | K::ListOffsets | K::Metadata | K::CreateTopics | K::DeleteTopics | K::DeleteRecords => {
            TOPIC_AUTHORIZATION_FAILED
        }
        K::DescribeConfigs
        | K::AlterConfigs
        | K::IncrementalAlterConfigs
        | K::CreatePartitions
        | K::DescribeProducers => TOPIC_AUTHORIZATION_FAILED,
        K::InitProducerId | K::DescribeCluster | K::CreateAcls | K::DescribeAcls | K::DeleteAcls => {
            CLUSTER_AUTHORIZATION_FAILED
        }
        K::DescribeUserScramCredentials | K::AlterUserScramCredentials => CLUSTER_AUTHORIZATION_FAILED,
        _ => GROUP_AUTHORIZATION_FAILED,
    })
}

#[test]
fn every_api_refuses_a_principal_without_acls() {
    let broker = start();
    let mut admin = login(&broker.addr, "admin", "admin-secret");
    admin_setup(&mut admin);
    let mut mallory = login(&broker.addr, "mallory", "mallory-secret");
    let mut walked = 0;
    for (key, _, _) in SUPPORTED {
        let Some(code) = expected(*key) else { continue };
        let got = refused_codes(&mut mallory, *key);
        assert!(got.iter().all(|c| *c == code), "{key:?}: expected {code} everywhere, got {got:?}");
        walked += 1;
    }
    assert!(walked >= 30, "walked {walked} APIs");
    // The super user is served on the same broker: the refusals come from the ACLs.
    let all = metadata(&mut admin, None);
    assert_eq!(all.topics.len(), 1);
    let r: DescribeClusterResponse =
        admin.call(ApiKey::DescribeCluster, 1, &DescribeClusterRequest::default().with_endpoint_type(1));
    assert_eq!(r.error_code, 0);
    let r: ListGroupsResponse = admin.call(ApiKey::ListGroups, 5, &ListGroupsRequest::default());
    assert!(r.groups.iter().any(|g| g.group_id.0.as_str() == "g"));
    // After an ACL for mallory, the same request succeeds (and the cache is refreshed at once).
    let creation = create_acls_request::AclCreation::default()
        .with_resource_type(2)
        .with_resource_name(st("t"))
        .with_resource_pattern_type(3)
        .with_principal(st("User:mallory"))
        .with_host(st("*"))
        .with_operation(3)
        .with_permission_type(3);
    let r: CreateAclsResponse =
        admin.call(ApiKey::CreateAcls, 3, &CreateAclsRequest::default().with_creations(vec![creation]));
    assert_eq!(r.results[0].error_code, 0);
    let m = metadata(&mut mallory, None);
    assert_eq!(m.topics.len(), 1, "READ implies DESCRIBE");
    // 3 READ + 8 DESCRIBE.
    let ops = metadata(&mut mallory, Some(vec!["t"]));
    assert_eq!(ops.topics[0].error_code, 0);
    let describe: DescribeAclsResponse = admin.call(
        ApiKey::DescribeAcls,
        3,
        &DescribeAclsRequest::default()
            .with_resource_type_filter(2)
            .with_resource_name_filter(Some(st("t")))
            .with_pattern_type_filter(2)
            .with_principal_filter(None)
            .with_host_filter(None)
            .with_operation(1)
            .with_permission_type(1),
    );
    assert_eq!(describe.resources.len(), 1);
    assert_eq!(describe.resources[0].acls[0].principal.as_str(), "User:mallory");
    // ConsumerGroupHeartbeat: READ on the group is not enough, every subscribed topic needs DESCRIBE.
    let creation = create_acls_request::AclCreation::default()
        .with_resource_type(3)
        .with_resource_name(st("cg"))
        .with_resource_pattern_type(3)
        .with_principal(st("User:mallory"))
        .with_host(st("*"))
        .with_operation(3)
        .with_permission_type(3);
    let r: CreateAclsResponse =
        admin.call(ApiKey::CreateAcls, 3, &CreateAclsRequest::default().with_creations(vec![creation]));
    assert_eq!(r.results[0].error_code, 0);
    let r: ConsumerGroupHeartbeatResponse =
        mallory.call(ApiKey::ConsumerGroupHeartbeat, 0, &heartbeat_request("cg", "secret"));
    assert_eq!(r.error_code, TOPIC_AUTHORIZATION_FAILED);
    let r: ConsumerGroupHeartbeatResponse =
        mallory.call(ApiKey::ConsumerGroupHeartbeat, 0, &heartbeat_request("cg", "t"));
    assert_eq!(r.error_code, 0, "{:?}", r.error_message);
}

#[test]
fn bad_authentication_is_refused_cleanly() {
    let broker = start();
    // Wrong password: SASL_AUTHENTICATION_FAILED with Kafka's message, then the connection closes.
    let mut c = Conn::open(&broker.addr);
    let _: SaslHandshakeResponse =
        c.call(ApiKey::SaslHandshake, 1, &SaslHandshakeRequest::default().with_mechanism(st("PLAIN")));
    let r: SaslAuthenticateResponse = c.call(
        ApiKey::SaslAuthenticate,
        2,
        &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from_static(b"\0admin\0nope")),
    );
    assert_eq!(r.error_code, SASL_AUTHENTICATION_FAILED);
    assert_eq!(r.error_message.as_deref(), Some("Authentication failed: Invalid username or password"));
    assert!(c.closed());
    // Unknown mechanism: UNSUPPORTED_SASL_MECHANISM listing the enabled ones.
    let mut c = Conn::open(&broker.addr);
    let r: SaslHandshakeResponse =
        c.call(ApiKey::SaslHandshake, 1, &SaslHandshakeRequest::default().with_mechanism(st("GSSAPI")));
    assert_eq!(r.error_code, UNSUPPORTED_SASL_MECHANISM);
    assert!(r.mechanisms.iter().any(|m| m.as_str() == "SCRAM-SHA-512"));
    assert!(c.closed());
    // A Kafka request before authenticating: the connection is closed without an answer.
    let mut c = Conn::open(&broker.addr);
    c.send(ApiKey::Metadata, 12, &MetadataRequest::default());
    assert!(c.receive::<MetadataResponse>(ApiKey::Metadata, 12).is_none());
    // SaslAuthenticate before the handshake: ILLEGAL_SASL_STATE, then closed.
    let mut c = Conn::open(&broker.addr);
    let r: SaslAuthenticateResponse = c.call(
        ApiKey::SaslAuthenticate,
        2,
        &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from_static(b"n,,n=admin,r=x")),
    );
    assert_eq!(r.error_code, 34);
    assert!(c.closed());
    // Raw SASL bytes instead of a Kafka frame.
    let mut c = Conn::open(&broker.addr);
    c.stream.write_all(b"\0\0\0\x0en,,n=admin,r=x").expect("write");
    assert!(c.closed());
    // The broker still serves.
    let mut ok = login(&broker.addr, "admin", "admin-secret");
    assert_eq!(metadata(&mut ok, None).topics.len(), 0);
}
