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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // Driver errors may quote a connection string: mask it in the message, the stack and
      // every cause pino folds into them.
      serializers: {
        err: (error: Error) => {
          const serialized = pino.stdSerializers.err(error);
          serialized.message = maskSecrets(serialized.message);
          serialized.stack = maskSecrets(serialized.stack);
          return serialized;
        },
      },
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

/** Masks a password in any postgres URL inside a message (errors from drivers may echo them). */
export function maskSecrets(text: string): string {
  // Up to the last "@" before the path: a password may itself contain a raw "@".
  return text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^/\s]*@/g, '$1***@');
}
