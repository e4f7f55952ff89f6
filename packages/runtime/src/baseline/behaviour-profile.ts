// A workload's learned behaviour (process executables with their parent, folded write
// prefixes, network peers) and its YAML form: readable, hand-editable, deterministically ordered.

import { InputError } from '@palisade/core';
import { parseAllDocuments, stringify } from 'yaml';

export type BaselineMode = 'learn' | 'detect';

export interface ProcessEntry {
  exe: string;
  /** Parent executable; "*" accepts any parent. */
  parent: string;
}

export interface BehaviourProfile {
  workload: string;
  mode: BaselineMode;
  /** ns since the epoch of the first event learned. */
  learningSince?: number;
  processes: ProcessEntry[];
  /** Directory prefixes ending in "/", or exact paths. */
  fileWrites: string[];
  /** "ip-or-domain:port/proto" for outbound peers, "listen:port/proto" for served ports; "*" wildcards host or port. */
  network: string[];
}

export function emptyProfile(workload: string, mode: BaselineMode = 'learn'): BehaviourProfile {
  return { workload, mode, processes: [], fileWrites: [], network: [] };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The YAML text for a set of profiles: one document per workload, everything sorted. */
export function saveProfiles(profiles: Iterable<BehaviourProfile>): string {
  const docs = [...profiles]
    .sort((a, b) => byText(a.workload, b.workload))
    .map((p) => {
      const metadata: Record<string, unknown> = { workload: p.workload };
      if (p.learningSince !== undefined) metadata.learningSince = p.learningSince;
      return stringify(
        {
          apiVersion: 'palisade.dev/v1',
          kind: 'BehaviourProfile',
          metadata,
          spec: {
            mode: p.mode,
            processes: [...p.processes].sort((a, b) => byText(a.exe, b.exe) || byText(a.parent, b.parent)),
            fileWrites: [...new Set(p.fileWrites)].sort(byText),
            network: [...new Set(p.network)].sort(byText),
          },
        },
        { lineWidth: 0 },
      );
    });
  return docs.join('---\n');
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new InputError(`${where} must be a list of strings`);
}

/** Parses profiles written by `saveProfiles` (or by hand); throws InputError naming file and document. */
export function loadProfiles(text: string, file = 'profiles'): BehaviourProfile[] {
  const out: BehaviourProfile[] = [];
  // logLevel "error": odd tags are reported through doc.errors/warnings, never printed to stderr.
  const docs = parseAllDocuments(text, { logLevel: 'error' });
  if (!Array.isArray(docs)) throw new InputError(`${file}: not a YAML stream`);
  docs.forEach((d, i) => {
    const at = `${file}: document ${i + 1}`;
    if (d.errors.length > 0) throw new InputError(`${at}: not YAML: ${d.errors[0]!.message}`);
    let doc: unknown;
    try {
      doc = d.toJS();
    } catch (err) {
      // Unresolved aliases and similar surface only when converting.
      throw new InputError(`${at}: not YAML: ${(err as Error).message}`);
    }
    if (doc === null || doc === undefined) return;
    if (!isObj(doc) || doc.kind !== 'BehaviourProfile' || doc.apiVersion !== 'palisade.dev/v1') {
      throw new InputError(`${at}: expected apiVersion palisade.dev/v1, kind BehaviourProfile`);
    }
    const meta = isObj(doc.metadata) ? doc.metadata : {};
    if (typeof meta.workload !== 'string' || meta.workload === '') {
      throw new InputError(`${at}: metadata.workload must be a non-empty string`);
    }
    const spec = doc.spec ?? {};
    if (!isObj(spec)) throw new InputError(`${at}: spec must be a mapping`);
    const mode = spec.mode ?? 'detect';
    if (mode !== 'learn' && mode !== 'detect') throw new InputError(`${at}: spec.mode must be learn or detect`);
    const procs = spec.processes ?? [];
    if (!Array.isArray(procs)) throw new InputError(`${at}: spec.processes must be a list`);
    const processes = procs.map((p, j): ProcessEntry => {
      if (typeof p === 'string') return { exe: p, parent: '*' };
      if (!isObj(p) || typeof p.exe !== 'string') throw new InputError(`${at}: spec.processes[${j}] needs an exe`);
      if (p.parent !== undefined && typeof p.parent !== 'string') {
        throw new InputError(`${at}: spec.processes[${j}].parent must be a string`);
      }
      return { exe: p.exe, parent: (p.parent as string | undefined) ?? '*' };
    });
    const profile: BehaviourProfile = {
      workload: meta.workload,
      mode,
      processes,
      fileWrites: stringList(spec.fileWrites, `${at}: spec.fileWrites`),
      network: stringList(spec.network, `${at}: spec.network`),
    };
    if (typeof meta.learningSince === 'number') profile.learningSince = meta.learningSince;
    out.push(profile);
  });
  return out;
}
