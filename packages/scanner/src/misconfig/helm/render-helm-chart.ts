// Renders a Helm chart with the `helm` binary found on PATH (`helm template`) and splits the
// output by its `# Source:` comments, so each manifest is scanned as the template it came from.

import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A chart that takes longer than this to render is stuck (a lookup, a huge range): give up. */
const RENDER_TIMEOUT_MS = 60_000;
const MAX_RENDERED_BYTES = 64 * 1024 * 1024;

/** The absolute path of an executable named `name` on a PATH string, or undefined. */
export function findOnPath(name: string, pathEnv: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (pathEnv ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next directory.
    }
  }
  return undefined;
}

export interface RenderedTemplate {
  /** The template that produced it, as helm names it: "web/templates/deployment.yaml". */
  source: string;
  /** Every document rendered from that template, in output order. */
  text: string;
}

export interface HelmRenderOptions {
  helmBinary: string;
  valuesFiles?: readonly string[];
  releaseName?: string;
}

/** Runs `helm template RELEASE DIR [--values F]…`; throws with helm's own message when it fails. */
export async function renderHelmChart(chartDir: string, opts: HelmRenderOptions): Promise<RenderedTemplate[]> {
  const args = ['template', opts.releaseName ?? 'release', chartDir];
  for (const v of opts.valuesFiles ?? []) args.push('--values', v);
  try {
    const { stdout } = await execFileAsync(opts.helmBinary, args, {
      timeout: RENDER_TIMEOUT_MS,
      maxBuffer: MAX_RENDERED_BYTES,
      encoding: 'utf8',
    });
    return splitBySource(stdout);
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    const reason = (e.stderr?.trim() || e.message || String(err)).split('\n')[0];
    throw new Error(`helm template failed for chart ${chartDir}: ${reason}`);
  }
}

const SOURCE_LINE = /^# Source: (.+)$/;

/** Groups helm's output by `# Source:` (documents without one are dropped: helm always writes it). */
export function splitBySource(output: string): RenderedTemplate[] {
  const bySource = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    const source = SOURCE_LINE.exec(line)?.[1]?.trim();
    if (source !== undefined) {
      current = bySource.get(source);
      if (!current) {
        current = [];
        bySource.set(source, current);
      } else {
        current.push('---');
      }
      continue;
    }
    if (line === '---') continue;
    current?.push(line);
  }
  return [...bySource].map(([source, lines]) => ({ source, text: `${lines.join('\n')}\n` }));
}
