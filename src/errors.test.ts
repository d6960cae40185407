import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AppError, asAppError, type ErrorCode, errorCatalogue, fail } from './errors.js';

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')
        ? [join(dir, entry.name)]
        : [],
  );

describe('the error catalogue', () => {
  it('has exactly one factory per code, each making an error of its code', () => {
    const made = Object.values(fail).map(
      (factory) => (factory as (...args: unknown[]) => AppError)('a message', 1).code,
    );
    expect(made.sort()).toEqual((Object.keys(errorCatalogue) as ErrorCode[]).sort());
  });

  it('gives every code a client-error or server-error status, a title and a message', () => {
    for (const entry of Object.values(errorCatalogue)) {
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.title).not.toBe('');
      expect(entry.message).toMatch(/\.$/);
    }
  });

  it('is the only place that constructs an AppError', () => {
    const root = join(import.meta.dirname);
    const constructing = sourceFiles(root).filter(
      (file) => !file.endsWith('errors.ts') && readFileSync(file, 'utf8').includes('new AppError('),
    );
    expect(constructing).toEqual([]);
  });
});

describe('asAppError', () => {
  it('keeps an application error as it is', () => {
    const error = fail.taskNotFound();
    expect(asAppError(error)).toBe(error);
  });

  it('reads an unreachable database from the driver error, also when wrapped', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    expect(asAppError(refused).code).toBe('database_unavailable');
    expect(asAppError(new Error('Failed query', { cause: refused })).code).toBe(
      'database_unavailable',
    );
    expect(asAppError(fail.databaseUnavailable()).details.retryAfterSeconds).toBe(5);
  });

  it('calls anything else a fault of ours, whatever its message says', () => {
    expect(asAppError(new Error('database unavailable')).code).toBe('internal');
    expect(asAppError('a string').code).toBe('internal');
  });
});
