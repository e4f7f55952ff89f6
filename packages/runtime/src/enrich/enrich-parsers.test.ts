import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerFromCgroupPath, containerFromProcCgroup, parseProcCgroup } from './cgroup-container.js';
import { findCgroup2Mount } from './cgroup-id-index.js';
import { containerMetadataFromInspect } from './container-engines.js';
import { k8sFromContainer } from './enricher.js';
import { parseProcStat, parseStatusIds } from './proc-reader.js';
import { parseGroup, parsePasswd } from './user-directory.js';

const ID = 'a'.repeat(32) + 'b'.repeat(32);

describe('cgroup → container', () => {
  it.each([
    [`/libpod_parent/libpod-${ID}`, 'podman'],
    [`/machine.slice/libpod-${ID}.scope/container`, 'podman'],
    [`/system.slice/docker-${ID}.scope`, 'docker'],
    [`/docker/${ID}`, 'docker'],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-${ID}.scope`, 'containerd'],
    [`/kubepods/besteffort/pod0f1e/${ID}`, 'unknown'],
    [`/kubepods.slice/crio-${ID}.scope`, 'cri-o'],
    [`/k8s.io/${ID}`, 'containerd'],
    [`/default/${ID}`, 'containerd'],
    [`/system.slice/containerd-${ID}.scope`, 'containerd'],
    [`/kubepods-besteffort-pod9f.slice/cri-containerd-${ID}.scope`, 'containerd'],
  ])('%s is a %s container', (p, runtime) => {
    expect(containerFromCgroupPath(p)).toEqual({ id: ID, runtime });
  });

  it.each([
    '/',
    '/user.slice/user-0.slice/session-1.scope',
    `/machine.slice/libpod-conmon-${ID}.scope`,
    '/docker/notanid',
    '/system.slice/containerd.service',
    '/k8s.io',
    '/k8s.io/bad id',
    '/other/k8s.io/web-1',
  ])('%s is not a container', (p) => {
    expect(containerFromCgroupPath(p)).toBeUndefined();
  });

  it('takes any containerd id at /<namespace>/<id> (ctr run names, not only 64-hex ids)', () => {
    expect(containerFromCgroupPath('/k8s.io/web-1')).toEqual({ id: 'web-1', runtime: 'containerd' });
    expect(containerFromCgroupPath('/default/job.42')).toEqual({ id: 'job.42', runtime: 'containerd' });
  });

  it('reads v2 first and falls back to v1 lines in a hybrid layout', () => {
    const hybrid = `9:name=systemd:/libpod_parent/libpod-${ID}\n4:memory:/libpod_parent/libpod-${ID}\n0::/\n`;
    expect(containerFromProcCgroup(parseProcCgroup(hybrid))).toEqual({ id: ID, runtime: 'podman' });
    const v2 = `0::/system.slice/docker-${ID}.scope\n`;
    expect(containerFromProcCgroup(parseProcCgroup(v2))).toEqual({ id: ID, runtime: 'docker' });
    expect(containerFromProcCgroup(parseProcCgroup('0::/init.scope\n'))).toBeUndefined();
  });

  it('finds the cgroup2 mount in mountinfo (unified and hybrid)', () => {
    const hybrid =
      '30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n41 30 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n';
    expect(findCgroup2Mount(hybrid)).toBe('/sys/fs/cgroup/unified');
    expect(findCgroup2Mount('29 1 0:25 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw\n')).toBe('/sys/fs/cgroup');
    expect(findCgroup2Mount('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n')).toBeUndefined();
  });

  it('fuzz: arbitrary cgroup text never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (t) => {
        containerFromProcCgroup(parseProcCgroup(t));
        findCgroup2Mount(t);
      }),
    );
  });
});

describe('/proc parsers', () => {
  it('parses stat with a comm holding spaces and parentheses', () => {
    const text = '4242 (my (odd) proc) S 1 4242 4242 34816 4242 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 0 0\n';
    expect(parseProcStat(text)).toMatchObject({
      pid: 4242,
      comm: 'my (odd) proc',
      state: 'S',
      ppid: 1,
      pgid: 4242,
      sid: 4242,
      tty: 34816,
      startTicks: 12345,
    });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('takes the real uid and gid from status', () => {
    expect(parseStatusIds('Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t50\t50\t50\t50\n')).toEqual({ uid: 1000, gid: 50 });
  });

  it('fuzz: stat and status parsers never throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (t) => {
        parseProcStat(t);
        parseStatusIds(t);
      }),
    );
  });
});

describe('passwd and group', () => {
  it('parses entries and skips malformed lines', () => {
    const users = parsePasswd(
      'root:x:0:0:root:/root:/bin/bash\n# c\nbad line\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n',
    );
    expect(users.map((u) => [u.name, u.uid, u.home])).toEqual([
      ['root', 0, '/root'],
      ['nobody', 65534, '/nonexistent'],
    ]);
    expect(parseGroup('root:x:0:\nadm:x:4:syslog\nx:y:z\n')).toEqual(
      new Map([
        [0, 'root'],
        [4, 'adm'],
      ]),
    );
  });

  it('fuzz: never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (t) => {
        parsePasswd(t);
        parseGroup(t);
      }),
    );
  });
});

describe('inspect JSON', () => {
  it('reads docker-shaped inspect output and k8s pod metadata', () => {
    const meta = containerMetadataFromInspect({
      Id: ID,
      Name: '/web',
      Image: 'sha256:abc',
      Config: {
        Image: 'nginx:1.27',
        Labels: { app: 'web', 'io.kubernetes.pod.name': 'web-0', 'io.kubernetes.pod.namespace': 'shop' },
      },
      HostConfig: { Privileged: true },
      State: { Pid: 77, StartedAt: '2026-11-27T04:00:00Z', Status: 'running' },
    });
    expect(meta).toMatchObject({ id: ID, name: 'web', image: 'nginx:1.27', imageId: 'abc', privileged: true, pid: 77 });
    expect(k8sFromContainer(meta!)).toEqual({ namespace: 'shop', pod: 'web-0', labels: { app: 'web' } });
    expect(containerMetadataFromInspect({ nope: 1 })).toBeUndefined();
    expect(containerMetadataFromInspect('x')).toBeUndefined();
  });
});
