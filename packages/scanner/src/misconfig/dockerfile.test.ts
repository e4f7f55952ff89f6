// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfiles use ${VAR} in plain strings
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './dockerfile-parser.js';
import { DOCKERFILE_RULES } from './rules/index.js';
import { scanConfigFile } from './scan-config-file.js';

describe('parseDockerfile', () => {
  it('reads directives, continuations, comments in continuations, flags, JSON form and stages', () => {
    const df = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        '# escape=\\',
        'ARG BASE=debian:12',
        'FROM --platform=linux/amd64 ${BASE} AS build',
        'RUN apt-get update \\',
        '    # a comment inside the continuation',
        '',
        '    && make',
        'COPY --from=build --chown=1:1 /out /app',
        'from scratch',
        'CMD ["/app", "--serve"]',
      ].join('\n'),
    );
    expect(df.directives).toEqual({ syntax: 'docker/dockerfile:1', escape: '\\' });
    expect(df.instructions.map((i) => [i.keyword, i.line, i.endLine, i.stage])).toEqual([
      ['ARG', 3, 3, -1],
      ['FROM', 4, 4, 0],
      ['RUN', 5, 8, 0],
      ['COPY', 9, 9, 0],
      ['FROM', 10, 10, 1],
      ['CMD', 11, 11, 1],
    ]);
    expect(df.instructions[1]!.flags).toEqual({ platform: 'linux/amd64' });
    expect(df.instructions[2]!.args).toBe('apt-get update      && make');
    expect(df.instructions[3]!.flags).toEqual({ from: 'build', chown: '1:1' });
    expect(df.instructions[5]!.json).toEqual(['/app', '--serve']);
    expect(df.stages.map((s) => [s.index, s.name, s.image])).toEqual([
      [0, 'build', '${BASE}'],
      [1, undefined, 'scratch'],
    ]);
  });

  it('honours the backtick escape directive and heredocs', () => {
    const df = parseDockerfile(
      ['# escape=`', 'FROM alpine:3.19', 'RUN echo a `', '  b', 'RUN <<EOF', 'apk add curl', 'EOF', 'USER app'].join(
        '\n',
      ),
    );
    expect(df.instructions.map((i) => [i.keyword, i.line, i.endLine])).toEqual([
      ['FROM', 2, 2],
      ['RUN', 3, 4],
      ['RUN', 5, 7],
      ['USER', 8, 8],
    ]);
    expect(df.instructions[2]!.heredocs).toEqual(['apk add curl']);
  });

  it('a directive after an instruction is only a comment', () => {
    const df = parseDockerfile('FROM a:1\n# escape=`\nRUN x \\\n y');
    expect(df.directives).toEqual({});
    expect(df.instructions[1]!.args).toBe('x   y');
  });
});

// A Dockerfile that passes every rule; each case breaks one thing.
const GOOD = `# syntax=docker/dockerfile:1
FROM node:20.11-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
FROM debian:12.5-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates=20230311 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/dist /app
ADD vendor.tar.gz /opt/
ENV NODE_ENV=production APP_PORT=8080
EXPOSE 8080
HEALTHCHECK CMD ["/app/health"]
USER 10001:10001
ENTRYPOINT ["/app/server"]
`;

function variant(from: string, to: string): string {
  if (!GOOD.includes(from)) throw new Error(`fixture edit: ${from} not found`);
  return GOOD.replace(from, to);
}

function scan(text: string) {
  return scanConfigFile('Dockerfile', Buffer.from(text))!.findings;
}

function lineOf(text: string, marker: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} missing`);
  return i + 1;
}

const APT =
  'RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates=20230311 && rm -rf /var/lib/apt/lists/*';

const CASES: [string, string, string][] = [
  ['PAL-DF-001', variant('USER 10001:10001', 'USER root'), 'USER root'],
  ['PAL-DF-001', variant('USER 10001:10001\n', ''), 'FROM debian:12.5-slim'],
  ['PAL-DF-002', variant('FROM debian:12.5-slim', 'FROM debian'), 'FROM debian'],
  [
    'PAL-DF-002',
    variant('FROM debian:12.5-slim', 'FROM registry:5000/debian:latest'),
    'FROM registry:5000/debian:latest',
  ],
  ['PAL-DF-003', variant('ADD vendor.tar.gz /opt/', 'ADD https://example.com/tool.tgz /opt/'), 'ADD https://'],
  ['PAL-DF-004', variant('ADD vendor.tar.gz /opt/', 'ADD config.json /etc/app/'), 'ADD config.json'],
  ['PAL-DF-005', variant('ENV NODE_ENV=production', 'ENV DB_PASSWORD=hunter2 NODE_ENV=production'), 'DB_PASSWORD'],
  ['PAL-DF-005', variant('FROM debian:12.5-slim', 'FROM debian:12.5-slim\nARG NPM_TOKEN'), 'ARG NPM_TOKEN'],
  ['PAL-DF-006', variant('HEALTHCHECK CMD ["/app/health"]\n', ''), 'FROM debian:12.5-slim'],
  ['PAL-DF-007', variant('ca-certificates=20230311', 'ca-certificates'), 'RUN apt-get'],
  ['PAL-DF-007', variant(APT, 'RUN apk add --no-cache --virtual .deps curl=8.5.0-r0 git'), 'RUN apk'],
  ['PAL-DF-007', variant(APT, 'RUN pip install --no-cache-dir -r req.txt flask'), 'RUN pip'],
  ['PAL-DF-007', variant(APT, 'RUN npm install -g @scope/cli'), 'RUN npm install'],
  ['PAL-DF-008', variant('--no-install-recommends ', ''), 'RUN apt-get'],
  ['PAL-DF-009', variant(' && rm -rf /var/lib/apt/lists/*', ''), 'RUN apt-get'],
  ['PAL-DF-010', variant(APT, 'RUN curl -fsSL https://get.example.com | sudo -E bash -'), 'RUN curl'],
  ['PAL-DF-011', variant(APT, 'RUN sudo chown app /app'), 'RUN sudo'],
  ['PAL-DF-012', variant('EXPOSE 8080', 'EXPOSE 8080 22/tcp'), 'EXPOSE 8080 22'],
  ['PAL-DF-013', variant('ENTRYPOINT ["/app/server"]', 'CMD ["a"]\nCMD ["b"]'), 'CMD ["b"]'],
  ['PAL-DF-014', variant('WORKDIR /src', 'WORKDIR src'), 'WORKDIR src'],
];

describe('Dockerfile rules', () => {
  it('the good Dockerfile has no findings', () => {
    expect(scan(GOOD)).toEqual([]);
  });

  it.each(CASES)('%s fires at the offending instruction', (ruleId, text, marker) => {
    const hits = scan(text).filter((f) => f.ruleId === ruleId);
    expect(hits.map((f) => f.target.line)).toEqual([lineOf(text, marker)]);
    expect(hits[0]!.target.path).toBe('Dockerfile');
  });

  it('every Dockerfile rule has a failing case and a unique id', () => {
    const ids = DOCKERFILE_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const covered = new Set(CASES.map((c) => c[0]));
    for (const id of ids) expect(covered.has(id), id).toBe(true);
  });

  it('pinned installs, local npm paths, GPG_KEY and *_FILE names, and USER inherited from a named stage pass', () => {
    const text = [
      'ARG TAG=3.19',
      'FROM alpine:${TAG} AS base',
      'USER app',
      'FROM base',
      'RUN apk add curl=8.5.0-r0 && pip install flask==3.0.0 ./local && npm install -g npm@10.2.0 ./tool',
      'ENV GPG_KEY=ABCDEF POSTGRES_PASSWORD_FILE=/run/secrets/pg',
      'HEALTHCHECK CMD ["true"]',
    ].join('\n');
    expect(scan(text)).toEqual([]);
  });

  it('an unresolvable ARG in FROM is not judged; a resolvable one is', () => {
    expect(scan('FROM img:${V}\nUSER 1\nHEALTHCHECK CMD true').map((f) => f.ruleId)).toEqual([]);
    expect(scan('ARG V=latest\nFROM img:${V}\nUSER 1\nHEALTHCHECK CMD true').map((f) => f.ruleId)).toEqual([
      'PAL-DF-002',
    ]);
  });

  it('a heredoc RUN is checked like a shell RUN', () => {
    const text = 'FROM debian:12\nRUN <<EOF\ncurl -s https://x.sh | sh\nEOF\nUSER 1\nHEALTHCHECK CMD true\n';
    expect(scan(text).map((f) => [f.ruleId, f.target.line])).toEqual([['PAL-DF-010', 2]]);
  });
});
