import { gunzipSync } from 'node:zlib';

// Reading a backup made by `todo db backup` (PGlite's dumpDataDir: a gzipped tar of the data
// directory). Checked here, before PGlite sees it: PGlite's loader crashes the process on a
// stream that is not gzip.

const BLOCK = 512;

/** The tar inside a backup file's bytes, or a one-line reason why it is not a backup. */
export function readBackupTarball(bytes: Uint8Array): { tar: Uint8Array } | { reason: string } {
  let tar = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      tar = gunzipSync(bytes);
    } catch (error) {
      return { reason: `it is damaged (${(error as Error).message})` };
    }
  }
  const names = tarEntryNames(tar);
  if (!names.some((name) => name.replace(/^\.?\//, '') === 'PG_VERSION')) {
    return { reason: 'it is not a backup of an embedded database (no PG_VERSION inside)' };
  }
  return { tar };
}

/** Names of the entries of a ustar archive; stops at the end marker or at damage. */
function tarEntryNames(tar: Uint8Array): string[] {
  const names: string[] = [];
  const decoder = new TextDecoder();
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) =>
      decoder.decode(header.subarray(start, start + length)).replace(/\0.*$/s, '');
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    if (!Number.isFinite(size)) break;
    const prefix = field(345, 155);
    names.push(prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return names;
}
