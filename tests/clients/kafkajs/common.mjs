// Shared setup for the kafkajs scripts run by tests/clients/test_kafkajs.py.
// Bootstrap comes from OXBOW_BOOTSTRAP; arguments as JSON in OXBOW_ARGS.
// Logs go to stderr; the result is one `RESULT <json>` line on stdout.
import { Kafka, logLevel } from 'kafkajs'

export const bootstrap = process.env.OXBOW_BOOTSTRAP
if (!bootstrap) {
  console.error('OXBOW_BOOTSTRAP not set')
  process.exit(2)
}
export const args = JSON.parse(process.env.OXBOW_ARGS || '{}')

const stderrLogger = () => ({ namespace, level, label, log }) => {
  process.stderr.write(`[kafkajs ${label}] ${namespace}: ${JSON.stringify(log)}\n`)
}

export const kafka = new Kafka({
  clientId: 'oxbow-tests-kafkajs',
  brokers: [bootstrap],
  connectionTimeout: 5000,
  requestTimeout: 20000,
  retry: { retries: 3, initialRetryTime: 100 },
  logLevel: logLevel.INFO,
  logCreator: stderrLogger,
})

export function emit(result) {
  process.stdout.write('RESULT ' + JSON.stringify(result) + '\n')
}

export async function main(fn) {
  const timer = setTimeout(() => {
    console.error('kafkajs script timed out')
    process.exit(3)
  }, 60000)
  try {
    emit(await fn())
    clearTimeout(timer)
    process.exit(0)
  } catch (e) {
    console.error('kafkajs script failed:', e && e.stack ? e.stack : e)
    if (e && e.type) console.error('kafkajs error type:', e.type)
    process.exit(1)
  }
}
