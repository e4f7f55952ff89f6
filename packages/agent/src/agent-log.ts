// How the agent reports on itself: one small logger seam (stderr by default, a collector in tests),
// so reload errors, output failures and sensor health reach the operator without a log framework.

export type AgentLogLevel = 'info' | 'warn' | 'error';

export type AgentLogger = (level: AgentLogLevel, message: string) => void;

/** One line per message on stderr, prefixed so it is told apart from alerts on stdout. */
export const stderrLogger: AgentLogger = (level, message) => {
  process.stderr.write(`palisade agent: ${level}: ${message}\n`);
};
