import { AGENT_NODE_OPTIONS } from '@palisade/agent';
import { describe, expect, it } from 'vitest';
import { AGENT_V8_FLAG, agentReexecArgs, REEXEC_GUARD, runReexecuted } from './agent-reexec.js';

const argv = (...args: string[]) => ['/usr/bin/node', '/opt/palisade/palisade.js', ...args];

describe('agentReexecArgs', () => {
  it('re-runs `palisade agent` with the flag the systemd unit gives, keeping node and CLI arguments', () => {
    expect(AGENT_V8_FLAG).toBe(AGENT_NODE_OPTIONS);
    expect(agentReexecArgs(argv('agent', '--output', 'json'), ['--enable-source-maps'], {})).toEqual([
      '--enable-source-maps',
      AGENT_V8_FLAG,
      '/opt/palisade/palisade.js',
      'agent',
      '--output',
      'json',
    ]);
  });

  it('leaves every other case alone', () => {
    expect(agentReexecArgs(argv('scan', 'fs', '.'), [], {})).toBeUndefined();
    expect(agentReexecArgs(argv('rules', 'check', 'agent'), [], {})).toBeUndefined();
    expect(agentReexecArgs(argv('agent', '--help'), [], {})).toBeUndefined();
    expect(agentReexecArgs(argv('agent'), ['--max-semi-space-size=8'], {})).toBeUndefined();
    expect(agentReexecArgs(argv('agent'), [], { NODE_OPTIONS: '--max_semi_space_size=4' })).toBeUndefined();
    expect(agentReexecArgs(argv('agent'), [], { [REEXEC_GUARD]: '1' })).toBeUndefined();
  });
});

describe('runReexecuted', () => {
  it('returns the child exit code, and 128 + N for a child killed by signal N', async () => {
    expect(await runReexecuted(['-e', 'process.exit(3)'])).toBe(3);
    expect(await runReexecuted(['-e', 'process.kill(process.pid, "SIGKILL")'])).toBe(137);
  });

  it('runs the child with the guard set, so that it never re-executes again', async () => {
    const script = `process.exit(process.env.${REEXEC_GUARD} ? 0 : 1)`;
    expect(await runReexecuted(['-e', script])).toBe(0);
    expect(agentReexecArgs(argv('agent'), [], { [REEXEC_GUARD]: '3' })).toBeUndefined();
  });
});
