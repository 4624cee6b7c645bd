// admin: createTopics (twice: the second reports it already exists), fetchTopicMetadata,
// listTopics, deleteTopics, listTopics again.
import { kafka, args, main } from './common.mjs'

main(async () => {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const topic = args.topic
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic,
        numPartitions: args.partitions,
        replicationFactor: 1,
        configEntries: [{ name: 'retention.ms', value: '3600000' }],
      }],
    })
    const createdAgain = await admin.createTopics({
      waitForLeaders: false,
      topics: [{ topic, numPartitions: args.partitions, replicationFactor: 1 }],
    })
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    const listed = await admin.listTopics()
    const cluster = await admin.describeCluster()
    await admin.deleteTopics({ topics: [topic], timeout: 20000 })
    const listedAfterDelete = await admin.listTopics()
    return {
      created,
      createdAgain,
      metadata,
      listedContains: listed.includes(topic),
      listedAfterDeleteContains: listedAfterDelete.includes(topic),
      cluster,
    }
  } finally {
    await admin.disconnect()
  }
})
