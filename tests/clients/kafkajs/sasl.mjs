// kafkajs over SASL (PLAIN or SCRAM-SHA-256/512): produce one record, read it
// back with a group consumer, and report; args: topic, group, mechanism, username, password.
import { Kafka, logLevel } from 'kafkajs'
import { bootstrap, args, main } from './common.mjs'

main(async () => {
  const kafka = new Kafka({
    clientId: 'oxbow-tests-kafkajs-sasl',
    brokers: [bootstrap],
    sasl: { mechanism: args.mechanism, username: args.username, password: args.password },
    connectionTimeout: 5000,
    requestTimeout: 20000,
    retry: { retries: args.retries ?? 3, initialRetryTime: 100 },
    logLevel: logLevel.ERROR,
  })
  const producer = kafka.producer({ allowAutoTopicCreation: true })
  try {
    await producer.connect()
  } catch (e) {
    return { connected: false, error: e.type || e.name, message: String(e.message) }
  }
  const sent = await producer.send({ topic: args.topic, acks: -1, messages: [{ key: 'k', value: 'hello-' + args.mechanism }] })
  await producer.disconnect()
  const consumer = kafka.consumer({ groupId: args.group })
  await consumer.connect()
  await consumer.subscribe({ topic: args.topic, fromBeginning: true })
  const got = await new Promise((resolve) => {
    consumer.run({ eachMessage: async ({ message }) => resolve(message.value.toString()) })
  })
  await consumer.disconnect()
  return { connected: true, offset: sent[0].baseOffset, got }
})
