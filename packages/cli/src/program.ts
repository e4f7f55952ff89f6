// The command tree. Each command parses its flags and calls into the packages; no domain logic here.

import { Command, CommanderError } from 'commander';
import { describeError, EXIT_ERROR } from './exit.js';
import { VERSION } from './version.js';

// Each group of commands is imported only when the command line names one of its commands, so a
// long-running `palisade agent` does not hold the scanner, the server and their dependencies in
// memory (loading every command cost ~45 MB of resident memory). The bundler turns each dynamic
// import into its own chunk.
type CommandGroup = () => Promise<Command[]>;

/** Command groups in help order. */
const GROUPS: Record<string, CommandGroup> = {
  scan: async () => [(await import('./commands/scan.js')).scanCommand()],
  db: async () => [(await import('./commands/db.js')).dbCommand()],
  rules: async () => [(await import('./commands/rules.js')).rulesCommand()],
  host: async () => [(await import('./commands/host.js')).hostCommand()],
  agent: async () => [(await import('./commands/agent.js')).agentCommand()],
  netpol: async () => [(await import('./commands/netpol.js')).netpolCommand()],
  server: async () => [(await import('./commands/server.js')).serverCommand()],
  up: async () => [(await import('./commands/up.js')).upCommand()],
  client: async () => (await import('./commands/client.js')).clientCommands(),
  users: async () => {
    const m = await import('./commands/users.js');
    return [m.usersCommand(), m.loginCommand(), m.logoutCommand()];
  },
};

/** Top-level command name → its group (program.test.ts checks this against the commands built). */
export const COMMAND_GROUP: Record<string, string> = {
  scan: 'scan',
  db: 'db',
  rules: 'rules',
  host: 'host',
  agent: 'agent',
  netpol: 'netpol',
  server: 'server',
  up: 'up',
  workloads: 'client',
  findings: 'client',
  alerts: 'client',
  tokens: 'client',
  posture: 'client',
  policies: 'client',
  images: 'client',
  users: 'users',
  login: 'users',
  logout: 'users',
};

/**
 * The command tree for `argv` (process.argv shape): only the named command's group when the first
 * word is a known command; every command otherwise (top-level help, unknown commands).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('palisade')
    .description('Palisade: cloud workload protection — scan, harden, detect, enforce')
    .version(VERSION, '-v, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  const group = first === undefined ? undefined : COMMAND_GROUP[first];
  const load = group ? [GROUPS[group]!] : Object.values(GROUPS);
  for (const commands of await Promise.all(load.map((g) => g()))) {
    for (const c of commands) program.addCommand(c);
  }
  // Subcommands inherit exitOverride so that usage errors come back here as exit code 2.
  for (const c of allCommands(program)) c.exitOverride();
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : EXIT_ERROR;
    }
    process.stderr.write(`palisade: ${describeError(err)}\n`);
    return EXIT_ERROR;
  }
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}
