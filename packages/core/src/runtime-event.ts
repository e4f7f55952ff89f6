// The runtime contracts: what the sensor reports (RuntimeEvent) and what the rule engine raises
// (Alert, in Falco's JSON output shape). Field names map one-to-one onto Falco's filter fields.

/** One process as seen by the sensor. `comm` is Falco's `proc.name`, `exe` its `proc.exe` (argv[0]). */
export interface RuntimeProcess {
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  /** argv[0] as the process was started (`proc.exe`). */
  exe: string;
  /** Task command name, at most 15 characters on Linux (`proc.name`). */
  comm: string;
  /** argv[1..] (`proc.args` joins them with spaces). */
  args: string[];
  cwd: string;
  /** Controlling terminal device number, 0 when none (`proc.tty`). */
  tty: number;
  /** Full path of the executable file (`proc.exepath`); defaults to `exe`. */
  exepath?: string;
  /** Process start time, nanoseconds since the Unix epoch (`proc.duration` = event ts - start). */
  startTs?: number;
  vpid?: number;
  pgid?: number;
  vpgid?: number;
  sid?: number;
  /** Name of the session leader (`proc.sname`). */
  sname?: string;
  /** Name and exe of the process group leader (`proc.vpgid.name`, `proc.vpgid.exe`). */
  vpgidName?: string;
  vpgidExe?: string;
  env?: string[];
  userName?: string;
  groupName?: string;
  /** Audit login uid (`user.loginuid`), -1 when unset. */
  loginUid?: number;
  loginName?: string;
  homedir?: string;
  shell?: string;
  /** Pid of the login shell this process descends from (`proc.loginshellid`). */
  loginShellId?: number;
  /** Capability names as Falco prints them, e.g. ["CAP_SYS_ADMIN", "CAP_SYS_MODULE"]. */
  capEffective?: string[];
  capPermitted?: string[];
  capInheritable?: string[];
  /** Executable file facts for drift and fileless detection. */
  exeIno?: number;
  exeNlink?: number;
  exeInoCtime?: number;
  exeInoMtime?: number;
  exeWritable?: boolean;
  exeUpperLayer?: boolean;
  exeLowerLayer?: boolean;
  exeFromMemfd?: boolean;
  /** Device of the executable's filesystem, in stat(2)'s st_dev encoding (with exeIno: the file's identity). */
  exeDev?: number;
  /** Thread id of the thread that made the call (pid is the thread group id). */
  tid?: number;
  /** cgroup v2 id of the task: the inode number of its cgroup directory (maps to a container). */
  cgroupId?: number;
}

/** An ancestor of the event's process: ancestors[0] is the parent, [1] the grandparent … */
export interface RuntimeAncestor {
  pid: number;
  comm: string;
  exe?: string;
  exepath?: string;
  args?: string[];
  startTs?: number;
}

export interface RuntimeContainerMount {
  source: string;
  dest: string;
  mode?: string;
  rdwr?: boolean;
  propagation?: string;
}

export interface RuntimeContainer {
  id: string;
  name: string;
  /** Full image reference as the runtime reports it, e.g. "docker.io/library/nginx:1.27". */
  image: string;
  runtime: string;
  /** Image without tag or digest; derived from `image` when absent. */
  imageRepository?: string;
  imageTag?: string;
  imageDigest?: string;
  privileged?: boolean;
  /** Container start time, nanoseconds since the Unix epoch. */
  startTs?: number;
  mounts?: RuntimeContainerMount[];
  /** Container labels as the engine reports them (OCI image labels plus run-time labels). */
  labels?: Record<string, string>;
  /** Content id of the image (e.g. "sha256:…" or the engine's 64-hex id). */
  imageId?: string;
}

export interface RuntimeK8s {
  namespace: string;
  pod: string;
  labels: Record<string, string>;
  podUid?: string;
  /** CRI sandbox (pause container) id of the pod, full length (`k8s.pod.full_sandbox_id`). */
  sandboxId?: string;
}

/** The file descriptor the event acts on. `type` uses Falco's names: file, directory, ipv4, ipv6, unix … */
export interface RuntimeFd {
  name: string;
  type: string;
  num?: number;
  /** The path as the process passed it, before normalisation (`fd.nameraw`). */
  nameraw?: string;
  /** Raw open(2) flags (O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_TRUNC = 0o1000 …). */
  openFlags?: number;
  connected?: boolean;
  nameChanged?: boolean;
}

/** Network endpoints. `s*` is the client (initiator) side and `d*` the server side, as in Falco's cip/sip. */
export interface RuntimeNet {
  proto: string;
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
  /** Which end the observed process is; defaults to client for connect/sendto and server for accept/listen. */
  role?: 'client' | 'server';
  /** Resolved host names of the endpoints, when the DNS cache knows them. */
  sname?: string;
  dname?: string;
  family?: string;
}

export interface RuntimeEvent {
  /** Nanoseconds since the Unix epoch. */
  ts: number;
  host: string;
  /** Syscall/event name as Falco spells `evt.type`: execve, openat, connect, ptrace, dup2 … */
  type: string;
  proc: RuntimeProcess;
  parent?: RuntimeAncestor;
  /** Up to the sensor's depth (at least 5): ancestors[0] is the parent. Overrides `parent` when present. */
  ancestors?: RuntimeAncestor[];
  container?: RuntimeContainer;
  k8s?: RuntimeK8s;
  fd?: RuntimeFd;
  net?: RuntimeNet;
  /** Event direction: '<' exit (default, what rules see), '>' enter. */
  dir?: '<' | '>';
  /** Event sequence number (`evt.num`). */
  num?: number;
  /** Syscall return value (`evt.rawres`); negative errno on failure. */
  res?: number;
  /** Syscall arguments by Falco's parameter names (`evt.arg.request`, `evt.arg.target` …). */
  params?: Record<string, string | number>;
  /** Payload bytes for read/write events (`evt.buffer`), as a hex string. */
  bufferHex?: string;
  raw?: unknown;
  /** Set by the sensor when a string (path, argv, cwd) was cut at its in-kernel bound. */
  truncated?: boolean;
}

export const RULE_PRIORITIES = [
  'Emergency',
  'Alert',
  'Critical',
  'Error',
  'Warning',
  'Notice',
  'Informational',
  'Debug',
] as const;
export type RulePriority = (typeof RULE_PRIORITIES)[number];

/** A fired rule, in Falco's JSON output shape. */
export interface Alert {
  /** ISO 8601 with nanoseconds, e.g. "2026-11-27T03:40:00.123456789Z". */
  time: string;
  rule: string;
  priority: RulePriority;
  output: string;
  output_fields: Record<string, string | number | boolean | null>;
  tags: string[];
  hostname: string;
  source: string;
  /** Responses taken (or, in audit mode, that would have been taken) for this alert. */
  actions?: AlertAction[];
}

/** One response to an alert: what was done, to what, and how it went. */
export interface AlertAction {
  action: 'alert' | 'kill' | 'stop' | 'pause';
  mode: 'audit' | 'enforce';
  /** "pid:1234", "pgid:1234", "container:<id>"; "host" for a container action on a host process; "alert" for alert. */
  target: string;
  result: 'done' | 'audited' | 'rate-limited' | 'skipped' | 'failed';
  error?: string;
}
