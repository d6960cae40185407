import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

// Paths pino blanks out wherever they appear in a log object.
const redactPaths = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  'cookie',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'connectionString',
  '*.connectionString',
];

/** Fields every line logged while handling one request carries (Better Auth's lines too). */
export interface LogContext {
  request_id?: string;
  /** Set around Better Auth's handler, whose own lines then say who asked. */
  client_address?: string;
}

const logContext = new AsyncLocalStorage<LogContext>();

/** Runs fn with `fields` (and those of any enclosing call) on every line it logs, across awaits. */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...fields }, fn);
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // A fresh object: pino merges the line into it (the line's own fields win).
      mixin: () => ({ ...logContext.getStore() }),
      hooks: {
        // Without a message of its own, pino would take the error's raw message as the
        // line's msg (logger.error(error), logger.error({ err })): give it the safe one.
        logMethod(args, method) {
          const [first, second] = args as unknown[];
          const error = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
          if (error instanceof Error && typeof second !== 'string') {
            const fields = first instanceof Error ? { err: first } : first;
            const msg = serializeError(error).message ?? error.name;
            return method.apply(this, [fields, msg] as unknown as Parameters<typeof method>);
          }
          return method.apply(this, args);
        },
      },
      // Errors are written by structure, never as the objects drivers throw: those carry the
      // query's parameters (a session token, an email) in fields, in drizzle's message and so
      // in the stack; they may also quote a connection string.
      serializers: { err: serializeError, error: serializeError },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

/**
 * Readable lines for a person at a terminal outside production; JSON lines everywhere else
 * (pipes, files, log collectors), so nothing that parses the log sees a different format.
 */
export function terminalDestination(nodeEnv: string): pino.DestinationStream | undefined {
  if (!process.stdout.isTTY || nodeEnv === 'production') return undefined;
  return pretty({
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

export interface SerializedError {
  /** The error's class; absent only for something logged as an error that is not one. */
  type?: string;
  message?: string;
  code?: string | number;
  /** Stack frames only, under a first line rebuilt from the safe message. */
  stack?: string;
  cause?: SerializedError;
  errors?: SerializedError[];
}

const MAX_CAUSE_DEPTH = 5;

/**
 * An error as a log may show it: name, code, a message stripped of query parameters and
 * secrets, stack frames, and the same for its cause. No other field (drizzle's `params` and
 * `query`, pg's `detail`, Better Auth's `body`) is ever copied.
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    // A string, or an object someone built for the log ({ name, code }): the same fields only.
    if (typeof error === 'string') return { message: safeMessage(error, undefined) };
    const fields = (typeof error === 'object' && error !== null ? error : {}) as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
    };
    return {
      ...(typeof fields.name === 'string' ? { type: fields.name } : {}),
      ...(typeof fields.message === 'string'
        ? { message: safeMessage(fields.message, isCode(fields.code) ? fields.code : undefined) }
        : {}),
      ...(isCode(fields.code) ? { code: fields.code } : {}),
    };
  }
  const code = (error as { code?: unknown }).code;
  const message = safeMessage(error.message, isCode(code) ? code : undefined);
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const serialized: SerializedError = {
    // The class (DrizzleQueryError keeps the name "Error"), as pino's own serializer does.
    type: error.constructor?.name || error.name,
    message,
    ...(isCode(code) ? { code } : {}),
    ...(frames.length > 0 ? { stack: [`${error.name}: ${message}`, ...frames].join('\n') } : {}),
  };
  if (depth < MAX_CAUSE_DEPTH) {
    if (error.cause !== undefined) serialized.cause = serializeError(error.cause, depth + 1);
    if (error instanceof AggregateError) {
      serialized.errors = error.errors.slice(0, 5).map((e) => serializeError(e, depth + 1));
    }
  }
  return serialized;
}

function isCode(code: unknown): code is string | number {
  return typeof code === 'string' || typeof code === 'number';
}

/**
 * drizzle appends "params: …" to its "Failed query" message; PostgreSQL quotes the offending
 * value in data and constraint errors (SQLSTATE classes 22 and 23). Both are cut out.
 */
function safeMessage(message: string, code: string | number | undefined): string {
  let safe = message.replace(/\n?params:[\s\S]*$/, '');
  if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) {
    safe = safe.replace(/"(?:[^"]|"")*"/g, '"[redacted]"');
  }
  return maskSecrets(safe);
}

/** Masks a password in any postgres URL inside a message (errors from drivers may echo them). */
export function maskSecrets(text: string): string {
  // Up to the last "@" before the path: a password may itself contain a raw "@".
  return text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^/\s]*@/g, '$1***@');
}
