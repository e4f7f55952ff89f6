// Byte layout of palisade-sensor's stdout records, mirrored from native/sensor.h (whose
// _Static_asserts in loader.c pin the same offsets). All integers are little-endian.

export const RecordType = {
  exec: 1,
  fork: 2,
  exit: 3,
  syscall: 4,
  hello: 100,
  stats: 101,
  ack: 102,
} as const;

export const PROTOCOL_VERSION = 1;

/** struct ev_hdr */
export const Hdr = {
  type: 0,
  len: 2,
  flags: 4,
  tsBootNs: 8,
  pid: 16,
  tid: 20,
  ppid: 24,
  uid: 28,
  gid: 32,
  cpu: 36,
  cgroupId: 40,
  ret: 48,
  comm: 56,
  size: 72,
} as const;

export const HDR_TRUNCATED = 1;

/** struct exec_payload, offsets from the record start. */
export const Exec = {
  exeIno: 72,
  exeDev: 80,
  exeNlink: 84,
  tty: 88,
  exeFlags: 92,
  loginUid: 96,
  vpid: 100,
  filenameLen: 104,
  argsLen: 106,
  cwdLen: 108,
  exepathLen: 110,
  strings: 112,
} as const;

export const EXE_OVERLAY = 1;
export const EXE_UPPER = 2;
export const EXE_MEMFD = 4;

/** struct fork_payload */
export const Fork = { childPid: 72, size: 80 } as const;

/** struct syscall_payload */
export const Syscall = {
  nr: 72,
  str1Len: 76,
  str2Len: 78,
  arg0: 80,
  arg1: 88,
  arg2: 96,
  arg3: 104,
  hasAddr: 112,
  dirLen: 114,
  strings: 120,
} as const;

/** struct sockaddr_pair, offsets from its own start. */
export const Addr = {
  family: 0,
  lport: 2,
  rport: 4,
  proto: 6,
  sockType: 7,
  laddr: 8,
  raddr: 24,
  size: 40,
} as const;

/** struct hello_payload */
export const Hello = { bootToEpochNs: 72, version: 80, ncpu: 84, sensorPid: 88, size: 96 } as const;

/** struct stats_payload; ncpu pairs of u64 (events, drops) follow at `pairs`. */
export const Stats = { polls: 72, bytesOut: 80, ncpu: 88, pairs: 96 } as const;

/** struct ack_payload */
export const Ack = { seq: 72, size: 80 } as const;
