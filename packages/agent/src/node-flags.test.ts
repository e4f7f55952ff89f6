import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test-support/paths.js';
import { AGENT_NODE_OPTIONS } from './node-flags.js';

describe('AGENT_NODE_OPTIONS', () => {
  it('is what the shipped systemd unit runs the agent with', () => {
    const unit = readFileSync(path.join(repoRoot, 'deploy', 'systemd', 'palisade-agent.service'), 'utf8');
    expect(unit).toContain(`\nEnvironment=NODE_OPTIONS=${AGENT_NODE_OPTIONS}\n`);
  });

  it('is accepted by node in NODE_OPTIONS', () => {
    const out = execFileSync(process.execPath, ['-e', 'process.stdout.write("ok")'], {
      env: { ...process.env, NODE_OPTIONS: AGENT_NODE_OPTIONS },
    });
    expect(out.toString()).toBe('ok');
  });
});
