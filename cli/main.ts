// Admin command line. Run: npm run cli -- <command> [arguments]; <command> --help for its help.
// Each command is its own module under commands/; this file parses and dispatches.
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../config/load';
import { connectClient } from '../lib/temporal';
import { UsageError, type Command } from './command';
import { COMMANDS } from './commands';

const usageLine = (c: Command) => `npm run cli -- ${c.name}${c.args ? ` ${c.args}` : ''}`;
const helpOf = (c: Command) => `usage: ${usageLine(c)}\n\n${c.help}`;

const OVERVIEW = [
  'usage: npm run cli -- <command> [arguments]   (npm run cli -- <command> --help for more)',
  '',
  ...COMMANDS.map(
    (c) => `  ${`${c.name} ${c.args}`.trimEnd()}\n${c.help.replace(/^/gm, '      ')}`,
  ),
  '',
  'resend, extend, retry-mail, cancel and approve-reset answer at once with the new status, or',
  'with the reason they were refused (exit code 1).',
  '',
  'Settings come from settings.ini (or the file KAIZEN_SETTINGS names).',
].join('\n');

/** Exit code: 0 done, 1 refused or failed, 2 the command line was wrong. */
async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(OVERVIEW);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`unknown command "${name}"\n\n${OVERVIEW}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpOf(command));
    return 0;
  }
  const wrong = (why: string) => {
    console.error(`${name}: ${why}\n\n${helpOf(command)}`);
    return 2;
  };
  let input;
  try {
    input = parseArgs({
      args: rest,
      options: command.options ?? {},
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return wrong((err as Error).message);
  }
  const count = input.positionals.length;
  if (count < (command.minPositionals ?? 0)) return wrong('an argument is missing');
  if (count > (command.maxPositionals ?? Infinity)) return wrong('too many arguments');

  const config = loadConfig();
  let client: Promise<Client> | undefined;
  try {
    const code = await command.run(input, {
      config,
      temporal: () => (client ??= connectClient(config)),
    });
    return code === 2 ? wrong('see the usage') : code;
  } catch (err) {
    if (err instanceof UsageError) return wrong(err.message);
    throw err;
  } finally {
    await (await client?.catch(() => undefined))?.connection.close();
  }
}

/** Exits once stdout is flushed: into a pipe, a long `list` would otherwise be cut short. */
const exit = (code: number) => process.stdout.write('', () => process.exit(code));

run(process.argv.slice(2)).then(
  (code) => exit(code),
  (err: unknown) => {
    // A Temporal error's reason is in its cause ("Failed to list workflows" alone helps no one).
    const cause =
      err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    console.error(err instanceof Error ? `${err.message}${cause}` : String(err));
    exit(1);
  },
);
