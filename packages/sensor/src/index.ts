// @palisade/sensor: runs the eBPF sensor (native/) and turns its record stream into RuntimeEvents.
// The runtime package consumes these events; enrichment (users, containers) happens there.

export {
  formatIpv4,
  formatIpv6,
  kernelDevToUser,
  type SensorHello,
  type SensorRecordSink,
  type SensorStatsRecord,
  SensorStreamDecoder,
} from './decode-records.js';
export { PROTOCOL_VERSION, RecordType } from './record-layout.js';
export {
  SensorError,
  type SensorHandle,
  type SensorHealth,
  type SensorHealthStatus,
  type SensorOptions,
  type SensorStats,
  sensorBinaryPath,
  startSensor,
} from './start-sensor.js';
export { PTRACE_REQUESTS, SYSCALL_NAMES } from './syscall-table.js';
