// Reads Docker-compatible `inspect` documents (podman inspect, Docker's /containers/{id}/json)
// into what endpoint discovery needs: name, labels, init pid and the addresses of each network.

export interface InspectedContainer {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly running: boolean;
  /** The container's init process, whose network namespace holds its interfaces (0: not running). */
  readonly pid: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Addresses the engine assigned, over every network it is attached to. */
  readonly ips: readonly string[];
  /** `host` for containers sharing the host's network (not workload endpoints of their own). */
  readonly networkMode?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function labelsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

function addressesOf(settings: Obj): string[] {
  const ips = new Set<string>();
  const take = (n: Obj) => {
    for (const k of ['IPAddress', 'GlobalIPv6Address']) {
      const ip = str(n[k]);
      if (ip) ips.add(ip);
    }
  };
  take(settings);
  if (isObj(settings.Networks)) for (const n of Object.values(settings.Networks)) if (isObj(n)) take(n);
  return [...ips];
}

/** One inspect document → a container, or undefined when it lacks an id. */
export function containerFromInspect(raw: unknown): InspectedContainer | undefined {
  if (!isObj(raw)) return undefined;
  const id = str(raw.Id) ?? str(raw.ID);
  if (!id) return undefined;
  const state = isObj(raw.State) ? raw.State : {};
  const config = isObj(raw.Config) ? raw.Config : {};
  const host = isObj(raw.HostConfig) ? raw.HostConfig : {};
  const settings = isObj(raw.NetworkSettings) ? raw.NetworkSettings : {};
  const pid = typeof state.Pid === 'number' && Number.isInteger(state.Pid) && state.Pid > 0 ? state.Pid : 0;
  const networkMode = str(host.NetworkMode);
  return {
    id,
    // Docker prefixes names with "/".
    name: (str(raw.Name) ?? id.slice(0, 12)).replace(/^\//, ''),
    image: str(config.Image) ?? str(raw.ImageName) ?? str(raw.Image) ?? '',
    running: state.Running === true || state.Status === 'running',
    pid,
    labels: labelsOf(config.Labels),
    ips: addressesOf(settings),
    ...(networkMode ? { networkMode } : {}),
  };
}

/** `podman inspect` output (a JSON array of documents) → containers; anything else → []. */
export function parseContainerInspect(json: string): InspectedContainer[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return [];
  }
  const list = Array.isArray(doc) ? doc : [doc];
  return list.map(containerFromInspect).filter((c): c is InspectedContainer => c !== undefined);
}
