import { createLogger, type Logger } from '../../src/logger.js';

// A logger whose lines a test can read back: as written, and parsed.

export interface LogLine {
  level: string;
  msg?: string;
  request_id?: string;
  [field: string]: unknown;
}

export interface CapturedLogs<Line> {
  logger: Logger;
  /** Each line as written. */
  raw: string[];
  /** Each line parsed, in the order written. */
  lines: Line[];
  /** Everything written, for searching. */
  text(): string;
}

export function captureLogs<Line extends LogLine = LogLine>(level = 'debug'): CapturedLogs<Line> {
  const raw: string[] = [];
  const lines: Line[] = [];
  const logger = createLogger(level, {
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line));
    },
  });
  return { logger, raw, lines, text: () => raw.join('\n') };
}
