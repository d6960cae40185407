import { type AppError, fail } from '../errors.js';

// If-Match for writes (RFC 9110 §13.1.1): a strong ETag "<version>" or "*". A weak tag
// or garbage never matches, so the write is refused with 412 rather than applied.

type Precondition = { kind: 'none' } | { kind: 'any' } | { kind: 'versions'; versions: number[] };

function parseIfMatch(header: string | undefined): Precondition {
  if (header === undefined) return { kind: 'none' };
  const value = header.trim();
  if (value === '*') return { kind: 'any' };
  const versions = value
    .split(',')
    .map((part) => /^"(\d{1,9})"$/.exec(part.trim())?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  return { kind: 'versions', versions };
}

export const etagOf = (version: number) => `"${version}"`;

export interface ConditionalWrite<T> {
  /** The request's If-Match header. */
  ifMatch: string | undefined;
  /** The resource's current version; undefined when there is no such resource. */
  currentVersion(): Promise<number | undefined>;
  /** The write, at exactly this version when given; undefined when there is no resource. */
  write(version?: number): Promise<T | undefined>;
  notFound(): AppError;
}

/**
 * Runs a write under If-Match: none → unconditional; "*" → the resource must exist; one
 * version → the write happens only at it; several (or none that parse) → compared with the
 * current version first, then written at exactly that one. 412 when they differ.
 */
async function writeIfMatch<T>(request: ConditionalWrite<T>): Promise<T> {
  const precondition = parseIfMatch(request.ifMatch);
  let version: number | undefined;
  if (precondition.kind === 'versions') {
    version = precondition.versions.length === 1 ? precondition.versions[0] : undefined;
    if (version === undefined) {
      const current = await request.currentVersion();
      if (current === undefined) throw request.notFound();
      if (!precondition.versions.includes(current)) throw fail.versionMismatch();
      version = current;
    }
  }
  const result = await request.write(version);
  if (result === undefined) throw request.notFound();
  return result;
}

/**
 * A conditional write to one resource of the caller's (a task, a list): how to read its
 * current version, and the error when there is no such resource.
 */
export function conditionalWriter(resource: {
  currentVersion(userId: string, id: number): Promise<number | undefined>;
  notFound(): AppError;
}) {
  return <T>(
    userId: string,
    id: number,
    ifMatch: string | undefined,
    write: (version?: number) => Promise<T | undefined>,
  ) =>
    writeIfMatch({
      ifMatch,
      currentVersion: () => resource.currentVersion(userId, id),
      write,
      notFound: resource.notFound,
    });
}
