// producer.send with keys, headers, acks -1 and the codec in args.compression ("none" | "gzip").
import { CompressionTypes } from 'kafkajs'
import { kafka, args, main } from './common.mjs'

main(async () => {
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  try {
    const compression = args.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None
    const results = []
    // Several sends, so that several batches land in each partition.
    for (const batch of args.batches) {
      const messages = batch.map((m) => {
        const msg = {
          key: m.key === null ? null : Buffer.from(m.key, 'utf8'),
          value: m.value === null ? null : Buffer.from(m.value, 'utf8'),
          partition: m.partition,
        }
        if (m.headers) {
          msg.headers = Object.fromEntries(m.headers.map(([k, v]) => [k, Buffer.from(v, 'utf8')]))
        }
        if (m.timestamp) msg.timestamp = String(m.timestamp)
        return msg
      })
      const res = await producer.send({ topic: args.topic, acks: -1, timeout: 20000, compression, messages })
      results.push(res)
    }
    return { results }
  } finally {
    await producer.disconnect()
  }
})
