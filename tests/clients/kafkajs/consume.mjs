// Group consumer: joins args.groupId, subscribes to args.topic (fromBeginning
// when the group has no offsets), consumes exactly args.count messages with
// autoCommit, waits until the group's committed offsets cover them (kafkajs
// commits after each batch), leaves, and reports the messages, the joins seen,
// the committed offsets and the group as described after leaving.
import { kafka, args, main } from './common.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

main(async () => {
  const consumer = kafka.consumer({
    groupId: args.groupId,
    sessionTimeout: 10000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  })
  const admin = kafka.admin()
  const messages = []
  const joins = []
  let gotAll
  const all = new Promise((resolve) => {
    gotAll = resolve
  })
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const { isLeader, groupProtocol, memberAssignment } = e.payload
    joins.push({ isLeader, groupProtocol, memberAssignment })
  })

  await consumer.connect()
  await admin.connect()
  await consumer.subscribe({ topics: [args.topic], fromBeginning: true })
  await consumer.run({
    autoCommit: true,
    eachMessage: async ({ partition, message }) => {
      messages.push({
        partition,
        offset: Number(message.offset),
        value: message.value === null ? null : message.value.toString('utf8'),
      })
      if (messages.length >= args.count) gotAll()
    },
  })

  const received = await Promise.race([all.then(() => true), sleep(35000).then(() => false)])
  if (!received) {
    await consumer.disconnect()
    throw new Error(`received ${messages.length} of ${args.count} messages within 35s: ${JSON.stringify(messages)}`)
  }

  // Offsets each partition must reach once the last batch is committed.
  const want = {}
  for (const m of messages) want[m.partition] = Math.max(want[m.partition] ?? 0, m.offset + 1)
  let committed = {}
  const deadline = Date.now() + 15000
  for (;;) {
    const [t] = await admin.fetchOffsets({ groupId: args.groupId, topics: [args.topic] })
    committed = Object.fromEntries(t.partitions.map((p) => [String(p.partition), p.offset]))
    const done = Object.entries(want).every(([p, o]) => Number(committed[p] ?? -1) >= o)
    if (done || Date.now() > deadline) break
    await sleep(100)
  }

  await consumer.disconnect() // LeaveGroup
  const { groups } = await admin.describeGroups([args.groupId])
  const [g] = groups
  await admin.disconnect()
  return {
    messages,
    joins,
    committed,
    describedAfter: { state: g.state, members: g.members, protocolType: g.protocolType, errorCode: g.errorCode },
  }
})
