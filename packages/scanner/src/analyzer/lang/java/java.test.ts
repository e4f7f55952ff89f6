import { crc32, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fixture, ids, run } from '../__fixtures__/harness.js';
import { gradleLockfileAnalyzer } from './gradle-lockfile.js';
import { JAR_LIMITS, jarAnalyzer } from './jar.js';
import { pomXmlAnalyzer } from './pom-xml.js';

describe('Java archives', () => {
  it('reads pom.properties from a plain jar', async () => {
    const { packages, warnings } = await run(
      jarAnalyzer,
      'app/lib/greeter-1.4.2.jar',
      fixture('java', 'greeter-1.4.2.jar'),
    );
    expect(warnings).toEqual([]);
    expect(packages).toEqual([
      {
        name: 'com.example:greeter',
        version: '1.4.2',
        ecosystem: 'Maven',
        purl: 'pkg:maven/com.example/greeter@1.4.2',
        filePath: 'app/lib/greeter-1.4.2.jar',
      },
    ]);
  });

  it('opens nested jars in a fat jar and a war, with the manifest fallback for OSGi bundles', async () => {
    const fat = await run(jarAnalyzer, 'shop-app-fat.jar', fixture('java', 'shop-app-fat.jar'));
    expect(fat.warnings).toEqual([]);
    expect(fat.packages.map((p) => [p.name, p.version, p.filePath])).toEqual([
      ['com.example:shop-app', '0.9.0-SNAPSHOT', 'shop-app-fat.jar'],
      ['com.example:greeter', '1.4.2', 'shop-app-fat.jar/BOOT-INF/lib/greeter-1.4.2.jar'],
      ['org.example:widgets', '2.0.1', 'shop-app-fat.jar/BOOT-INF/lib/osgi.jar'],
    ]);
    const war = await run(jarAnalyzer, 'srv/shop.war', fixture('java', 'shop.war'));
    expect(ids(war.packages)).toEqual([
      'com.example:greeter@1.4.2',
      'com.example:shop-app@0.9.0-SNAPSHOT',
      'org.example:widgets@2.0.1',
    ]);
  });

  it('stops at the nesting depth limit', async () => {
    let archive = zip([['META-INF/maven/g/level5/pom.properties', 'groupId=g\nartifactId=level5\nversion=1']]);
    for (let level = 4; level >= 0; level--) {
      archive = zip([
        [`META-INF/maven/g/level${level}/pom.properties`, `groupId=g\nartifactId=level${level}\nversion=1`],
        [`lib/level${level + 1}.jar`, archive],
      ]);
    }
    const { packages } = await run(jarAnalyzer, 'deep.jar', archive);
    expect(ids(packages)).toEqual(['g:level0@1', 'g:level1@1', 'g:level2@1', 'g:level3@1']);
  });

  it('skips a nested entry whose compression ratio says zip bomb', async () => {
    const bomb = zip([
      ['META-INF/maven/g/outer/pom.properties', 'groupId=g\nartifactId=outer\nversion=1'],
      ['lib/bomb.jar', Buffer.alloc(20 * 1024 * 1024)],
    ]);
    expect(bomb.length).toBeLessThan(100_000);
    const { packages, warnings } = await run(jarAnalyzer, 'bomb.jar', bomb);
    expect(ids(packages)).toEqual(['g:outer@1']);
    expect(warnings).toEqual(['bomb.jar: skipped lib/bomb.jar (suspicious compression ratio)']);
  });

  it('skips a nested archive over the size limit, with a warning', async () => {
    const saved = JAR_LIMITS.maxNestedArchiveBytes;
    JAR_LIMITS.maxNestedArchiveBytes = 1000;
    try {
      const inner = fixture('java', 'greeter-1.4.2.jar');
      const archive = zip([['lib/big.jar', inner]]);
      const { result, warnings } = await run(jarAnalyzer, 'outer.jar', archive);
      expect(result).toBeUndefined();
      expect(warnings).toEqual([`outer.jar: skipped lib/big.jar (${inner.length} bytes, over the limit)`]);
    } finally {
      JAR_LIMITS.maxNestedArchiveBytes = saved;
    }
  });

  it('warns on a file that is not a zip, and on a truncated one', async () => {
    const garbage = await run(jarAnalyzer, 'x.jar', Buffer.from('not a zip at all, just text'));
    expect(garbage.result).toBeUndefined();
    expect(garbage.warnings[0]).toMatch(/^x\.jar: not a readable Java archive/);
    const truncated = await run(jarAnalyzer, 'y.jar', fixture('java', 'shop.war').subarray(0, 1500));
    expect(truncated.result).toBeUndefined();
    expect(truncated.warnings).toHaveLength(1);
  });
});

describe('pom.xml', () => {
  it('lists direct dependencies with literal or same-pom property versions; test scope is dev', async () => {
    const { packages, warnings } = await run(pomXmlAnalyzer, 'orders/pom.xml', fixture('java', 'pom.xml'));
    expect(warnings).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`)).toEqual([
      'com.fasterxml.jackson.core:jackson-databind@2.15.2',
      'org.springframework:spring-web@6.0.11',
      'com.example:orders-api@2.1.0',
      'org.apache.commons:commons-lang3@3.12.0',
      'org.junit.jupiter:junit-jupiter@5.10 dev',
    ]);
    expect(packages[0]?.purl).toBe('pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2');
  });

  it('warns on XML that is not a pom and on broken XML', async () => {
    expect((await run(pomXmlAnalyzer, 'pom.xml', '<settings/>')).warnings[0]).toMatch(/not a Maven pom/);
    expect((await run(pomXmlAnalyzer, 'pom.xml', '<project><dependencies>')).warnings).toHaveLength(1);
  });
});

describe('gradle.lockfile', () => {
  it('lists locked coordinates; dev when only test configurations use them', async () => {
    const { packages, warnings } = await run(
      gradleLockfileAnalyzer,
      'app/gradle.lockfile',
      fixture('java', 'gradle.lockfile'),
    );
    expect(warnings).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`)).toEqual([
      'com.fasterxml.jackson.core:jackson-core@2.15.2',
      'com.google.guava:guava@32.1.2-jre',
      'org.junit.jupiter:junit-jupiter-api@5.10.0 dev',
      'org.opentest4j:opentest4j@1.3.0 dev',
    ]);
    expect(packages[1]?.purl).toBe('pkg:maven/com.google.guava/guava@32.1.2-jre');
    expect(
      gradleLockfileAnalyzer.required('gradle/dependency-locks/compileClasspath.lockfile', {
        size: 10,
        mode: 0o100644,
      }),
    ).toBe(true);
  });
});

/** A minimal stored/deflated zip writer, so tests can shape archives the fixtures cannot. */
function zip(entries: [string, string | Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of entries) {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    const packed = deflateRawSync(data);
    const nameBuf = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
