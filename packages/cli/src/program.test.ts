// The lazily loaded command tree: the name → group table must list exactly the commands the groups
// build, or a command would be unreachable by name (or load every group when it need not).

import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_GROUP } from './program.js';

describe('command tree', () => {
  it('names every top-level command in COMMAND_GROUP, and nothing else', async () => {
    const all = await buildProgram(['node', 'palisade']);
    expect(all.commands.map((c) => c.name()).sort()).toEqual(Object.keys(COMMAND_GROUP).sort());
  });

  it('builds only the named command group, so each command loads only what it needs', async () => {
    for (const [name, group] of Object.entries(COMMAND_GROUP)) {
      const program = await buildProgram(['node', 'palisade', '--no-color', name, '--help']);
      const expected = Object.entries(COMMAND_GROUP)
        .filter(([, g]) => g === group)
        .map(([n]) => n)
        .sort();
      expect(program.commands.map((c) => c.name()).sort()).toEqual(expected);
    }
  });

  it('builds every command for top-level help and for an unknown command', async () => {
    const n = Object.keys(COMMAND_GROUP).length;
    expect((await buildProgram(['node', 'palisade', '--help'])).commands).toHaveLength(n);
    expect((await buildProgram(['node', 'palisade', 'scna'])).commands).toHaveLength(n);
  });
});
