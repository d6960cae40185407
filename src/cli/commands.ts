import { createInterface } from 'node:readline/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Config, loadConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { Migrator, pad } from '../db/migrator.js';
import { openDatabase, waitForDatabase } from '../db/open-database.js';
import { createLogger, type Logger, maskSecrets, terminalDestination } from '../logger.js';

export class CliError extends Error {
  override name = 'CliError';
}

export interface CliContext {
  config: Config;
  logger: Logger;
  /** Opens the database (DIRECT_DATABASE_URL when direct and set), waiting for it to come up. */
  open(options?: { direct?: boolean }): Promise<Database>;
  out(line: string): void;
  err(line: string): void;
  /** Writes text to stdout as it is (no newline added), waiting while stdout is full. */
  write(text: string): Promise<void>;
}

interface Command {
  summary: string;
  usage: string;
  options?: ParseArgsConfig['options'];
  positionals?: number;
  run(
    ctx: CliContext,
    values: Record<string, string | boolean | undefined>,
    positionals: string[],
  ): Promise<number>;
}

// A Map, not an object: the name comes from the command line, and "constructor" or
// "__proto__" must be unknown commands rather than Object.prototype's members.
const commands = new Map<string, Command>();

export function defineCommand(name: string, command: Command): void {
  commands.set(name, command);
}

const help = () =>
  [
    'Usage: todo <command> [options]',
    '',
    'Commands:',
    ...[...commands].map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`),
    '',
    'Run `todo <command> --help` for the options of a command.',
    'Configuration comes from the environment and ./.env (see .env.example).',
  ].join('\n');

export async function runCli(
  argv: string[],
  io: Partial<Pick<CliContext, 'out' | 'err' | 'write'>> = {},
): Promise<number> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const write = io.write ?? writeToStdout;
  await import('./register.js');
  // "db migrate" and friends are two words.
  const name = argv[0] === 'db' && argv[1] && !argv[1].startsWith('-') ? `db ${argv[1]}` : argv[0];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name ? 0 : 1;
  }
  const command = commands.get(name);
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
    name === 'serve' ? config.LOG_LEVEL : 'warn',
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

/** Parses a whole number option, or throws a one-line reason. */
export function intOption(
  value: string | boolean | undefined,
  name: string,
  min = 0,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < min) {
    throw new CliError(`--${name} takes a whole number${min > 0 ? ` of at least ${min}` : ''}`);
  }
  return n;
}

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export { Migrator, pad };
