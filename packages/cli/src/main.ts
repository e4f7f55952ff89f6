// Entry point of the `palisade` command: builds the command tree and maps errors to exit codes.

import { agentReexecArgs, runReexecuted, stopWhenReexecParentGoes } from './agent-reexec.js';

const reexec = agentReexecArgs(process.argv, process.execArgv, process.env);
if (reexec) {
  process.exitCode = await runReexecuted(reexec);
} else {
  stopWhenReexecParentGoes();
  // Loaded only here, so that a parent waiting for a re-executed agent holds none of the CLI.
  const { runCli } = await import('./program.js');
  process.exitCode = await runCli(process.argv);
}
