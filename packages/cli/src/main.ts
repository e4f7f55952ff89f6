// Entry point of the `palisade` command: builds the command tree and maps errors to exit codes.

import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
