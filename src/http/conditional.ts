// If-Match for writes (RFC 9110 §13.1.1): a strong ETag "<version>" or "*". A weak tag
// or garbage never matches, so the write is refused with 412 rather than applied.

export type Precondition =
  | { kind: 'none' }
  | { kind: 'any' }
  | { kind: 'versions'; versions: number[] };

export function parseIfMatch(header: string | undefined): Precondition {
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
