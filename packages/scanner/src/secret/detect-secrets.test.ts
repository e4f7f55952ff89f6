// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} placeholders are test inputs the detector must ignore
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALNUM,
  BASE64,
  BASE64URL,
  DIGITS,
  HEX,
  jwt,
  pemBlock,
  tokenMaker,
  UPPER_BASE32,
} from './__fixtures__/token-samples.js';
import { redactSecret, SECRET_RULES, scanSecrets, shannonEntropy } from './index.js';

const t = tokenMaker(20261127);
const file = (s: string) => Buffer.from(s);

interface RuleCase {
  rule: string;
  /** The raw secret the finding hashes; it must never appear in output. */
  secret: string;
  text: string;
  /** Allowlisted, placeholder or near-miss inputs: no finding of this rule. */
  negatives: string[];
  /** 1-based line of the finding when it is not the line where the secret's text starts (PEM: the BEGIN line). */
  line?: number;
}

const awsId = `AKIA${t(UPPER_BASE32, 16)}`;
const awsSecret = t(BASE64, 40);
const gcpBody = t(BASE64, 320);
const gcpKey = `-----BEGIN PRIVATE KEY-----\\n${gcpBody.match(/.{1,64}/g)!.join('\\n')}\\n-----END PRIVATE KEY-----\\n`;
const azureKey = `${t(BASE64, 86)}==`;
const azureClientSecret = `${t(ALNUM, 3)}8Q~${t(`${ALNUM}_~.-`, 34)}`;
const ghp = `ghp_${t(ALNUM, 36)}`;
const gho = `gho_${t(ALNUM, 36)}`;
const ghs = `ghs_${t(ALNUM, 36)}`;
const ghr = `ghr_${t(ALNUM, 76)}`;
const ghFine = `github_pat_${t(`${ALNUM}_`, 82)}`;
const glpat = `glpat-${t(ALNUM, 20)}`;
const slack = `xoxb-${t(DIGITS, 11)}-${t(DIGITS, 12)}-${t(ALNUM, 24)}`;
const slackHook = `T${t(UPPER_BASE32, 8)}/B${t(UPPER_BASE32, 10)}/${t(ALNUM, 24)}`;
const stripe = `sk_live_${t(ALNUM, 32)}`;
const twilioKey = `SK${t(HEX, 32)}`;
const twilioToken = t(HEX, 32);
const sendgrid = `SG.${t(BASE64URL, 22)}.${t(BASE64URL, 43)}`;
const npmToken = `npm_${t(ALNUM, 36)}`;
const pypi = `pypi-AgEIcHlwaS5vcmc${t(BASE64URL, 80)}`;
const rsaBody = t(BASE64, 256);
const jwtToken = jwt({ sub: 'svc-build', iat: 1767225600 }, t(BASE64URL, 43));
const dbPassword = t(ALNUM, 18);
const genericKey = t(ALNUM, 32);

const CASES: RuleCase[] = [
  {
    rule: 'aws-access-key-id',
    secret: awsId,
    text: `[default]\naws_access_key_id = ${awsId}\n`,
    negatives: ['aws_access_key_id = AKIAIOSFODNN7EXAMPLE', `id = AKIA${t(UPPER_BASE32, 15)}`],
  },
  {
    rule: 'aws-secret-access-key',
    secret: awsSecret,
    text: `aws_secret_access_key = ${awsSecret}\n`,
    negatives: [
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `aws_secret_access_key = ${'ab'.repeat(20)}`,
    ],
  },
  {
    rule: 'gcp-service-account',
    secret: `\\n${gcpBody.match(/.{1,64}/g)!.join('\\n')}\\n`,
    text: `{\n  "type": "service_account",\n  "project_id": "demo",\n  "private_key_id": "${t(HEX, 40)}",\n  "private_key": "${gcpKey}",\n  "client_email": "ci@demo.iam.gserviceaccount.com"\n}\n`,
    negatives: [
      '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n"}',
    ],
  },
  {
    rule: 'azure-storage-account-key',
    secret: azureKey,
    text: `conn = "DefaultEndpointsProtocol=https;AccountName=prodlogs;AccountKey=${azureKey};EndpointSuffix=core.windows.net"\n`,
    negatives: ['AccountKey=<your-account-key>', `AccountKey=${t(BASE64, 40)}==`],
  },
  {
    rule: 'azure-client-secret',
    secret: azureClientSecret,
    text: `AZURE_CLIENT_SECRET=${azureClientSecret}\n`,
    negatives: [`value: abc8Q~${'x'.repeat(34)}`, `value: abc8Q~${t(ALNUM, 12)}`],
  },
  {
    rule: 'github-pat',
    secret: ghp,
    text: `git clone https://${ghp}@github.com/acme/app\n`,
    negatives: [`ghp_${'A'.repeat(36)}`, `ghp_${t(ALNUM, 35)}`],
  },
  { rule: 'github-oauth', secret: gho, text: `token: ${gho}\n`, negatives: [`gho_${t(ALNUM, 30)}`] },
  { rule: 'github-app-token', secret: ghs, text: `GH_TOKEN=${ghs}\n`, negatives: [`ghs_${'0123'.repeat(9)}x`] },
  { rule: 'github-refresh-token', secret: ghr, text: `refresh = '${ghr}'\n`, negatives: [`ghr_${t(ALNUM, 20)}`] },
  {
    rule: 'github-fine-grained-pat',
    secret: ghFine,
    text: `export GITHUB_TOKEN=${ghFine}\n`,
    negatives: [`github_pat_${t(ALNUM, 40)}`],
  },
  {
    rule: 'gitlab-pat',
    secret: glpat,
    text: `CI_TOKEN: ${glpat}\n`,
    negatives: [`glpat-${'x'.repeat(20)}`, `glpat-${t(ALNUM, 12)}`],
  },
  {
    rule: 'slack-token',
    secret: slack,
    text: `slack:\n  bot: ${slack}\n`,
    negatives: ['SLACK_TOKEN=xoxb-your-token-here', `xoxb-${t(ALNUM, 12)}`],
  },
  {
    rule: 'slack-webhook',
    secret: slackHook,
    text: `url = "https://hooks.slack.com/services/${slackHook}"\n`,
    negatives: ['https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
  },
  {
    rule: 'stripe-secret-token',
    secret: stripe,
    text: `Stripe.api_key = "${stripe}"\n`,
    negatives: [`key = "sk_test_${t(ALNUM, 32)}"`],
  },
  { rule: 'twilio-api-key', secret: twilioKey, text: `key_sid=${twilioKey}\n`, negatives: [`sid=SK${t(HEX, 31)}`] },
  {
    rule: 'twilio-auth-token',
    secret: twilioToken,
    text: `TWILIO_AUTH_TOKEN=${twilioToken}\n`,
    negatives: [`TWILIO_AUTH_TOKEN=${'0'.repeat(32)}`],
  },
  {
    rule: 'sendgrid-api-key',
    secret: sendgrid,
    text: `SENDGRID_API_KEY="${sendgrid}"\n`,
    negatives: [`SG.${'x'.repeat(22)}.${'x'.repeat(43)}`, `SG.${t(BASE64URL, 10)}.${t(BASE64URL, 43)}`],
  },
  {
    rule: 'npm-access-token',
    secret: npmToken,
    text: `//registry.npmjs.org/:_authToken=${npmToken}\n`,
    negatives: [`_authToken=npm_${t(ALNUM, 20)}`, '_authToken=${NPM_TOKEN}'],
  },
  {
    rule: 'pypi-upload-token',
    secret: pypi,
    text: `[pypi]\npassword = ${pypi}\n`,
    negatives: ['password = pypi-AgEIcHlwaS5vcmc'],
  },
  {
    rule: 'private-key',
    secret: `\n${rsaBody.match(/.{1,64}/g)!.join('\n')}\n`,
    text: `# deploy key\n${pemBlock('RSA PRIVATE KEY', rsaBody)}`,
    line: 2,
    negatives: [
      '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n',
      pemBlock('PUBLIC KEY', t(BASE64, 256)),
    ],
  },
  {
    rule: 'jwt-token',
    secret: jwtToken,
    text: `Authorization: Bearer ${jwtToken}\n`,
    negatives: [`eyJ${t(ALNUM, 20)}.eyJ${t(ALNUM, 20)}.${t(ALNUM, 20)}`],
  },
  {
    rule: 'database-url-password',
    secret: dbPassword,
    text: `DATABASE_URL=postgres://app:${dbPassword}@db.internal:5432/app\n`,
    negatives: [
      'DATABASE_URL=postgres://user:password@localhost/app',
      'DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app',
      'postgres://db.internal:5432/app',
    ],
  },
  {
    rule: 'generic-secret-assignment',
    secret: genericKey,
    text: `const config = {\n  api_key: "${genericKey}",\n};\n`,
    negatives: [
      'password = "changeme"',
      'token: "${API_TOKEN}"',
      'secret = "aaaaaaaabbbbbbbb"',
      'password = "hello world"',
    ],
  },
];

describe('secret rules: one live-looking and several allowlisted/near-miss inputs each', () => {
  it('every built-in rule has a case here', () => {
    const covered = new Set(CASES.map((c) => c.rule));
    expect(SECRET_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  for (const c of CASES) {
    it(`${c.rule}: finds the secret, with its line, and never prints it`, () => {
      const findings = scanSecrets('src/app.conf', file(c.text));
      const mine = findings.filter((f) => f.ruleId === c.rule);
      expect(mine).toHaveLength(1);
      const f = mine[0]!;
      expect(f.type).toBe('secret');
      expect(f.target.path).toBe('src/app.conf');
      const firstLine = c.text.split('\n').findIndex((l) => l.includes(c.secret.replace(/^\n/, '').slice(0, 20)));
      expect(f.target.line).toBe(c.line ?? firstLine + 1);
      expect(f.description).toContain('*****');
      expect(JSON.stringify(findings)).not.toContain(c.secret.trim().slice(0, 30).slice(8));
    });
    it(`${c.rule}: ignores allowlisted, placeholder and near-miss values`, () => {
      for (const n of c.negatives) {
        expect(
          scanSecrets('src/app.conf', file(`${n}\n`)).filter((f) => f.ruleId === c.rule),
          n,
        ).toEqual([]);
      }
    });
  }

  it('pairs an AWS access key id with a 40-character secret on a nearby line under any name', () => {
    const text = `creds:\n  id: ${awsId}\n  sk: ${awsSecret}\n`;
    const rules = scanSecrets('deploy.yaml', file(text)).map((f) => `${f.ruleId}:${f.target.line}`);
    expect(rules).toEqual(['aws-access-key-id:2', 'aws-secret-access-key:3']);
    // A git SHA next to a key id is not its secret.
    const sha = scanSecrets('x.txt', file(`${awsId}\ncommit ${t(HEX, 40)}\n`)).map((f) => f.ruleId);
    expect(sha).toEqual(['aws-access-key-id']);
  });

  it('finds every private key format: RSA, EC, OPENSSH, PGP and PKCS8', () => {
    const labels = ['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'PGP PRIVATE KEY BLOCK', 'PRIVATE KEY'];
    const text = labels.map((l) => pemBlock(l, t(BASE64, 200))).join('\n');
    const found = scanSecrets('keys.txt', file(text));
    const beginLines = text.split('\n').flatMap((l, i) => (l.startsWith('-----BEGIN') ? [i + 1] : []));
    expect(beginLines).toHaveLength(5);
    expect(found.map((f) => [f.ruleId, f.target.line])).toEqual(beginLines.map((l) => ['private-key', l]));
  });

  it('finds database URLs with passwords for mysql, mongodb+srv and redis', () => {
    const pw = () => t(ALNUM, 16);
    const urls = [
      `mysql://root:${pw()}@10.0.0.5/shop`,
      `mongodb+srv://svc:${pw()}@cluster0.example.net/db`,
      `redis://:${pw()}@cache:6379/0`,
    ];
    for (const u of urls)
      expect(
        scanSecrets('a.env', file(`URL=${u}\n`)).map((f) => f.ruleId),
        u,
      ).toEqual(['database-url-password']);
  });

  it('generic rule reads .env and YAML lines without quotes, and skips low-entropy values', () => {
    const v = t(ALNUM, 24);
    expect(scanSecrets('.env', file(`DB_PASSWORD=${v}\n`)).map((f) => f.ruleId)).toEqual(['generic-secret-assignment']);
    expect(scanSecrets('c.yaml', file(`auth:\n  client_secret: ${v}\n`)).map((f) => f.target.line)).toEqual([2]);
    expect(scanSecrets('c.py', file('password = get_password(user)\nsecret_name = "my-app-secret"\n'))).toEqual([]);
  });
});

describe('redaction, ids and file handling', () => {
  it('no raw secret appears anywhere in the findings of a file holding all of them', () => {
    const text = CASES.map((c) => c.text).join('\n');
    const findings = scanSecrets('all.txt', file(text));
    expect(new Set(findings.map((f) => f.ruleId)).size).toBe(CASES.length);
    const out = JSON.stringify(findings);
    for (const c of CASES) {
      // Any 12-character window of the secret past its kept prefix would be a leak.
      const s = c.secret.replace(/\\n|\n/g, '');
      for (let i = 4; i + 12 <= s.length; i += 6) expect(out).not.toContain(s.slice(i, i + 12));
    }
  });

  it('keeps four characters of long secrets, fewer of short ones', () => {
    expect(redactSecret(ghp)).toBe('ghp_*****');
    expect(redactSecret('abcdefghij')).toBe('ab*****');
    expect(redactSecret('hunter2')).toBe('*****');
  });

  it('id is fingerprint(rule, path, secret hash): stable across lines, different per path and secret', () => {
    const a = scanSecrets('a.txt', file(`x=${ghp}\n`))[0]!;
    const b = scanSecrets('a.txt', file(`\n\n\ny=${ghp}\n`))[0]!;
    const c = scanSecrets('b.txt', file(`x=${ghp}\n`))[0]!;
    const d = scanSecrets('a.txt', file(`x=${gho}\n`))[0]!;
    expect(a.id).toBe(b.id);
    expect(a.target.line).not.toBe(b.target.line);
    expect(c.id).not.toBe(a.id);
    expect(d.id).not.toBe(a.id);
    expect(a.id).not.toContain(ghp.slice(4, 12));
  });

  it('skips binary files (NUL in the first 8 KiB) but not NULs further on', () => {
    const bin = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]), file(`\n${ghp}\n`)]);
    expect(scanSecrets('app.bin', bin)).toEqual([]);
    const late = Buffer.concat([file(`${ghp}\n`), Buffer.alloc(9000, 0x20), Buffer.from([0])]);
    expect(scanSecrets('notes.txt', late).map((f) => f.ruleId)).toEqual(['github-pat']);
  });

  it('skips files over the size limit (default 10 MiB, configurable)', () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
    file(`${ghp}\n`).copy(big);
    expect(scanSecrets('big.log', big)).toEqual([]);
    expect(scanSecrets('small.log', file(`${ghp}\n`), { maxFileSize: 10 })).toEqual([]);
  });

  it('allowlists test fixture paths by default, configurably', () => {
    const c = file(`token=${ghp}\n`);
    expect(scanSecrets('pkg/test/fixtures/creds.env', c)).toEqual([]);
    expect(scanSecrets('go/testdata/x.txt', c)).toEqual([]);
    expect(scanSecrets('pkg/test/fixtures/creds.env', c, { allowedPaths: [] })).toHaveLength(1);
    expect(scanSecrets('secrets/prod.env', c, { allowedPaths: ['secrets/**'] })).toEqual([]);
  });

  it('disabled rules do not run', () => {
    expect(scanSecrets('a', file(`${ghp}\n`), { disabledRules: ['github-pat'] })).toEqual([]);
  });

  it('shows UTF-8 text around the match intact and redacts a second secret on the same line', () => {
    const f = scanSecrets('a.txt', file(`clé=${ghp} autre=${gho}\n`));
    expect(f).toHaveLength(2);
    expect(f[0]!.description).toBe('Match: clé=ghp_***** autre=gho_*****');
  });

  it('entropy: random strings score high, repeated ones low', () => {
    expect(shannonEntropy(t(ALNUM, 40))).toBeGreaterThan(4.5);
    expect(shannonEntropy('aaaaaaaa')).toBe(0);
  });
});

describe('adversarial input', () => {
  it('a run of BEGIN lines without END, and long near-miss runs, finish with nothing found', () => {
    expect(scanSecrets('a.pem', file('-----BEGIN RSA PRIVATE KEY-----\n'.repeat(20000)))).toEqual([]);
    expect(scanSecrets('a.txt', file(`postgres://a:${'b:'.repeat(100000)}`))).toEqual([]);
    expect(scanSecrets('a.txt', file('password = '.repeat(100000)))).toEqual([]);
  });

  it('thousands of secrets in one file are each reported once, in order', () => {
    const ids = Array.from({ length: 5000 }, () => `AKIA${t(UPPER_BASE32, 16)}`);
    const found = scanSecrets('keys.csv', file(`${ids.join('\n')}\n`));
    expect(found.map((f) => f.target.line)).toEqual(ids.map((_, i) => i + 1));
  });
});

describe('fuzzing', () => {
  it('arbitrary bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        expect(Array.isArray(scanSecrets('f.txt', Buffer.from(bytes)))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('keyword soup never throws and never leaks a matched secret', () => {
    const pieces = [
      ...SECRET_RULES.flatMap((r) => r.keywords),
      '=',
      ': ',
      '"',
      "'",
      '\n',
      '@',
      '://',
      '-----BEGIN RSA PRIVATE KEY-----\n',
      '-----END RSA PRIVATE KEY-----',
      '\\n',
      ghp,
      slack,
      t(BASE64, 40),
      t(ALNUM, 12),
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 60 }), (parts) => {
        const findings = scanSecrets('soup.txt', file(parts.join('')));
        const out = JSON.stringify(findings);
        if (findings.some((f) => f.ruleId === 'github-pat')) expect(out).not.toContain(ghp.slice(4, 20));
      }),
      { numRuns: 500 },
    );
  });
});
