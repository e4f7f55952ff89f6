import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConntrackLine } from '../flows/conntrack-line.js';
import { loadPolicyModel } from '../model/load.js';
import { deleteArgs, forbiddenEntries } from './cut.js';

const shop = readFileSync(path.join(import.meta.dirname, '../../test/fixtures/shop.yaml'), 'utf8');

describe('cutting forbidden connections', () => {
  const model = loadPolicyModel([{ path: 'shop.yaml', text: shop }]);
  const line = (src: string, dst: string, dport: number) =>
    `ipv4     2 tcp      6 431999 ESTABLISHED src=${src} dst=${dst} sport=40000 dport=${dport} src=${dst} dst=${src} sport=${dport} dport=40000 [ASSURED] mark=0 use=1`;

  it('picks the entries the model denies, judged by their original direction', () => {
    const entries = [
      line('10.10.1.2', '10.10.2.2', 8080), // frontend → api http: allowed
      line('10.10.1.2', '10.10.3.2', 5432), // frontend → db: denied
      line('198.51.100.4', '10.10.2.2', 8080), // outside → api: denied
    ].map((l) => parseConntrackLine(l)!);
    expect(forbiddenEntries(entries, model).map((e) => `${e.src}>${e.dst}:${e.dport}`)).toEqual([
      '10.10.1.2>10.10.3.2:5432',
      '198.51.100.4>10.10.2.2:8080',
    ]);
  });

  it('deletes by the exact original tuple', () => {
    expect(deleteArgs(parseConntrackLine(line('10.10.1.2', '10.10.3.2', 5432))!)).toEqual(
      '-D -f ipv4 -p tcp -s 10.10.1.2 -d 10.10.3.2 --sport 40000 --dport 5432'.split(' '),
    );
  });
});
