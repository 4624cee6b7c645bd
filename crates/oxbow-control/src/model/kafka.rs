//! Generated from botocore's `kafka/2018-11-14/service-2.json` (Apache-2.0):
//! every operation's HTTP binding and the input shapes used to validate
//! request bodies (unknown fields, types, required members). Data, not code.
//! Regenerate with `scripts/gen-msk-model.py`; do not edit by hand.

use super::{Member, Op, Shape, ShapeKind};

pub const OPS: &[Op] = &[
    Op {
        name: "BatchAssociateScramSecret",
        method: "POST",
        uri: "/v1/clusters/{clusterArn}/scram-secrets",
        input: "BatchAssociateScramSecretRequest",
    },
    Op {
        name: "BatchDisassociateScramSecret",
        method: "PATCH",
        uri: "/v1/clusters/{clusterArn}/scram-secrets",
        input: "BatchDisassociateScramSecretRequest",
    },
    Op {
        name: "CreateAssessment",
        method: "POST",
        uri: "/v1/clusters/{clusterArn}/assessments",
        input: "CreateAssessmentRequest",
    },
    Op {
        name: "CreateChannel",
        method: "POST",
        uri: "/v1/clusters/{clusterArn}/channels",
        input: "CreateChannelRequest",
    },
    Op { name: "CreateCluster", method: "POST", uri: "/v1/clusters", input: "CreateClusterRequest" },
    Op { name: "CreateClusterV2", method: "POST", uri: "/api/v2/clusters", input: "CreateClusterV2Request" },
    Op { name: "CreateConfiguration", method: "POST", uri: "/v1/configurations", input: "CreateConfigurationRequest" },
    Op {
        name: "CreateReplicator",
        method: "POST",
        uri: "/replication/v1/replicators",
        input: "CreateReplicatorRequest",
    },
    Op { name: "CreateTopic", method: "POST", uri: "/v1/clusters/{clusterArn}/topics", input: "CreateTopicRequest" },
    Op { name: "CreateVpcConnection", method: "POST", uri: "/v1/vpc-connection", input: "CreateVpcConnectionRequest" },
    Op {
        name: "DeleteAssessment",
        method: "DELETE",
        uri: "/v1/clusters/{clusterArn}/assessments/{assessmentArn}",
        input: "DeleteAssessmentRequest",
    },
    Op {
        name: "DeleteChannel",
        method: "DELETE",
        uri: "/v1/clusters/{clusterArn}/channels/{channelArn}",
        input: "DeleteChannelRequest",
    },
    Op { name: "DeleteCluster", method: "DELETE", uri: "/v1/clusters/{clusterArn}", input: "DeleteClusterRequest" },
    Op {
        name: "DeleteClusterPolicy",
        method: "DELETE",
        uri: "/v1/clusters/{clusterArn}/policy",
        input: "DeleteClusterPolicyRequest",
    },
    Op {
        name: "DeleteConfiguration",
        method: "DELETE",
        uri: "/v1/configurations/{arn}",
        input: "DeleteConfigurationRequest",
    },
    Op {
        name: "DeleteReplicator",
        method: "DELETE",
        uri: "/replication/v1/replicators/{replicatorArn}",
        input: "DeleteReplicatorRequest",
    },
    Op {
        name: "DeleteTopic",
        method: "DELETE",
        uri: "/v1/clusters/{clusterArn}/topics/{topicName}",
        input: "DeleteTopicRequest",
    },
    Op {
        name: "DeleteVpcConnection",
        method: "DELETE",
        uri: "/v1/vpc-connection/{arn}",
        input: "DeleteVpcConnectionRequest",
    },
    Op {
        name: "DescribeAssessment",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/assessments/{assessmentArn}",
        input: "DescribeAssessmentRequest",
    },
    Op {
        name: "DescribeChannel",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/channels/{channelArn}",
        input: "DescribeChannelRequest",
    },
    Op { name: "DescribeCluster", method: "GET", uri: "/v1/clusters/{clusterArn}", input: "DescribeClusterRequest" },
    Op {
        name: "DescribeClusterOperation",
        method: "GET",
        uri: "/v1/operations/{clusterOperationArn}",
        input: "DescribeClusterOperationRequest",
    },
    Op {
        name: "DescribeClusterOperationV2",
        method: "GET",
        uri: "/api/v2/operations/{clusterOperationArn}",
        input: "DescribeClusterOperationV2Request",
    },
    Op {
        name: "DescribeClusterV2",
        method: "GET",
        uri: "/api/v2/clusters/{clusterArn}",
        input: "DescribeClusterV2Request",
    },
    Op {
        name: "DescribeConfiguration",
        method: "GET",
        uri: "/v1/configurations/{arn}",
        input: "DescribeConfigurationRequest",
    },
    Op {
        name: "DescribeConfigurationRevision",
        method: "GET",
        uri: "/v1/configurations/{arn}/revisions/{revision}",
        input: "DescribeConfigurationRevisionRequest",
    },
    Op {
        name: "DescribeReplicator",
        method: "GET",
        uri: "/replication/v1/replicators/{replicatorArn}",
        input: "DescribeReplicatorRequest",
    },
    Op {
        name: "DescribeTopic",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/topics/{topicName}",
        input: "DescribeTopicRequest",
    },
    Op {
        name: "DescribeTopicPartitions",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/topics/{topicName}/partitions",
        input: "DescribeTopicPartitionsRequest",
    },
    Op {
        name: "DescribeTopicReassignment",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/topic-reassignments/{topicReassignmentOperationArn}",
        input: "DescribeTopicReassignmentRequest",
    },
    Op {
        name: "DescribeVpcConnection",
        method: "GET",
        uri: "/v1/vpc-connection/{arn}",
        input: "DescribeVpcConnectionRequest",
    },
    Op {
        name: "GetBootstrapBrokers",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/bootstrap-brokers",
        input: "GetBootstrapBrokersRequest",
    },
    Op {
        name: "GetClusterPolicy",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/policy",
        input: "GetClusterPolicyRequest",
    },
    Op {
        name: "GetCompatibleKafkaVersions",
        method: "GET",
        uri: "/v1/compatible-kafka-versions",
        input: "GetCompatibleKafkaVersionsRequest",
    },
    Op {
        name: "ListAssessmentFindings",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/assessments/{assessmentArn}/findings",
        input: "ListAssessmentFindingsRequest",
    },
    Op {
        name: "ListAssessments",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/assessments",
        input: "ListAssessmentsRequest",
    },
    Op { name: "ListChannels", method: "GET", uri: "/v1/clusters/{clusterArn}/channels", input: "ListChannelsRequest" },
    Op {
        name: "ListClientVpcConnections",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/client-vpc-connections",
        input: "ListClientVpcConnectionsRequest",
    },
    Op {
        name: "ListClusterOperations",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/operations",
        input: "ListClusterOperationsRequest",
    },
    Op {
        name: "ListClusterOperationsV2",
        method: "GET",
        uri: "/api/v2/clusters/{clusterArn}/operations",
        input: "ListClusterOperationsV2Request",
    },
    Op { name: "ListClusters", method: "GET", uri: "/v1/clusters", input: "ListClustersRequest" },
    Op { name: "ListClustersV2", method: "GET", uri: "/api/v2/clusters", input: "ListClustersV2Request" },
    Op {
        name: "ListConfigurationRevisions",
        method: "GET",
        uri: "/v1/configurations/{arn}/revisions",
        input: "ListConfigurationRevisionsRequest",
    },
    Op { name: "ListConfigurations", method: "GET", uri: "/v1/configurations", input: "ListConfigurationsRequest" },
    Op { name: "ListKafkaVersions", method: "GET", uri: "/v1/kafka-versions", input: "ListKafkaVersionsRequest" },
    Op { name: "ListNodes", method: "GET", uri: "/v1/clusters/{clusterArn}/nodes", input: "ListNodesRequest" },
    Op { name: "ListReplicators", method: "GET", uri: "/replication/v1/replicators", input: "ListReplicatorsRequest" },
    Op {
        name: "ListScramSecrets",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/scram-secrets",
        input: "ListScramSecretsRequest",
    },
    Op {
        name: "ListTagsForResource",
        method: "GET",
        uri: "/v1/tags/{resourceArn}",
        input: "ListTagsForResourceRequest",
    },
    Op {
        name: "ListTopicReassignments",
        method: "GET",
        uri: "/v1/clusters/{clusterArn}/topic-reassignments",
        input: "ListTopicReassignmentsRequest",
    },
    Op { name: "ListTopics", method: "GET", uri: "/v1/clusters/{clusterArn}/topics", input: "ListTopicsRequest" },
    Op { name: "ListVpcConnections", method: "GET", uri: "/v1/vpc-connections", input: "ListVpcConnectionsRequest" },
    Op {
        name: "PutClusterPolicy",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/policy",
        input: "PutClusterPolicyRequest",
    },
    Op {
        name: "RebootBroker",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/reboot-broker",
        input: "RebootBrokerRequest",
    },
    Op {
        name: "RejectClientVpcConnection",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/client-vpc-connection",
        input: "RejectClientVpcConnectionRequest",
    },
    Op {
        name: "StartTopicReassignment",
        method: "POST",
        uri: "/v1/clusters/{clusterArn}/topic-reassignments",
        input: "StartTopicReassignmentRequest",
    },
    Op {
        name: "StopTopicReassignment",
        method: "POST",
        uri: "/v1/clusters/{clusterArn}/topic-reassignments/{topicReassignmentOperationArn}/stop",
        input: "StopTopicReassignmentRequest",
    },
    Op { name: "TagResource", method: "POST", uri: "/v1/tags/{resourceArn}", input: "TagResourceRequest" },
    Op { name: "UntagResource", method: "DELETE", uri: "/v1/tags/{resourceArn}", input: "UntagResourceRequest" },
    Op {
        name: "UpdateBrokerCount",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/nodes/count",
        input: "UpdateBrokerCountRequest",
    },
    Op {
        name: "UpdateBrokerStorage",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/nodes/storage",
        input: "UpdateBrokerStorageRequest",
    },
    Op {
        name: "UpdateBrokerType",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/nodes/type",
        input: "UpdateBrokerTypeRequest",
    },
    Op {
        name: "UpdateChannel",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/channels/{channelArn}",
        input: "UpdateChannelRequest",
    },
    Op {
        name: "UpdateClusterConfiguration",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/configuration",
        input: "UpdateClusterConfigurationRequest",
    },
    Op {
        name: "UpdateClusterKafkaVersion",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/version",
        input: "UpdateClusterKafkaVersionRequest",
    },
    Op {
        name: "UpdateConfiguration",
        method: "PUT",
        uri: "/v1/configurations/{arn}",
        input: "UpdateConfigurationRequest",
    },
    Op {
        name: "UpdateConnectivity",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/connectivity",
        input: "UpdateConnectivityRequest",
    },
    Op {
        name: "UpdateMonitoring",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/monitoring",
        input: "UpdateMonitoringRequest",
    },
    Op {
        name: "UpdateRebalancing",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/rebalancing",
        input: "UpdateRebalancingRequest",
    },
    Op {
        name: "UpdateReplicationInfo",
        method: "PUT",
        uri: "/replication/v1/replicators/{replicatorArn}/replication-info",
        input: "UpdateReplicationInfoRequest",
    },
    Op {
        name: "UpdateSecurity",
        method: "PATCH",
        uri: "/v1/clusters/{clusterArn}/security",
        input: "UpdateSecurityRequest",
    },
    Op {
        name: "UpdateStorage",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/storage",
        input: "UpdateStorageRequest",
    },
    Op {
        name: "UpdateTopic",
        method: "PUT",
        uri: "/v1/clusters/{clusterArn}/topics/{topicName}",
        input: "UpdateTopicRequest",
    },
];

pub const SHAPES: &[Shape] = &[
    Shape {
        name: "AmazonMskCluster",
        kind: ShapeKind::Structure(&[Member {
            name: "mskClusterArn",
            shape: "__string",
            location: "body",
            required: true,
        }]),
    },
    Shape {
        name: "ApacheKafkaCluster",
        kind: ShapeKind::Structure(&[
            Member { name: "apacheKafkaClusterId", shape: "__string", location: "body", required: true },
            Member { name: "bootstrapBrokerString", shape: "__string", location: "body", required: true },
        ]),
    },
    Shape {
        name: "AssessmentParameters",
        kind: ShapeKind::Structure(&[Member {
            name: "targetInstanceType",
            shape: "__stringMax256",
            location: "body",
            required: false,
        }]),
    },
    Shape { name: "AssessmentType", kind: ShapeKind::Enum(&["UPDATE_BROKER_TYPE"]) },
    Shape {
        name: "AuthorizerLogs",
        kind: ShapeKind::Structure(&[
            Member { name: "cloudWatchLogs", shape: "CloudWatchLogs", location: "body", required: false },
            Member { name: "firehose", shape: "Firehose", location: "body", required: false },
            Member { name: "s3", shape: "S3", location: "body", required: false },
        ]),
    },
    Shape {
        name: "BatchAssociateScramSecretRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "secretArnList", shape: "__listOf__string", location: "body", required: true },
        ]),
    },
    Shape {
        name: "BatchDisassociateScramSecretRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "secretArnList", shape: "__listOf__string", location: "body", required: true },
        ]),
    },
    Shape { name: "BrokerAZDistribution", kind: ShapeKind::Enum(&["DEFAULT"]) },
    Shape {
        name: "BrokerEBSVolumeInfo",
        kind: ShapeKind::Structure(&[
            Member { name: "kafkaBrokerNodeId", shape: "__string", location: "body", required: true },
            Member { name: "provisionedThroughput", shape: "ProvisionedThroughput", location: "body", required: false },
            Member { name: "volumeSizeGB", shape: "__integer", location: "body", required: false },
        ]),
    },
    Shape {
        name: "BrokerLogs",
        kind: ShapeKind::Structure(&[
            Member { name: "cloudWatchLogs", shape: "CloudWatchLogs", location: "body", required: false },
            Member { name: "firehose", shape: "Firehose", location: "body", required: false },
            Member { name: "s3", shape: "S3", location: "body", required: false },
        ]),
    },
    Shape {
        name: "BrokerNodeGroupInfo",
        kind: ShapeKind::Structure(&[
            Member { name: "brokerAZDistribution", shape: "BrokerAZDistribution", location: "body", required: false },
            Member { name: "clientSubnets", shape: "__listOf__string", location: "body", required: true },
            Member { name: "instanceType", shape: "__stringMin5Max64", location: "body", required: true },
            Member { name: "securityGroups", shape: "__listOf__string", location: "body", required: false },
            Member { name: "storageInfo", shape: "StorageInfo", location: "body", required: false },
            Member { name: "connectivityInfo", shape: "ConnectivityInfo", location: "body", required: false },
            Member { name: "zoneIds", shape: "__listOf__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "Catalog",
        kind: ShapeKind::Structure(&[
            Member { name: "catalogArn", shape: "__string", location: "body", required: false },
            Member { name: "warehouseLocation", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "ChannelLoggingInfo",
        kind: ShapeKind::Structure(&[
            Member { name: "cloudWatchLogs", shape: "CloudWatchLogs", location: "body", required: false },
            Member { name: "firehose", shape: "Firehose", location: "body", required: false },
            Member { name: "s3", shape: "S3", location: "body", required: false },
        ]),
    },
    Shape {
        name: "ClientAuthentication",
        kind: ShapeKind::Structure(&[
            Member { name: "sasl", shape: "Sasl", location: "body", required: false },
            Member { name: "tls", shape: "Tls", location: "body", required: false },
            Member { name: "unauthenticated", shape: "Unauthenticated", location: "body", required: false },
        ]),
    },
    Shape { name: "ClientBroker", kind: ShapeKind::Enum(&["TLS", "TLS_PLAINTEXT", "PLAINTEXT"]) },
    Shape {
        name: "CloudWatchLogs",
        kind: ShapeKind::Structure(&[
            Member { name: "enabled", shape: "__boolean", location: "body", required: true },
            Member { name: "logGroup", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "ConfigurationInfo",
        kind: ShapeKind::Structure(&[
            Member { name: "arn", shape: "__string", location: "body", required: true },
            Member { name: "revision", shape: "__long", location: "body", required: true },
        ]),
    },
    Shape {
        name: "ConnectivityInfo",
        kind: ShapeKind::Structure(&[
            Member { name: "publicAccess", shape: "PublicAccess", location: "body", required: false },
            Member { name: "vpcConnectivity", shape: "VpcConnectivity", location: "body", required: false },
            Member { name: "networkType", shape: "NetworkType", location: "body", required: false },
        ]),
    },
    Shape { name: "ConsumerGroupOffsetSyncMode", kind: ShapeKind::Enum(&["LEGACY", "ENHANCED"]) },
    Shape {
        name: "ConsumerGroupReplication",
        kind: ShapeKind::Structure(&[
            Member {
                name: "consumerGroupsToExclude",
                shape: "__listOf__stringMax256",
                location: "body",
                required: false,
            },
            Member {
                name: "consumerGroupsToReplicate",
                shape: "__listOf__stringMax256",
                location: "body",
                required: true,
            },
            Member { name: "detectAndCopyNewConsumerGroups", shape: "__boolean", location: "body", required: false },
            Member { name: "synchroniseConsumerGroupOffsets", shape: "__boolean", location: "body", required: false },
            Member {
                name: "consumerGroupOffsetSyncMode",
                shape: "ConsumerGroupOffsetSyncMode",
                location: "body",
                required: false,
            },
        ]),
    },
    Shape {
        name: "ConsumerGroupReplicationUpdate",
        kind: ShapeKind::Structure(&[
            Member {
                name: "consumerGroupsToExclude",
                shape: "__listOf__stringMax256",
                location: "body",
                required: true,
            },
            Member {
                name: "consumerGroupsToReplicate",
                shape: "__listOf__stringMax256",
                location: "body",
                required: true,
            },
            Member { name: "detectAndCopyNewConsumerGroups", shape: "__boolean", location: "body", required: true },
            Member { name: "synchroniseConsumerGroupOffsets", shape: "__boolean", location: "body", required: true },
        ]),
    },
    Shape {
        name: "CreateAssessmentRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "assessmentParameters", shape: "AssessmentParameters", location: "body", required: false },
            Member { name: "assessmentType", shape: "AssessmentType", location: "body", required: true },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "tags", shape: "__mapOf__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "CreateChannelRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "channelName", shape: "__string", location: "body", required: true },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member {
                name: "encryptionConfiguration",
                shape: "EncryptionConfiguration",
                location: "body",
                required: false,
            },
            Member {
                name: "icebergDestinationConfiguration",
                shape: "IcebergDestinationConfiguration",
                location: "body",
                required: false,
            },
            Member {
                name: "s3DestinationConfiguration",
                shape: "S3DestinationConfiguration",
                location: "body",
                required: false,
            },
            Member { name: "tags", shape: "__mapOf__string", location: "body", required: false },
            Member {
                name: "topicConfigurationList",
                shape: "__listOfTopicConfiguration",
                location: "body",
                required: true,
            },
            Member { name: "loggingInfo", shape: "ChannelLoggingInfo", location: "body", required: false },
        ]),
    },
    Shape {
        name: "CreateClusterRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "brokerNodeGroupInfo", shape: "BrokerNodeGroupInfo", location: "body", required: true },
            Member { name: "rebalancing", shape: "Rebalancing", location: "body", required: false },
            Member { name: "clientAuthentication", shape: "ClientAuthentication", location: "body", required: false },
            Member { name: "clusterName", shape: "__stringMin1Max64", location: "body", required: true },
            Member { name: "configurationInfo", shape: "ConfigurationInfo", location: "body", required: false },
            Member { name: "encryptionInfo", shape: "EncryptionInfo", location: "body", required: false },
            Member { name: "enhancedMonitoring", shape: "EnhancedMonitoring", location: "body", required: false },
            Member { name: "openMonitoring", shape: "OpenMonitoringInfo", location: "body", required: false },
            Member { name: "kafkaVersion", shape: "__stringMin1Max128", location: "body", required: true },
            Member { name: "loggingInfo", shape: "LoggingInfo", location: "body", required: false },
            Member { name: "numberOfBrokerNodes", shape: "__integerMin1Max15", location: "body", required: true },
            Member { name: "tags", shape: "__mapOf__string", location: "body", required: false },
            Member { name: "storageMode", shape: "StorageMode", location: "body", required: false },
        ]),
    },
    Shape {
        name: "CreateClusterV2Request",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterName", shape: "__stringMin1Max64", location: "body", required: true },
            Member { name: "tags", shape: "__mapOf__string", location: "body", required: false },
            Member { name: "provisioned", shape: "ProvisionedRequest", location: "body", required: false },
            Member { name: "serverless", shape: "ServerlessRequest", location: "body", required: false },
        ]),
    },
    Shape {
        name: "CreateConfigurationRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "description", shape: "__string", location: "body", required: false },
            Member { name: "kafkaVersions", shape: "__listOf__string", location: "body", required: false },
            Member { name: "name", shape: "__string", location: "body", required: true },
            Member { name: "serverProperties", shape: "__blob", location: "body", required: true },
        ]),
    },
    Shape {
        name: "CreateReplicatorRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "description", shape: "__stringMax1024", location: "body", required: false },
            Member { name: "kafkaClusters", shape: "__listOfKafkaCluster", location: "body", required: true },
            Member { name: "replicationInfoList", shape: "__listOfReplicationInfo", location: "body", required: true },
            Member {
                name: "replicatorName",
                shape: "__stringMin1Max128Pattern09AZaZ09AZaZ0",
                location: "body",
                required: true,
            },
            Member { name: "serviceExecutionRoleArn", shape: "__string", location: "body", required: true },
            Member { name: "tags", shape: "__mapOf__string", location: "body", required: false },
            Member { name: "logDelivery", shape: "LogDelivery", location: "body", required: false },
        ]),
    },
    Shape {
        name: "CreateTopicRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "topicName", shape: "__string", location: "body", required: true },
            Member { name: "partitionCount", shape: "__integerMin1", location: "body", required: true },
            Member { name: "replicationFactor", shape: "__integerMin1", location: "body", required: true },
            Member { name: "configs", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "CreateVpcConnectionRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "targetClusterArn", shape: "__string", location: "body", required: true },
            Member { name: "authentication", shape: "__string", location: "body", required: true },
            Member { name: "vpcId", shape: "__string", location: "body", required: true },
            Member { name: "clientSubnets", shape: "__listOf__string", location: "body", required: true },
            Member { name: "securityGroups", shape: "__listOf__string", location: "body", required: true },
            Member { name: "tags", shape: "__mapOf__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "DeadLetterQueueS3",
        kind: ShapeKind::Structure(&[
            Member { name: "bucketArn", shape: "__string", location: "body", required: true },
            Member { name: "errorOutputPrefix", shape: "__string", location: "body", required: false },
            Member { name: "expectedBucketOwner", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "DeleteAssessmentRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "assessmentArn", shape: "__string", location: "uri", required: true },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "DeleteChannelRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "channelArn", shape: "__string", location: "uri", required: true },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "DeleteClusterPolicyRequest",
        kind: ShapeKind::Structure(&[Member {
            name: "clusterArn",
            shape: "__string",
            location: "uri",
            required: true,
        }]),
    },
    Shape {
        name: "DeleteClusterRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "currentVersion", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "DeleteConfigurationRequest",
        kind: ShapeKind::Structure(&[Member { name: "arn", shape: "__string", location: "uri", required: true }]),
    },
    Shape {
        name: "DeleteReplicatorRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "currentVersion", shape: "__string", location: "querystring", required: false },
            Member { name: "replicatorArn", shape: "__string", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "DeleteTopicRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "topicName", shape: "__string", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "DeleteVpcConnectionRequest",
        kind: ShapeKind::Structure(&[Member { name: "arn", shape: "__string", location: "uri", required: true }]),
    },
    Shape {
        name: "DescribeAssessmentRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "assessmentArn", shape: "__string", location: "uri", required: true },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "DescribeChannelRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "channelArn", shape: "__string", location: "uri", required: true },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "DescribeClusterOperationRequest",
        kind: ShapeKind::Structure(&[Member {
            name: "clusterOperationArn",
            shape: "__string",
            location: "uri",
            required: true,
        }]),
    },
    Shape {
        name: "DescribeClusterOperationV2Request",
        kind: ShapeKind::Structure(&[Member {
            name: "clusterOperationArn",
            shape: "__string",
            location: "uri",
            required: true,
        }]),
    },
    Shape {
        name: "DescribeClusterRequest",
        kind: ShapeKind::Structure(&[Member {
            name: "clusterArn",
            shape: "__string",
            location: "uri",
            required: true,
        }]),
    },
    Shape {
        name: "DescribeClusterV2Request",
        kind: ShapeKind::Structure(&[Member {
            name: "clusterArn",
            shape: "__string",
            location: "uri",
            required: true,
        }]),
    },
    Shape {
        name: "DescribeConfigurationRequest",
        kind: ShapeKind::Structure(&[Member { name: "arn", shape: "__string", location: "uri", required: true }]),
    },
    Shape {
        name: "DescribeConfigurationRevisionRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "arn", shape: "__string", location: "uri", required: true },
            Member { name: "revision", shape: "__long", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "DescribeReplicatorRequest",
        kind: ShapeKind::Structure(&[Member {
            name: "replicatorArn",
            shape: "__string",
            location: "uri",
            required: true,
        }]),
    },
    Shape {
        name: "DescribeTopicPartitionsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "topicName", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "DescribeTopicReassignmentRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "topicReassignmentOperationArn", shape: "__string", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "DescribeTopicRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "topicName", shape: "__string", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "DescribeVpcConnectionRequest",
        kind: ShapeKind::Structure(&[Member { name: "arn", shape: "__string", location: "uri", required: true }]),
    },
    Shape {
        name: "DestinationTable",
        kind: ShapeKind::Structure(&[
            Member { name: "destinationDatabaseName", shape: "__string", location: "body", required: false },
            Member { name: "destinationTableName", shape: "__string", location: "body", required: false },
            Member { name: "partitionSpec", shape: "PartitionSpec", location: "body", required: false },
        ]),
    },
    Shape {
        name: "EBSStorageInfo",
        kind: ShapeKind::Structure(&[
            Member { name: "provisionedThroughput", shape: "ProvisionedThroughput", location: "body", required: false },
            Member { name: "volumeSize", shape: "__integerMin1Max16384", location: "body", required: false },
        ]),
    },
    Shape {
        name: "EncryptionAtRest",
        kind: ShapeKind::Structure(&[Member {
            name: "dataVolumeKMSKeyId",
            shape: "__string",
            location: "body",
            required: true,
        }]),
    },
    Shape {
        name: "EncryptionConfiguration",
        kind: ShapeKind::Structure(&[Member {
            name: "kmsKeyArn",
            shape: "__string",
            location: "body",
            required: true,
        }]),
    },
    Shape {
        name: "EncryptionInTransit",
        kind: ShapeKind::Structure(&[
            Member { name: "clientBroker", shape: "ClientBroker", location: "body", required: false },
            Member { name: "inCluster", shape: "__boolean", location: "body", required: false },
        ]),
    },
    Shape {
        name: "EncryptionInfo",
        kind: ShapeKind::Structure(&[
            Member { name: "encryptionAtRest", shape: "EncryptionAtRest", location: "body", required: false },
            Member { name: "encryptionInTransit", shape: "EncryptionInTransit", location: "body", required: false },
        ]),
    },
    Shape {
        name: "EnhancedMonitoring",
        kind: ShapeKind::Enum(&["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"]),
    },
    Shape {
        name: "Firehose",
        kind: ShapeKind::Structure(&[
            Member { name: "deliveryStream", shape: "__string", location: "body", required: false },
            Member { name: "enabled", shape: "__boolean", location: "body", required: true },
        ]),
    },
    Shape {
        name: "GetBootstrapBrokersRequest",
        kind: ShapeKind::Structure(&[Member {
            name: "clusterArn",
            shape: "__string",
            location: "uri",
            required: true,
        }]),
    },
    Shape {
        name: "GetClusterPolicyRequest",
        kind: ShapeKind::Structure(&[Member {
            name: "clusterArn",
            shape: "__string",
            location: "uri",
            required: true,
        }]),
    },
    Shape {
        name: "GetCompatibleKafkaVersionsRequest",
        kind: ShapeKind::Structure(&[Member {
            name: "clusterArn",
            shape: "__string",
            location: "querystring",
            required: false,
        }]),
    },
    Shape {
        name: "Iam",
        kind: ShapeKind::Structure(&[Member {
            name: "enabled",
            shape: "__boolean",
            location: "body",
            required: false,
        }]),
    },
    Shape { name: "IcebergCompressionType", kind: ShapeKind::Enum(&["ZSTD", "SNAPPY"]) },
    Shape {
        name: "IcebergDestinationConfiguration",
        kind: ShapeKind::Structure(&[
            Member { name: "appendOnly", shape: "__boolean", location: "body", required: true },
            Member { name: "catalog", shape: "Catalog", location: "body", required: false },
            Member { name: "dataFreshnessInSeconds", shape: "__integer", location: "body", required: false },
            Member { name: "deadLetterQueueS3", shape: "DeadLetterQueueS3", location: "body", required: true },
            Member {
                name: "destinationTableList",
                shape: "__listOfDestinationTable",
                location: "body",
                required: true,
            },
            Member { name: "schemaEvolution", shape: "SchemaEvolution", location: "body", required: true },
            Member { name: "serviceExecutionRoleArn", shape: "__string", location: "body", required: true },
            Member { name: "tableCreation", shape: "TableCreation", location: "body", required: true },
            Member { name: "compressionType", shape: "IcebergCompressionType", location: "body", required: false },
        ]),
    },
    Shape {
        name: "IcebergDestinationUpdate",
        kind: ShapeKind::Structure(&[Member {
            name: "dataFreshnessInSeconds",
            shape: "__integer",
            location: "body",
            required: true,
        }]),
    },
    Shape {
        name: "JmxExporterInfo",
        kind: ShapeKind::Structure(&[Member {
            name: "enabledInBroker",
            shape: "__boolean",
            location: "body",
            required: true,
        }]),
    },
    Shape { name: "JwtSigningAlgorithm", kind: ShapeKind::Enum(&["RS256", "ES384"]) },
    Shape {
        name: "KafkaCluster",
        kind: ShapeKind::Structure(&[
            Member { name: "amazonMskCluster", shape: "AmazonMskCluster", location: "body", required: false },
            Member { name: "apacheKafkaCluster", shape: "ApacheKafkaCluster", location: "body", required: false },
            Member { name: "vpcConfig", shape: "KafkaClusterClientVpcConfig", location: "body", required: false },
            Member {
                name: "clientAuthentication",
                shape: "KafkaClusterClientAuthentication",
                location: "body",
                required: false,
            },
            Member {
                name: "encryptionInTransit",
                shape: "KafkaClusterEncryptionInTransit",
                location: "body",
                required: false,
            },
        ]),
    },
    Shape {
        name: "KafkaClusterClientAuthentication",
        kind: ShapeKind::Structure(&[
            Member {
                name: "saslScram",
                shape: "KafkaClusterSaslScramAuthentication",
                location: "body",
                required: false,
            },
            Member { name: "mTLS", shape: "KafkaClusterMTLSAuthentication", location: "body", required: false },
            Member {
                name: "saslOAuthBearer",
                shape: "KafkaClusterSaslOAuthBearerAuthentication",
                location: "body",
                required: false,
            },
        ]),
    },
    Shape {
        name: "KafkaClusterClientVpcConfig",
        kind: ShapeKind::Structure(&[
            Member { name: "securityGroupIds", shape: "__listOf__string", location: "body", required: false },
            Member { name: "subnetIds", shape: "__listOf__string", location: "body", required: true },
        ]),
    },
    Shape {
        name: "KafkaClusterEncryptionInTransit",
        kind: ShapeKind::Structure(&[
            Member {
                name: "encryptionType",
                shape: "KafkaClusterEncryptionInTransitType",
                location: "body",
                required: true,
            },
            Member { name: "rootCaCertificate", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape { name: "KafkaClusterEncryptionInTransitType", kind: ShapeKind::Enum(&["TLS"]) },
    Shape {
        name: "KafkaClusterMTLSAuthentication",
        kind: ShapeKind::Structure(&[Member {
            name: "secretArn",
            shape: "__string",
            location: "body",
            required: true,
        }]),
    },
    Shape {
        name: "KafkaClusterOAuthClientCredentials",
        kind: ShapeKind::Structure(&[Member {
            name: "tokenRequestSecretArn",
            shape: "__string",
            location: "body",
            required: true,
        }]),
    },
    Shape {
        name: "KafkaClusterOAuthClientCredentialsAssertion",
        kind: ShapeKind::Structure(&[
            Member { name: "audience", shape: "__string", location: "body", required: true },
            Member { name: "signingAlgorithm", shape: "JwtSigningAlgorithm", location: "body", required: true },
            Member { name: "tokenRequestSecretArn", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "KafkaClusterOAuthIamJwtBearer",
        kind: ShapeKind::Structure(&[
            Member { name: "audience", shape: "__string", location: "body", required: true },
            Member { name: "signingAlgorithm", shape: "JwtSigningAlgorithm", location: "body", required: true },
            Member { name: "tokenRequestSecretArn", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "KafkaClusterSaslOAuthBearerAuthentication",
        kind: ShapeKind::Structure(&[
            Member { name: "tokenEndpointUrl", shape: "__string", location: "body", required: true },
            Member {
                name: "clientCredentials",
                shape: "KafkaClusterOAuthClientCredentials",
                location: "body",
                required: false,
            },
            Member { name: "iamJwtBearer", shape: "KafkaClusterOAuthIamJwtBearer", location: "body", required: false },
            Member {
                name: "clientCredentialsAssertion",
                shape: "KafkaClusterOAuthClientCredentialsAssertion",
                location: "body",
                required: false,
            },
            Member {
                name: "tokenEndpointAuthenticationMethod",
                shape: "TokenEndpointAuthenticationMethod",
                location: "body",
                required: true,
            },
            Member { name: "scope", shape: "__string", location: "body", required: false },
            Member { name: "tokenEndpointTlsCertificateArn", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "KafkaClusterSaslScramAuthentication",
        kind: ShapeKind::Structure(&[
            Member { name: "mechanism", shape: "KafkaClusterSaslScramMechanism", location: "body", required: true },
            Member { name: "secretArn", shape: "__string", location: "body", required: true },
        ]),
    },
    Shape { name: "KafkaClusterSaslScramMechanism", kind: ShapeKind::Enum(&["SHA256", "SHA512"]) },
    Shape {
        name: "ListAssessmentFindingsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "assessmentArn", shape: "__string", location: "uri", required: true },
            Member { name: "category", shape: "__string", location: "querystring", required: false },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "__integerMin1Max500", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
            Member { name: "severity", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListAssessmentsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "assessmentType", shape: "__string", location: "querystring", required: false },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListChannelsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
            Member { name: "topicNameFilter", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListClientVpcConnectionsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListClusterOperationsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListClusterOperationsV2Request",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListClustersRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterNameFilter", shape: "__string", location: "querystring", required: false },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListClustersV2Request",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterNameFilter", shape: "__string", location: "querystring", required: false },
            Member { name: "clusterTypeFilter", shape: "__string", location: "querystring", required: false },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListConfigurationRevisionsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "arn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListConfigurationsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListKafkaVersionsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListNodesRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListReplicatorsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
            Member { name: "replicatorNameFilter", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListScramSecretsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListTagsForResourceRequest",
        kind: ShapeKind::Structure(&[Member {
            name: "resourceArn",
            shape: "__string",
            location: "uri",
            required: true,
        }]),
    },
    Shape {
        name: "ListTopicReassignmentsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
            Member { name: "statusFilter", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListTopicsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
            Member { name: "topicNameFilter", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "ListVpcConnectionsRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "maxResults", shape: "MaxResults", location: "querystring", required: false },
            Member { name: "nextToken", shape: "__string", location: "querystring", required: false },
        ]),
    },
    Shape {
        name: "LogDelivery",
        kind: ShapeKind::Structure(&[Member {
            name: "replicatorLogDelivery",
            shape: "ReplicatorLogDelivery",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "LoggingInfo",
        kind: ShapeKind::Structure(&[
            Member { name: "authorizerLogs", shape: "AuthorizerLogs", location: "body", required: false },
            Member { name: "brokerLogs", shape: "BrokerLogs", location: "body", required: true },
        ]),
    },
    Shape { name: "MaxResults", kind: ShapeKind::Integer(1, 100) },
    Shape { name: "NetworkType", kind: ShapeKind::Enum(&["IPV4", "DUAL"]) },
    Shape {
        name: "NodeExporterInfo",
        kind: ShapeKind::Structure(&[Member {
            name: "enabledInBroker",
            shape: "__boolean",
            location: "body",
            required: true,
        }]),
    },
    Shape {
        name: "OpenMonitoringInfo",
        kind: ShapeKind::Structure(&[Member {
            name: "prometheus",
            shape: "PrometheusInfo",
            location: "body",
            required: true,
        }]),
    },
    Shape {
        name: "PartitionSource",
        kind: ShapeKind::Structure(&[Member {
            name: "sourceName",
            shape: "__string",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "PartitionSpec",
        kind: ShapeKind::Structure(&[
            Member { name: "partitionStrategy", shape: "PartitionStrategy", location: "body", required: true },
            Member { name: "sourceList", shape: "__listOfPartitionSource", location: "body", required: false },
        ]),
    },
    Shape { name: "PartitionStrategy", kind: ShapeKind::Enum(&["TIME_HOUR"]) },
    Shape {
        name: "PrometheusInfo",
        kind: ShapeKind::Structure(&[
            Member { name: "jmxExporter", shape: "JmxExporterInfo", location: "body", required: false },
            Member { name: "nodeExporter", shape: "NodeExporterInfo", location: "body", required: false },
        ]),
    },
    Shape {
        name: "ProvisionedRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "brokerNodeGroupInfo", shape: "BrokerNodeGroupInfo", location: "body", required: true },
            Member { name: "rebalancing", shape: "Rebalancing", location: "body", required: false },
            Member { name: "clientAuthentication", shape: "ClientAuthentication", location: "body", required: false },
            Member { name: "configurationInfo", shape: "ConfigurationInfo", location: "body", required: false },
            Member { name: "encryptionInfo", shape: "EncryptionInfo", location: "body", required: false },
            Member { name: "enhancedMonitoring", shape: "EnhancedMonitoring", location: "body", required: false },
            Member { name: "openMonitoring", shape: "OpenMonitoringInfo", location: "body", required: false },
            Member { name: "kafkaVersion", shape: "__stringMin1Max128", location: "body", required: true },
            Member { name: "loggingInfo", shape: "LoggingInfo", location: "body", required: false },
            Member { name: "numberOfBrokerNodes", shape: "__integerMin1Max15", location: "body", required: true },
            Member { name: "storageMode", shape: "StorageMode", location: "body", required: false },
        ]),
    },
    Shape {
        name: "ProvisionedThroughput",
        kind: ShapeKind::Structure(&[
            Member { name: "enabled", shape: "__boolean", location: "body", required: false },
            Member { name: "volumeThroughput", shape: "__integer", location: "body", required: false },
        ]),
    },
    Shape {
        name: "PublicAccess",
        kind: ShapeKind::Structure(&[Member { name: "type", shape: "__string", location: "body", required: false }]),
    },
    Shape {
        name: "PutClusterPolicyRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "currentVersion", shape: "__string", location: "body", required: false },
            Member { name: "policy", shape: "__string", location: "body", required: true },
        ]),
    },
    Shape {
        name: "Rebalancing",
        kind: ShapeKind::Structure(&[Member {
            name: "status",
            shape: "RebalancingStatus",
            location: "body",
            required: false,
        }]),
    },
    Shape { name: "RebalancingStatus", kind: ShapeKind::Enum(&["PAUSED", "ACTIVE"]) },
    Shape {
        name: "RebootBrokerRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "brokerIds", shape: "__listOf__string", location: "body", required: true },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "RecordConverter",
        kind: ShapeKind::Structure(&[Member {
            name: "valueConverter",
            shape: "ValueConverter",
            location: "body",
            required: true,
        }]),
    },
    Shape {
        name: "RecordSchema",
        kind: ShapeKind::Structure(&[Member { name: "gsrArn", shape: "__string", location: "body", required: true }]),
    },
    Shape {
        name: "RejectClientVpcConnectionRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "vpcConnectionArn", shape: "__string", location: "body", required: true },
        ]),
    },
    Shape {
        name: "ReplicationInfo",
        kind: ShapeKind::Structure(&[
            Member {
                name: "consumerGroupReplication",
                shape: "ConsumerGroupReplication",
                location: "body",
                required: true,
            },
            Member { name: "sourceKafkaClusterArn", shape: "__string", location: "body", required: false },
            Member { name: "sourceKafkaClusterId", shape: "__string", location: "body", required: false },
            Member { name: "targetCompressionType", shape: "TargetCompressionType", location: "body", required: true },
            Member { name: "targetKafkaClusterArn", shape: "__string", location: "body", required: false },
            Member { name: "targetKafkaClusterId", shape: "__string", location: "body", required: false },
            Member { name: "topicReplication", shape: "TopicReplication", location: "body", required: true },
        ]),
    },
    Shape {
        name: "ReplicationStartingPosition",
        kind: ShapeKind::Structure(&[Member {
            name: "type",
            shape: "ReplicationStartingPositionType",
            location: "body",
            required: false,
        }]),
    },
    Shape { name: "ReplicationStartingPositionType", kind: ShapeKind::Enum(&["LATEST", "EARLIEST"]) },
    Shape {
        name: "ReplicationTopicNameConfiguration",
        kind: ShapeKind::Structure(&[Member {
            name: "type",
            shape: "ReplicationTopicNameConfigurationType",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "ReplicationTopicNameConfigurationType",
        kind: ShapeKind::Enum(&["PREFIXED_WITH_SOURCE_CLUSTER_ALIAS", "IDENTICAL"]),
    },
    Shape {
        name: "ReplicatorCloudWatchLogs",
        kind: ShapeKind::Structure(&[
            Member { name: "enabled", shape: "__boolean", location: "body", required: true },
            Member { name: "logGroup", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "ReplicatorFirehose",
        kind: ShapeKind::Structure(&[
            Member { name: "enabled", shape: "__boolean", location: "body", required: true },
            Member { name: "deliveryStream", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "ReplicatorLogDelivery",
        kind: ShapeKind::Structure(&[
            Member { name: "cloudWatchLogs", shape: "ReplicatorCloudWatchLogs", location: "body", required: false },
            Member { name: "firehose", shape: "ReplicatorFirehose", location: "body", required: false },
            Member { name: "s3", shape: "ReplicatorS3", location: "body", required: false },
        ]),
    },
    Shape {
        name: "ReplicatorS3",
        kind: ShapeKind::Structure(&[
            Member { name: "enabled", shape: "__boolean", location: "body", required: true },
            Member { name: "bucket", shape: "__string", location: "body", required: false },
            Member { name: "prefix", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "S3",
        kind: ShapeKind::Structure(&[
            Member { name: "bucket", shape: "__string", location: "body", required: false },
            Member { name: "enabled", shape: "__boolean", location: "body", required: true },
            Member { name: "prefix", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape { name: "S3CompressionType", kind: ShapeKind::Enum(&["NONE", "GZIP", "ZSTD"]) },
    Shape {
        name: "S3DestinationConfiguration",
        kind: ShapeKind::Structure(&[
            Member { name: "dataFreshnessInSeconds", shape: "__integer", location: "body", required: false },
            Member { name: "deadLetterQueueS3", shape: "DeadLetterQueueS3", location: "body", required: true },
            Member { name: "serviceExecutionRoleArn", shape: "__string", location: "body", required: true },
            Member { name: "storage", shape: "S3Storage", location: "body", required: true },
        ]),
    },
    Shape {
        name: "S3DestinationUpdate",
        kind: ShapeKind::Structure(&[Member {
            name: "dataFreshnessInSeconds",
            shape: "__integer",
            location: "body",
            required: true,
        }]),
    },
    Shape {
        name: "S3Storage",
        kind: ShapeKind::Structure(&[
            Member { name: "bucketArn", shape: "__string", location: "body", required: true },
            Member { name: "compressionType", shape: "S3CompressionType", location: "body", required: true },
            Member { name: "outputPrefix", shape: "__string", location: "body", required: false },
            Member { name: "outputKeyTemplate", shape: "__string", location: "body", required: false },
            Member { name: "storageClass", shape: "S3StorageClass", location: "body", required: true },
            Member { name: "expectedBucketOwner", shape: "__string", location: "body", required: false },
        ]),
    },
    Shape { name: "S3StorageClass", kind: ShapeKind::Enum(&["STANDARD", "INTELLIGENT_TIERING", "GLACIER_IR"]) },
    Shape {
        name: "Sasl",
        kind: ShapeKind::Structure(&[
            Member { name: "scram", shape: "Scram", location: "body", required: false },
            Member { name: "iam", shape: "Iam", location: "body", required: false },
        ]),
    },
    Shape {
        name: "SchemaEvolution",
        kind: ShapeKind::Structure(&[Member {
            name: "enableSchemaEvolution",
            shape: "__boolean",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "Scram",
        kind: ShapeKind::Structure(&[Member {
            name: "enabled",
            shape: "__boolean",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "ServerlessClientAuthentication",
        kind: ShapeKind::Structure(&[Member {
            name: "sasl",
            shape: "ServerlessSasl",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "ServerlessRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "vpcConfigs", shape: "__listOfVpcConfig", location: "body", required: true },
            Member {
                name: "clientAuthentication",
                shape: "ServerlessClientAuthentication",
                location: "body",
                required: false,
            },
        ]),
    },
    Shape {
        name: "ServerlessSasl",
        kind: ShapeKind::Structure(&[Member { name: "iam", shape: "Iam", location: "body", required: false }]),
    },
    Shape {
        name: "StartTopicReassignmentRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clientToken", shape: "__stringMin1Max64", location: "body", required: false },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "targetInstanceType", shape: "__stringMin1Max256", location: "body", required: true },
            Member { name: "topicsToExclude", shape: "__listOf__stringMin1Max256", location: "body", required: false },
            Member { name: "topicsToInclude", shape: "__listOf__stringMin1Max256", location: "body", required: true },
        ]),
    },
    Shape {
        name: "StopTopicReassignmentRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "topicReassignmentOperationArn", shape: "__string", location: "uri", required: true },
        ]),
    },
    Shape {
        name: "StorageInfo",
        kind: ShapeKind::Structure(&[Member {
            name: "ebsStorageInfo",
            shape: "EBSStorageInfo",
            location: "body",
            required: false,
        }]),
    },
    Shape { name: "StorageMode", kind: ShapeKind::Enum(&["LOCAL", "TIERED"]) },
    Shape {
        name: "TableCreation",
        kind: ShapeKind::Structure(&[Member {
            name: "enableTableCreation",
            shape: "__boolean",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "TagResourceRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "resourceArn", shape: "__string", location: "uri", required: true },
            Member { name: "tags", shape: "__mapOf__string", location: "body", required: true },
        ]),
    },
    Shape { name: "TargetCompressionType", kind: ShapeKind::Enum(&["NONE", "GZIP", "SNAPPY", "LZ4", "ZSTD"]) },
    Shape {
        name: "Tls",
        kind: ShapeKind::Structure(&[
            Member {
                name: "certificateAuthorityArnList",
                shape: "__listOf__string",
                location: "body",
                required: false,
            },
            Member { name: "enabled", shape: "__boolean", location: "body", required: false },
        ]),
    },
    Shape { name: "TokenEndpointAuthenticationMethod", kind: ShapeKind::Enum(&["POST", "BASIC", "NONE"]) },
    Shape {
        name: "TopicConfiguration",
        kind: ShapeKind::Structure(&[
            Member { name: "recordConverter", shape: "RecordConverter", location: "body", required: true },
            Member { name: "recordSchema", shape: "RecordSchema", location: "body", required: false },
            Member { name: "topicArn", shape: "__string", location: "body", required: true },
        ]),
    },
    Shape { name: "TopicReassignment", kind: ShapeKind::Enum(&["AUTO", "MANUAL"]) },
    Shape {
        name: "TopicReplication",
        kind: ShapeKind::Structure(&[
            Member { name: "copyAccessControlListsForTopics", shape: "__boolean", location: "body", required: false },
            Member { name: "copyTopicConfigurations", shape: "__boolean", location: "body", required: false },
            Member { name: "detectAndCopyNewTopics", shape: "__boolean", location: "body", required: false },
            Member {
                name: "startingPosition",
                shape: "ReplicationStartingPosition",
                location: "body",
                required: false,
            },
            Member {
                name: "topicNameConfiguration",
                shape: "ReplicationTopicNameConfiguration",
                location: "body",
                required: false,
            },
            Member { name: "topicsToExclude", shape: "__listOf__stringMax249", location: "body", required: false },
            Member { name: "topicsToReplicate", shape: "__listOf__stringMax249", location: "body", required: true },
        ]),
    },
    Shape {
        name: "TopicReplicationUpdate",
        kind: ShapeKind::Structure(&[
            Member { name: "copyAccessControlListsForTopics", shape: "__boolean", location: "body", required: true },
            Member { name: "copyTopicConfigurations", shape: "__boolean", location: "body", required: true },
            Member { name: "detectAndCopyNewTopics", shape: "__boolean", location: "body", required: true },
            Member { name: "topicsToExclude", shape: "__listOf__stringMax249", location: "body", required: true },
            Member { name: "topicsToReplicate", shape: "__listOf__stringMax249", location: "body", required: true },
        ]),
    },
    Shape {
        name: "Unauthenticated",
        kind: ShapeKind::Structure(&[Member {
            name: "enabled",
            shape: "__boolean",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "UntagResourceRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "resourceArn", shape: "__string", location: "uri", required: true },
            Member { name: "tagKeys", shape: "__listOf__string", location: "querystring", required: true },
        ]),
    },
    Shape {
        name: "UpdateBrokerCountRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
            Member { name: "targetNumberOfBrokerNodes", shape: "__integerMin1Max15", location: "body", required: true },
        ]),
    },
    Shape {
        name: "UpdateBrokerStorageRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
            Member {
                name: "targetBrokerEBSVolumeInfo",
                shape: "__listOfBrokerEBSVolumeInfo",
                location: "body",
                required: true,
            },
        ]),
    },
    Shape {
        name: "UpdateBrokerTypeRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
            Member { name: "targetInstanceType", shape: "__string", location: "body", required: true },
            Member { name: "topicReassignment", shape: "TopicReassignment", location: "body", required: false },
        ]),
    },
    Shape {
        name: "UpdateChannelRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "channelArn", shape: "__string", location: "uri", required: true },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member {
                name: "icebergDestinationUpdate",
                shape: "IcebergDestinationUpdate",
                location: "body",
                required: false,
            },
            Member { name: "s3DestinationUpdate", shape: "S3DestinationUpdate", location: "body", required: false },
        ]),
    },
    Shape {
        name: "UpdateClusterConfigurationRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "configurationInfo", shape: "ConfigurationInfo", location: "body", required: true },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
        ]),
    },
    Shape {
        name: "UpdateClusterKafkaVersionRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "configurationInfo", shape: "ConfigurationInfo", location: "body", required: false },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
            Member { name: "targetKafkaVersion", shape: "__string", location: "body", required: true },
        ]),
    },
    Shape {
        name: "UpdateConfigurationRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "arn", shape: "__string", location: "uri", required: true },
            Member { name: "description", shape: "__string", location: "body", required: false },
            Member { name: "serverProperties", shape: "__blob", location: "body", required: true },
        ]),
    },
    Shape {
        name: "UpdateConnectivityRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "connectivityInfo", shape: "ConnectivityInfo", location: "body", required: false },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
            Member { name: "zookeeperAccess", shape: "ZookeeperAccess", location: "body", required: false },
        ]),
    },
    Shape {
        name: "UpdateMonitoringRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
            Member { name: "enhancedMonitoring", shape: "EnhancedMonitoring", location: "body", required: false },
            Member { name: "openMonitoring", shape: "OpenMonitoringInfo", location: "body", required: false },
            Member { name: "loggingInfo", shape: "LoggingInfo", location: "body", required: false },
        ]),
    },
    Shape {
        name: "UpdateRebalancingRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
            Member { name: "rebalancing", shape: "Rebalancing", location: "body", required: true },
        ]),
    },
    Shape {
        name: "UpdateReplicationInfoRequest",
        kind: ShapeKind::Structure(&[
            Member {
                name: "consumerGroupReplication",
                shape: "ConsumerGroupReplicationUpdate",
                location: "body",
                required: false,
            },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
            Member { name: "replicatorArn", shape: "__string", location: "uri", required: true },
            Member { name: "sourceKafkaClusterArn", shape: "__string", location: "body", required: false },
            Member { name: "sourceKafkaClusterId", shape: "__string", location: "body", required: false },
            Member { name: "targetKafkaClusterArn", shape: "__string", location: "body", required: false },
            Member { name: "targetKafkaClusterId", shape: "__string", location: "body", required: false },
            Member { name: "topicReplication", shape: "TopicReplicationUpdate", location: "body", required: false },
            Member { name: "logDelivery", shape: "LogDelivery", location: "body", required: false },
        ]),
    },
    Shape {
        name: "UpdateSecurityRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clientAuthentication", shape: "ClientAuthentication", location: "body", required: false },
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
            Member { name: "encryptionInfo", shape: "EncryptionInfo", location: "body", required: false },
        ]),
    },
    Shape {
        name: "UpdateStorageRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "currentVersion", shape: "__string", location: "body", required: true },
            Member { name: "provisionedThroughput", shape: "ProvisionedThroughput", location: "body", required: false },
            Member { name: "storageMode", shape: "StorageMode", location: "body", required: false },
            Member { name: "volumeSizeGB", shape: "__integer", location: "body", required: false },
        ]),
    },
    Shape {
        name: "UpdateTopicRequest",
        kind: ShapeKind::Structure(&[
            Member { name: "clusterArn", shape: "__string", location: "uri", required: true },
            Member { name: "topicName", shape: "__string", location: "uri", required: true },
            Member { name: "configs", shape: "__string", location: "body", required: false },
            Member { name: "partitionCount", shape: "__integer", location: "body", required: false },
        ]),
    },
    Shape { name: "ValueConverter", kind: ShapeKind::Enum(&["BYTE_ARRAY", "JSON", "JSON_SCHEMA_GSR", "STRING"]) },
    Shape {
        name: "VpcConfig",
        kind: ShapeKind::Structure(&[
            Member { name: "subnetIds", shape: "__listOf__string", location: "body", required: true },
            Member { name: "securityGroupIds", shape: "__listOf__string", location: "body", required: false },
        ]),
    },
    Shape {
        name: "VpcConnectivity",
        kind: ShapeKind::Structure(&[Member {
            name: "clientAuthentication",
            shape: "VpcConnectivityClientAuthentication",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "VpcConnectivityClientAuthentication",
        kind: ShapeKind::Structure(&[
            Member { name: "sasl", shape: "VpcConnectivitySasl", location: "body", required: false },
            Member { name: "tls", shape: "VpcConnectivityTls", location: "body", required: false },
        ]),
    },
    Shape {
        name: "VpcConnectivityIam",
        kind: ShapeKind::Structure(&[Member {
            name: "enabled",
            shape: "__boolean",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "VpcConnectivitySasl",
        kind: ShapeKind::Structure(&[
            Member { name: "scram", shape: "VpcConnectivityScram", location: "body", required: false },
            Member { name: "iam", shape: "VpcConnectivityIam", location: "body", required: false },
        ]),
    },
    Shape {
        name: "VpcConnectivityScram",
        kind: ShapeKind::Structure(&[Member {
            name: "enabled",
            shape: "__boolean",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "VpcConnectivityTls",
        kind: ShapeKind::Structure(&[Member {
            name: "enabled",
            shape: "__boolean",
            location: "body",
            required: false,
        }]),
    },
    Shape {
        name: "ZookeeperAccess",
        kind: ShapeKind::Structure(&[Member {
            name: "enabled",
            shape: "__boolean",
            location: "body",
            required: false,
        }]),
    },
    Shape { name: "__blob", kind: ShapeKind::Blob },
    Shape { name: "__boolean", kind: ShapeKind::Boolean },
    Shape { name: "__integer", kind: ShapeKind::Integer(i64::MIN, i64::MAX) },
    Shape { name: "__integerMin1", kind: ShapeKind::Integer(1, i64::MAX) },
    Shape { name: "__integerMin1Max15", kind: ShapeKind::Integer(1, 15) },
    Shape { name: "__integerMin1Max16384", kind: ShapeKind::Integer(1, 16384) },
    Shape { name: "__integerMin1Max500", kind: ShapeKind::Integer(1, 500) },
    Shape { name: "__listOfBrokerEBSVolumeInfo", kind: ShapeKind::List("BrokerEBSVolumeInfo") },
    Shape { name: "__listOfDestinationTable", kind: ShapeKind::List("DestinationTable") },
    Shape { name: "__listOfKafkaCluster", kind: ShapeKind::List("KafkaCluster") },
    Shape { name: "__listOfPartitionSource", kind: ShapeKind::List("PartitionSource") },
    Shape { name: "__listOfReplicationInfo", kind: ShapeKind::List("ReplicationInfo") },
    Shape { name: "__listOfTopicConfiguration", kind: ShapeKind::List("TopicConfiguration") },
    Shape { name: "__listOfVpcConfig", kind: ShapeKind::List("VpcConfig") },
    Shape { name: "__listOf__string", kind: ShapeKind::List("__string") },
    Shape { name: "__listOf__stringMax249", kind: ShapeKind::List("__stringMax249") },
    Shape { name: "__listOf__stringMax256", kind: ShapeKind::List("__stringMax256") },
    Shape { name: "__listOf__stringMin1Max256", kind: ShapeKind::List("__stringMin1Max256") },
    Shape { name: "__long", kind: ShapeKind::Integer(i64::MIN, i64::MAX) },
    Shape { name: "__mapOf__string", kind: ShapeKind::Map("__string") },
    Shape { name: "__string", kind: ShapeKind::String },
    Shape { name: "__stringMax1024", kind: ShapeKind::String },
    Shape { name: "__stringMax249", kind: ShapeKind::String },
    Shape { name: "__stringMax256", kind: ShapeKind::String },
    Shape { name: "__stringMin1Max128", kind: ShapeKind::String },
    Shape { name: "__stringMin1Max128Pattern09AZaZ09AZaZ0", kind: ShapeKind::String },
    Shape { name: "__stringMin1Max256", kind: ShapeKind::String },
    Shape { name: "__stringMin1Max64", kind: ShapeKind::String },
    Shape { name: "__stringMin5Max64", kind: ShapeKind::String },
];
