// The alert outputs' public surface: the Output seam, its implementations, the config reader and
// the dispatcher the server hands every newly stored alert to.

export {
  AlertDispatcher,
  type AlertDispatcherOptions,
  type PlannedDelivery,
  toOutputAlert,
} from './alert-dispatcher.js';
export { registerDeadLetterRoutes } from './dead-letter-routes.js';
export { bulkBody, elasticsearchOutput, indexName } from './elasticsearch-output.js';
export { type NatsOutputOptions, natsOutput, natsSubject } from './nats-output.js';
export type { AlertDocument, DeliveryFailure, Output, OutputAlert } from './output.js';
export { backoffDelay, LEASE_MS, type RetryPolicy } from './output-queue.js';
export { OUTPUT_TYPES } from './output-types.js';
export { type ConfiguredOutput, loadOutputsConfig, parseOutputsConfig } from './outputs-config.js';
export { slackOutput, slackPayload } from './slack-output.js';
export { formatSyslogMessage, octetCountingFrame, syslogOutput } from './syslog-output.js';
export { ALERT_ID_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER, webhookOutput } from './webhook-output.js';
