import { parseArgs } from 'node:util';
import { type Config, loadConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { openDatabase, waitForDatabase } from '../db/open-database.js';
import { createLogger, maskSecrets, terminalDestination } from '../logger.js';
import { type CliContext, CliError, type Command } from './command.js';

// `todo`'s runner: finds the command argv names, parses its options and gives it a context.

const help = (commands: readonly Command[]) =>
  [
    'Usage: todo <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(14)} ${c.summary}`),
    '',
    'Run `todo <command> --help` for the options of a command.',
    'Configuration comes from the environment and ./.env (see .env.example).',
  ].join('\n');

/** Runs the command argv names, one of commands (listed in the order `todo --help` shows). */
export async function runCli(
  commands: readonly Command[],
  argv: string[],
  io: Partial<Pick<CliContext, 'out' | 'err' | 'write'>> = {},
): Promise<number> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const write = io.write ?? writeToStdout;
  // "db migrate" and friends are two words.
  const name = argv[0] === 'db' && argv[1] && !argv[1].startsWith('-') ? `db ${argv[1]}` : argv[0];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(help(commands));
    return name ? 0 : 1;
  }
  // A Map, not an object: the name comes from the command line, and "constructor" or
  // "__proto__" must be unknown commands rather than Object.prototype's members.
  const command = new Map(commands.map((c) => [c.name, c])).get(name);
  if (!command) throw new CliError(`unknown command "${name}"; run todo --help`);
  const rest = argv.slice(name.split(' ').length);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message.split('\n')[0]} (todo ${name} --help)`);
  }
  if (parsed.values.help) {
    out(`Usage: todo ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  if (parsed.positionals.length > (command.positionals ?? 0)) {
    throw new CliError(
      `unexpected argument "${parsed.positionals[command.positionals ?? 0]}" (todo ${name} --help)`,
    );
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const logger = createLogger(
    // The long-running commands log as configured; the one-shot ones only what goes wrong.
    name === 'serve' || name === 'worker' ? config.LOG_LEVEL : 'warn',
    terminalDestination(config.NODE_ENV),
  );
  const opened: Database[] = [];
  const ctx: CliContext = {
    config,
    logger,
    out,
    err,
    write,
    async open(options = {}) {
      const db = await openDatabase(config, {
        logger,
        direct: options.direct,
        poolMax: options.direct ? 2 : undefined,
      });
      opened.push(db);
      await waitForDatabase(db, config.DB_CONNECT_RETRIES, logger);
      return db;
    },
  };
  try {
    return await command.run(
      ctx,
      parsed.values as Record<string, string | boolean | undefined>,
      parsed.positionals,
    );
  } catch (error) {
    if (error instanceof Error) error.message = maskSecrets(error.message);
    throw error;
  } finally {
    if (name !== 'serve') await Promise.all(opened.map((db) => db.close().catch(() => {})));
  }
}

/** process.stdout.write, resolved once the text is handed over: a big output stays bounded. */
function writeToStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
  });
}
