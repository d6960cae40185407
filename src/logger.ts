import pino, { type Logger } from 'pino';

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

/** Masks a password in any postgres URL inside a message (errors from drivers may echo them). */
export function maskSecrets(text: string): string {
  // Up to the last "@" before the path: a password may itself contain a raw "@".
  return text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^/\s]*@/g, '$1***@');
}
