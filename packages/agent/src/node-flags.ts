// The V8 settings the agent daemon runs with, shared by the systemd unit (NODE_OPTIONS) and the
// benchmark, so what is measured is what ships.

/**
 * Semi-spaces of 4 MiB instead of V8's 16: every event is garbage within microseconds, so a
 * scavenge finds almost nothing alive and costs the same at any young-generation size, while the
 * larger one holds ~25 MB more resident at 250,000 events/s (measured: same CPU, 117 vs 127+ MB).
 */
export const AGENT_NODE_OPTIONS = '--max-semi-space-size=4';
