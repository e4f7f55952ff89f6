// `palisade users list|create|disable|enable|passwd` (admin work on the users of a tenant subtree,
// and one's own password) and `palisade login|logout`. Passwords are read from the terminal
// without echo, or from stdin with --password-stdin; they never appear as flags.

import { createInterface } from 'node:readline';
import { UsageError } from '@palisade/core';
import { PalisadeClient } from '@palisade/server/client';
import { Command, Option } from 'commander';
import { clientOptions, connect, limitOption, print, type Row } from './client.js';
import { credentialsPath, removeCredentials, saveCredentials } from './credentials.js';

type UserRole = 'admin' | 'analyst' | 'read-only';
const USER_ROLES: UserRole[] = ['admin', 'analyst', 'read-only'];
const USER_COLUMNS = ['id', 'name', 'email', 'role', 'tenantId', 'disabled', 'lastLoginAt'];

const passwordStdinOption = () =>
  new Option('--password-stdin', 'read the password(s) from stdin, one per line, instead of prompting');

async function readStdinLines(): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
}

/** Prompts on the terminal with echo turned off. */
function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    return Promise.reject(new UsageError('no terminal to ask for a password on: use --password-stdin'));
  }
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    let asked = false;
    // Echo the question once, then nothing of what is typed.
    out._writeToOutput = (s: string) => {
      if (!asked) {
        process.stderr.write(s);
        asked = true;
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/** The passwords a command needs, in order: from stdin lines, or prompted for. */
async function readPasswords(fromStdin: boolean | undefined, questions: string[]): Promise<string[]> {
  if (fromStdin) {
    const lines = await readStdinLines();
    if (lines.length < questions.length) {
      throw new UsageError(`expected ${questions.length} line(s) on stdin: ${questions.join(', ')}`);
    }
    return lines.slice(0, questions.length);
  }
  const answers: string[] = [];
  for (const q of questions) answers.push(await promptHidden(`${q}: `));
  return answers;
}

async function newPassword(fromStdin: boolean | undefined, leading: string[] = []): Promise<string[]> {
  if (fromStdin) return readPasswords(true, [...leading, 'new password']);
  const answers = await readPasswords(false, [...leading, 'new password', 'new password again']);
  if (answers[answers.length - 1] !== answers[answers.length - 2]) throw new UsageError('the passwords do not match');
  return answers.slice(0, -1);
}

export function usersCommand(): Command {
  const users = new Command('users').description(
    'people who log in (admin, analyst, read-only): list, create, disable, enable, change passwords',
  );

  clientOptions(
    users
      .command('list')
      .description('list users of your tenant subtree (admin)')
      .addOption(limitOption())
      .addOption(new Option('--role <role>', 'only this role').choices(USER_ROLES))
      .option('--disabled', 'only disabled users')
      .option('--q <text>', 'filter by name or email'),
  ).action(async (_o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{ role?: UserRole; disabled?: boolean; q?: string }>();
    const page = await client.listUsers({ limit: flags.limit, role: o.role, disabled: o.disabled, q: o.q });
    print(flags, page, page.items as unknown as Row[], USER_COLUMNS);
  });

  clientOptions(
    users
      .command('create')
      .description('create a user (admin); the password is prompted for, or read with --password-stdin')
      .requiredOption('--name <name>', 'login name: a-z 0-9 . _ @ - (stored lower-case)')
      .addOption(new Option('--role <role>', 'admin, analyst or read-only').choices(USER_ROLES).makeOptionMandatory())
      .option('--email <email>', 'email address (also accepted as the login name)')
      .option('--tenant <id>', 'tenant the user belongs to (default: yours)')
      .addOption(passwordStdinOption()),
  ).action(async (_o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{ name: string; role: UserRole; email?: string; tenant?: string; passwordStdin?: boolean }>();
    const [password] = await newPassword(o.passwordStdin);
    const u = await client.createUser({
      name: o.name,
      role: o.role,
      email: o.email,
      tenantId: o.tenant,
      password: password ?? '',
    });
    print(flags, u, [u as unknown as Row], USER_COLUMNS);
  });

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    clientOptions(
      users
        .command(verb)
        .description(
          disabled
            ? 'disable a user (admin): their sessions end and the API tokens they own stop working'
            : 're-enable a disabled user (admin)',
        )
        .argument('<id>', 'user id'),
    ).action(async (id: string, _o, cmd: Command) => {
      const { client, flags } = connect(cmd);
      const u = await client.updateUser(id, { disabled });
      print(flags, u, [u as unknown as Row], USER_COLUMNS);
    });
  }

  clientOptions(
    users
      .command('passwd')
      .description(
        "change your own password (asks the current one), or as an admin another user's; other sessions of that user end",
      )
      .argument('[id]', 'user id (default: yourself); with --password-stdin your own change reads current then new')
      .addOption(passwordStdinOption()),
  ).action(async (id: string | undefined, _o, cmd: Command) => {
    const { client, flags } = connect(cmd);
    const o = cmd.opts<{ passwordStdin?: boolean }>();
    const me = await client.me();
    const target = id ?? me.user?.id;
    if (!target) throw new UsageError('this token belongs to no user: name the user id (palisade users passwd ID)');
    const own = target === me.user?.id;
    const answers = await newPassword(o.passwordStdin, own ? ['current password'] : []);
    const u = own
      ? await client.changePassword(target, answers[1] ?? '', answers[0])
      : await client.changePassword(target, answers[0] ?? '');
    print(flags, u, [u as unknown as Row], ['id', 'name', 'passwordChangedAt']);
  });

  return users;
}

export function loginCommand(): Command {
  return new Command('login')
    .description(
      'log in as a user: prints a session token for PALISADE_TOKEN, or with --save keeps it in ~/.palisade/credentials (0600)',
    )
    .addOption(new Option('--server <url>', 'Palisade server URL').env('PALISADE_SERVER').makeOptionMandatory())
    .requiredOption('--name <name>', 'user name or email')
    .addOption(passwordStdinOption())
    .option(
      '--save',
      `keep the session in ${credentialsPath()} for later client commands (nothing is stored otherwise)`,
    )
    .action(async (o: { server: string; name: string; passwordStdin?: boolean; save?: boolean }) => {
      const [password] = await readPasswords(o.passwordStdin, ['password']);
      const answer = await PalisadeClient.login(o.server, o.name, password ?? '');
      if (o.save) {
        const file = saveCredentials({
          server: o.server,
          token: answer.token,
          expiresAt: answer.expiresAt,
          user: answer.user.name,
        });
        process.stderr.write(
          `logged in as ${answer.user.name} (${answer.user.role}) until ${answer.expiresAt}; saved to ${file}\n`,
        );
        return;
      }
      process.stderr.write(`logged in as ${answer.user.name} (${answer.user.role}) until ${answer.expiresAt}\n`);
      process.stdout.write(`${answer.token}\n`);
    });
}

export function logoutCommand(): Command {
  return clientOptions(
    new Command('logout').description('end your login session and remove ~/.palisade/credentials if present'),
  ).action(async (_o, cmd: Command) => {
    const { client } = connect(cmd);
    const r = await client.logout();
    const removed = removeCredentials();
    process.stderr.write(
      `${r.ended ? 'session ended' : 'not a session token; nothing to end'}${removed ? `; removed ${credentialsPath()}` : ''}\n`,
    );
  });
}
