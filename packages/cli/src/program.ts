// The command tree. Each command parses its flags and calls into the packages; no domain logic here.

import { Command, CommanderError } from 'commander';
import { agentCommand } from './commands/agent.js';
import { clientCommands } from './commands/client.js';
import { dbCommand } from './commands/db.js';
import { hostCommand } from './commands/host.js';
import { netpolCommand } from './commands/netpol.js';
import { rulesCommand } from './commands/rules.js';
import { scanCommand } from './commands/scan.js';
import { serverCommand } from './commands/server.js';
import { upCommand } from './commands/up.js';
import { loginCommand, logoutCommand, usersCommand } from './commands/users.js';
import { describeError, EXIT_ERROR } from './exit.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('palisade')
    .description('Palisade: cloud workload protection — scan, harden, detect, enforce')
    .version(VERSION, '-v, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(scanCommand());
  program.addCommand(dbCommand());
  program.addCommand(rulesCommand());
  program.addCommand(hostCommand());
  program.addCommand(agentCommand());
  program.addCommand(netpolCommand());
  program.addCommand(serverCommand());
  program.addCommand(upCommand());
  for (const c of clientCommands()) program.addCommand(c);
  program.addCommand(usersCommand());
  program.addCommand(loginCommand());
  program.addCommand(logoutCommand());
  // Subcommands inherit exitOverride so that usage errors come back here as exit code 2.
  for (const c of allCommands(program)) c.exitOverride();
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
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
