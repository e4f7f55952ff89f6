import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test-support/paths.js';
import { AGENT_NODE_OPTIONS, AGENT_SEMI_SPACE_MB, semiSpaceFlagGiven } from './node-flags.js';

// The bundled CLI, as installed (`npm run build` makes it).
const palisadeJs = path.join(repoRoot, 'packages', 'cli', 'dist', 'palisade.js');
const capMb = 2 * AGENT_SEMI_SPACE_MB;

/** Environment without any NODE_OPTIONS the test runner itself may have. */
function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

function childrenOf(pid: number): number[] {
  const list = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return list ? list.split(/\s+/).map(Number) : [];
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

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

describe('semiSpaceFlagGiven', () => {
  it('finds the flag on the command line or in NODE_OPTIONS, in either spelling', () => {
    expect(semiSpaceFlagGiven(['--max-semi-space-size=4'], '')).toBe(true);
    expect(semiSpaceFlagGiven([], '--trace-gc  --max_semi_space_size=8')).toBe(true);
    expect(semiSpaceFlagGiven(['--max-old-space-size=100'], '--max-semi-space-sizes=1')).toBe(false);
    expect(semiSpaceFlagGiven([], '')).toBe(false);
  });
});

describe('watchYoungGeneration', () => {
  it('reports the young generation the flag gives, and whether it was given', () => {
    const script = `
      import { watchYoungGeneration } from ${JSON.stringify(path.join(repoRoot, 'packages/agent/dist/node-flags.js'))};
      const w = watchYoungGeneration();
      let keep = [];
      for (let r = 0; r < 400; r++) {
        for (let i = 0; i < 10000; i++) { keep.push({ n: i, s: 'event ' + i }); if (keep.length > 2000) keep = []; }
        await new Promise((resolve) => setImmediate(resolve));
      }
      w.stop();
      process.stdout.write(JSON.stringify({ peak: w.peakMb(), flagGiven: w.flagGiven }));`;
    const run = (env: NodeJS.ProcessEnv) =>
      JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env }).toString());
    expect(run({ ...plainEnv(), NODE_OPTIONS: AGENT_NODE_OPTIONS })).toEqual({ peak: capMb, flagGiven: true });
    const free = run(plainEnv());
    expect(free.flagGiven).toBe(false);
    expect(free.peak).toBeGreaterThan(capMb); // the same garbage grows V8's default young generation
  });
});

describe('palisade agent started without NODE_OPTIONS (root, BTF)', () => {
  it('re-executes node with the flag, relays SIGTERM and exits 0 (root, BTF)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'h8-agent-v8-'));
    try {
      const parent = spawn(
        process.execPath,
        [palisadeJs, 'agent', '--output-file', path.join(dir, 'alerts.json'), '--queue-dir', path.join(dir, 'q')],
        { env: plainEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      const running = new Promise<void>((resolve) => {
        parent.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes(': running:')) resolve();
        });
      });
      const exited = new Promise<number | null>((resolve) => parent.on('exit', resolve));
      await running;
      const pid = parent.pid!;
      const [agentPid] = childrenOf(pid);
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain('semi-space');
      expect(readFileSync(`/proc/${agentPid}/cmdline`, 'utf8').split('\0')).toContain(AGENT_NODE_OPTIONS);
      // The parent loaded only the re-exec module, not the CLI (which alone is ~140 MB resident).
      expect(rssMb(pid)).toBeLessThan(70);
      // Events for the agent to chew on: enough to grow V8's default young generation past the cap.
      execFileSync('python3', ['-c', "for i in range(150000): open('/etc/hostname').close()"]);
      parent.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('SIGTERM: flushing and stopping');
      const line = /V8 young generation peaked at ([\d.]+) MiB \((\d+) MiB semi-spaces\)/.exec(stderr);
      expect(line?.[2]).toBe(String(AGENT_SEMI_SPACE_MB));
      expect(Number(line?.[1])).toBeLessThanOrEqual(capMb);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops the re-executed agent gracefully when its parent is killed with SIGKILL (root, BTF)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'h8-agent-v8-'));
    try {
      const parent = spawn(process.execPath, [palisadeJs, 'agent', '--queue-dir', path.join(dir, 'q')], {
        env: plainEnv(),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const running = new Promise<void>((resolve) => {
        parent.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes(': running:')) resolve();
        });
      });
      await running;
      const [agentPid] = childrenOf(parent.pid!);
      // The agent inherited the parent's stderr: its last words arrive on the same pipe.
      const stopped = new Promise<void>((resolve) => {
        parent.stderr.on('data', () => {
          if (stderr.includes('stopped:')) resolve();
        });
      });
      parent.kill('SIGKILL');
      await stopped;
      expect(stderr).toContain('SIGTERM: flushing and stopping');
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (!existsSync(`/proc/${agentPid}`)) {
            clearInterval(poll);
            resolve();
          }
        }, 20);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
