import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';

// What a `todo` command is. Command modules and the runner both import this file, and it
// imports neither, so no module imports another that imports it back.

/** A failure the user caused: main.ts prints its message alone, without a stack trace. */
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

export interface Command {
  /** What follows `todo` on the command line: one word, or two for "db migrate" and friends. */
  name: string;
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
