// Splits a RUN's shell text into simple commands (argv lists) — enough shell to spot package
// installs, sudo and pipes, not a full POSIX parser: quotes are honoured, expansions are not.

export interface ShellCommand {
  argv: string[];
  /** The operator that follows this command: "|", "&&", "||", ";" or "" at the end. */
  next: string;
}

export function splitShellCommands(text: string): ShellCommand[] {
  const out: ShellCommand[] = [];
  let argv: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = (): void => {
    if (inWord) argv.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (op: string): void => {
    endWord();
    if (argv.length > 0) out.push({ argv, next: op });
    else if (out.length > 0 && op) out[out.length - 1]!.next = op;
    argv = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      const close = text.indexOf(ch, i + 1);
      const end = close < 0 ? text.length : close;
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text[i + 1];
      inWord = true;
      i++;
    } else if (ch === '&' && text[i + 1] === '&') {
      endCommand('&&');
      i++;
    } else if (ch === '|' && text[i + 1] === '|') {
      endCommand('||');
      i++;
    } else if (ch === '|') {
      endCommand('|');
    } else if (ch === ';' || ch === '\n') {
      endCommand(';');
    } else if (ch === '(' || ch === ')' || ch === '{' || ch === '}') {
      endWord();
    } else if (ch === ' ' || ch === '\t') {
      endWord();
    } else {
      word += ch;
      inWord = true;
    }
  }
  endCommand('');
  return out;
}

/** argv without leading `sudo`, `env VAR=x`, and `VAR=x` assignments, so `sudo apt-get` is `apt-get`. */
export function effectiveArgv(argv: readonly string[]): string[] {
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === 'sudo' || a === 'env' || a === 'exec' || a === 'command' || /^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) i++;
    else if (argv[i - 1] === 'sudo' && a.startsWith('-')) i++;
    else break;
  }
  return argv.slice(i);
}
