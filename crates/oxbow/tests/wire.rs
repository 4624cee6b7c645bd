//! Kafka wire-level behaviour of the real binary that the client libraries
//! hide: idempotent duplicates and fencing, LogAppendTime stamping,
//! DescribeProducers, ListOffsets MAX_TIMESTAMP, ApiVersions contents.

mod common;

use bytes::{Bytes, BytesMut};
use common::{Broker, Conn};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

fn start() -> Broker {
    common::start_in(tempfile::tempdir().expect("tempdir"), &[])
}

fn topic(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

fn create_topic(c: &mut Conn, name: &str, configs: &[(&str, &str)]) {
    let t = create_topics_request::CreatableTopic::default()
        .with_name(topic(name))
        .with_num_partitions(1)
        .with_replication_factor(1)
        .with_configs(
            configs
                .iter()
                .map(|(k, v)| {
                    create_topics_request::CreatableTopicConfig::default()
                        .with_name(StrBytes::from_string(k.to_string()))
                        .with_value(Some(StrBytes::from_string(v.to_string())))
                })
                .collect(),
        );
    let resp: CreateTopicsResponse =
        c.call(ApiKey::CreateTopics, 7, &CreateTopicsRequest::default().with_topics(vec![t]).with_timeout_ms(5000));
    assert_eq!(resp.topics[0].error_code, 0, "{:?}", resp.topics[0].error_message);
}

fn batch(producer_id: i64, epoch: i16, base_sequence: i32, timestamps: &[i64]) -> Bytes {
    let records: Vec<Record> = timestamps
        .iter()
        .enumerate()
        .map(|(i, ts)| Record {
            transactional: false,
            control: false,
            partition_leader_epoch: 0,
            producer_id,
            producer_epoch: epoch,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: base_sequence + i as i32,
            timestamp: *ts,
            key: None,
            value: Some(Bytes::from(format!("v{i}"))),
            headers: Default::default(),
            delete_horizon: false,
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(&mut buf, &records, &RecordEncodeOptions { version: 2, compression: Compression::None })
        .expect("encode");
    buf.freeze()
}

/// Produces one batch at Produce v9; returns (error code, base offset, log append time).
fn produce(c: &mut Conn, name: &str, records: Bytes) -> (i16, i64, i64) {
    let req = ProduceRequest::default().with_acks(-1).with_timeout_ms(5000).with_topic_data(vec![
        produce_request::TopicProduceData::default().with_name(topic(name)).with_partition_data(vec![
            produce_request::PartitionProduceData::default().with_index(0).with_records(Some(records)),
        ]),
    ]);
    let resp: ProduceResponse = c.call(ApiKey::Produce, 9, &req);
    let p = &resp.responses[0].partition_responses[0];
    (p.error_code, p.base_offset, p.log_append_time_ms)
}

fn init_producer_id(c: &mut Conn) -> i64 {
    let resp: InitProducerIdResponse = c.call(
        ApiKey::InitProducerId,
        4,
        // Idempotent producers send a null transactional id (kafka-protocol's default is "").
        &InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1),
    );
    assert_eq!(resp.error_code, 0);
    assert_eq!(resp.producer_epoch, 0);
    resp.producer_id.0
}

fn list_offset(c: &mut Conn, name: &str, timestamp: i64) -> (i16, i64, i64) {
    let req = ListOffsetsRequest::default().with_replica_id(BrokerId(-1)).with_topics(vec![
        list_offsets_request::ListOffsetsTopic::default().with_name(topic(name)).with_partitions(vec![
            list_offsets_request::ListOffsetsPartition::default().with_partition_index(0).with_timestamp(timestamp),
        ]),
    ]);
    let resp: ListOffsetsResponse = c.call(ApiKey::ListOffsets, 7, &req);
    let p = &resp.topics[0].partitions[0];
    (p.error_code, p.offset, p.timestamp)
}

#[test]
fn idempotent_duplicates_sequence_gaps_and_fencing() {
    let b = start();
    let mut c = Conn::open(&b.addr);
    create_topic(&mut c, "idem", &[]);
    let pid = init_producer_id(&mut c);
    assert_ne!(pid, init_producer_id(&mut c), "every InitProducerId gets a fresh id");

    assert_eq!(produce(&mut c, "idem", batch(pid, 0, 0, &[1, 2, 3])).0, 0);
    // The same batch again (a retry) is answered with its original offset and not appended.
    assert_eq!(produce(&mut c, "idem", batch(pid, 0, 0, &[1, 2, 3])), (0, 0, -1));
    assert_eq!(produce(&mut c, "idem", batch(pid, 0, 3, &[4])), (0, 3, -1));
    // A gap in sequence numbers: OUT_OF_ORDER_SEQUENCE_NUMBER, nothing appended.
    assert_eq!(produce(&mut c, "idem", batch(pid, 0, 9, &[5])).0, 45);
    // A bumped epoch starts again at sequence 0; the old epoch is then fenced.
    assert_eq!(produce(&mut c, "idem", batch(pid, 1, 0, &[6])), (0, 4, -1));
    assert_eq!(produce(&mut c, "idem", batch(pid, 0, 4, &[7])).0, 47);
    assert_eq!(list_offset(&mut c, "idem", -1).1, 5, "offsets 0..5 dense, nothing from refused batches");

    let req = DescribeProducersRequest::default()
        .with_topics(vec![describe_producers_request::TopicRequest::default()
            .with_name(topic("idem"))
            .with_partition_indexes(vec![0])]);
    let resp: DescribeProducersResponse = c.call(ApiKey::DescribeProducers, 0, &req);
    let part = &resp.topics[0].partitions[0];
    assert_eq!(part.error_code, 0);
    let state = part.active_producers.iter().find(|s| s.producer_id.0 == pid).expect("producer listed");
    assert_eq!((state.producer_epoch, state.last_sequence), (1, 0));
}

#[test]
fn log_append_time_topics_stamp_batches_and_timestamp_lookups_work() {
    let b = start();
    let mut c = Conn::open(&b.addr);
    create_topic(&mut c, "lat", &[("message.timestamp.type", "LogAppendTime")]);
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64;
    let (err, base, append_time) = produce(&mut c, "lat", batch(-1, -1, -1, &[5, 6]));
    assert_eq!((err, base), (0, 0));
    assert!(append_time >= before, "log append time {append_time} is the broker's clock");

    let req =
        FetchRequest::default().with_replica_id(BrokerId(-1)).with_max_wait_ms(0).with_max_bytes(1 << 20).with_topics(
            vec![fetch_request::FetchTopic::default().with_topic(topic("lat")).with_partitions(vec![
                fetch_request::FetchPartition::default()
                    .with_partition(0)
                    .with_fetch_offset(0)
                    .with_partition_max_bytes(1 << 20),
            ])],
        );
    let resp: FetchResponse = c.call(ApiKey::Fetch, 11, &req);
    let raw = resp.responses[0].partitions[0].records.clone().expect("records");
    // Batch header: attributes at 21..23 (bit 3 = LogAppendTime), max timestamp at 35..43.
    assert_ne!(i16::from_be_bytes([raw[21], raw[22]]) & 0x08, 0, "timestamp type is LogAppendTime");
    let max_ts = i64::from_be_bytes(raw[35..43].try_into().expect("8 bytes"));
    assert_eq!(max_ts, append_time, "clients read every record's timestamp from the batch max timestamp");
    let mut records = raw.clone();
    let sets = RecordBatchDecoder::decode_all(&mut records).expect("decodable, CRC valid after stamping");
    let recs: Vec<&Record> = sets.iter().flat_map(|s| s.records.iter()).collect();
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r.timestamp_type == TimestampType::LogAppend));

    create_topic(&mut c, "ts", &[]);
    produce(&mut c, "ts", batch(-1, -1, -1, &[100, 300, 200]));
    produce(&mut c, "ts", batch(-1, -1, -1, &[250, 400]));
    assert_eq!(list_offset(&mut c, "ts", -3), (0, 4, 400), "MAX_TIMESTAMP: the record holding it");
    // Kafka's rule: the earliest offset whose timestamp is >= the target.
    assert_eq!(list_offset(&mut c, "ts", 150), (0, 1, 300));
    assert_eq!(list_offset(&mut c, "ts", 255), (0, 1, 300), "offset 1 (300) comes before offset 3 (250)");
    assert_eq!(list_offset(&mut c, "ts", 301), (0, 4, 400));
    assert_eq!(list_offset(&mut c, "ts", 401), (0, -1, -1), "none at or after");
    assert_eq!(list_offset(&mut c, "ts", -2), (0, 0, -1));
    assert_eq!(list_offset(&mut c, "ts", -1), (0, 5, -1));
}

#[test]
fn api_versions_lists_exactly_the_supported_table_at_v3_and_v0() {
    let b = start();
    let mut c = Conn::open(&b.addr);
    for version in [0, 3] {
        let resp: ApiVersionsResponse = c.call(
            ApiKey::ApiVersions,
            version,
            &ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_static_str("wire-test"))
                .with_client_software_version(StrBytes::from_static_str("1")),
        );
        assert_eq!(resp.error_code, 0);
        let got: Vec<(i16, i16, i16)> =
            resp.api_keys.iter().map(|k| (k.api_key, k.min_version, k.max_version)).collect();
        let want: Vec<(i16, i16, i16)> =
            oxbow_broker::versions::SUPPORTED.iter().map(|(k, min, max)| (*k as i16, *min, *max)).collect();
        assert_eq!(got, want);
    }
}

#[test]
fn api_versions_v3_refuses_invalid_client_software_fields() {
    let b = start();
    let mut c = Conn::open(&b.addr);
    let resp: ApiVersionsResponse = c.call(
        ApiKey::ApiVersions,
        3,
        &ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("bad name!"))
            .with_client_software_version(StrBytes::from_static_str("1.0")),
    );
    assert_eq!(resp.error_code, 42, "INVALID_REQUEST, as Kafka answers");
}

#[test]
fn offset_commit_fetch_and_delete_for_a_group_without_members() {
    let b = start();
    let mut c = Conn::open(&b.addr);
    create_topic(&mut c, "off", &[]);
    let commit = |generation: i32, member: &str, offset: i64| {
        OffsetCommitRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_generation_id_or_member_epoch(generation)
            .with_member_id(StrBytes::from_string(member.to_string()))
            .with_topics(vec![offset_commit_request::OffsetCommitRequestTopic::default()
                .with_name(topic("off"))
                .with_partitions(vec![offset_commit_request::OffsetCommitRequestPartition::default()
                    .with_partition_index(0)
                    .with_committed_offset(offset)
                    .with_committed_metadata(Some(StrBytes::from_static_str("meta")))])])
    };
    let code = |r: &OffsetCommitResponse| r.topics[0].partitions[0].error_code;
    // Claiming a generation of a group that has no members: ILLEGAL_GENERATION.
    assert_eq!(code(&c.call(ApiKey::OffsetCommit, 8, &commit(3, "m", 5))), 22);
    assert_eq!(code(&c.call(ApiKey::OffsetCommit, 8, &commit(-1, "", 5))), 0);
    // Now the group exists, a member id it does not know: UNKNOWN_MEMBER_ID.
    assert_eq!(code(&c.call(ApiKey::OffsetCommit, 8, &commit(3, "m", 6))), 25);

    let fetch =
        OffsetFetchRequest::default().with_groups(vec![offset_fetch_request::OffsetFetchRequestGroup::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_topics(Some(vec![offset_fetch_request::OffsetFetchRequestTopics::default()
                .with_name(topic("off"))
                .with_partition_indexes(vec![0])]))]);
    let r: OffsetFetchResponse = c.call(ApiKey::OffsetFetch, 8, &fetch);
    let p = &r.groups[0].topics[0].partitions[0];
    assert_eq!((p.committed_offset, p.metadata.as_ref().map(|m| m.to_string())), (5, Some("meta".into())));

    let delete = |group: &'static str| {
        OffsetDeleteRequest::default().with_group_id(GroupId(StrBytes::from_static_str(group))).with_topics(vec![
            offset_delete_request::OffsetDeleteRequestTopic::default().with_name(topic("off")).with_partitions(vec![
                offset_delete_request::OffsetDeleteRequestPartition::default().with_partition_index(0),
            ]),
        ])
    };
    let r: OffsetDeleteResponse = c.call(ApiKey::OffsetDelete, 0, &delete("no-such-group"));
    assert_eq!(r.error_code, 69, "GROUP_ID_NOT_FOUND");
    let r: OffsetDeleteResponse = c.call(ApiKey::OffsetDelete, 0, &delete("g"));
    assert_eq!((r.error_code, r.topics[0].partitions[0].error_code), (0, 0));
    let r: OffsetFetchResponse = c.call(ApiKey::OffsetFetch, 8, &fetch);
    assert_eq!(r.groups[0].topics[0].partitions[0].committed_offset, -1, "deleted: back to no offset");
}
