import { generateKeyBetween } from 'fractional-indexing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/test-database.js';
import type { Database } from './database.js';

// position_between and position_key as the database computes them. position_between is a
// port of generateKeyBetween of the npm package fractional-indexing, which is the oracle.

interface Insertion {
  before: string | null;
  after: string | null;
  key: string;
}

/** mulberry32: a seeded source of numbers in [0, 1), so that a failing run replays. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A list built by `count` insertions, each keyed by keyBetween(its neighbours): at the start,
 * at the end, between random neighbours, or in bursts of up to 40 right after the previous
 * insertion, which is how fractions grow long.
 */
async function insertAtRandom(
  count: number,
  seed: number,
  keyBetween: (before: string | null, after: string | null) => string | Promise<string>,
): Promise<{ insertions: Insertion[]; list: string[] }> {
  const random = seededRandom(seed);
  const list: string[] = [];
  const insertions: Insertion[] = [];
  let previous = 0;
  let burst = 0;
  for (let i = 0; i < count; i++) {
    let index: number;
    const draw = random();
    if (burst > 0 || draw >= 0.8) {
      burst = burst > 0 ? burst - 1 : Math.floor(random() * 40);
      index = Math.min(previous + 1, list.length);
    } else if (draw < 0.2) index = 0;
    else if (draw < 0.4) index = list.length;
    else index = Math.floor(random() * (list.length + 1));
    const before = list[index - 1] ?? null;
    const after = list[index] ?? null;
    const key = await keyBetween(before, after);
    insertions.push({ before, after, key });
    list.splice(index, 0, key);
    previous = index;
  }
  return { insertions, list };
}

/** The integer part of a key: its head letter gives its length, 'a' 2 … 'z' 27, 'Z' 2 … 'A' 27. */
function integerPart(key: string): string {
  const head = key.charCodeAt(0);
  const lowerA = 'a'.charCodeAt(0);
  const upperZ = 'Z'.charCodeAt(0);
  return key.slice(0, head >= lowerA ? head - lowerA + 2 : upperZ - head + 2);
}

const smallestInteger = `A${'0'.repeat(26)}`;
const largestInteger = `z${'z'.repeat(26)}`;

// Neighbours at the edges of the key space, which random insertions do not reach; before the
// integer just above the smallest, the library answers the smallest integer itself.
const edgePairs: [string | null, string | null][] = [
  [null, `${smallestInteger}1`],
  [null, `${smallestInteger}01`],
  [null, `A${'0'.repeat(25)}1`],
  [null, 'Yzzz'],
  [null, 'b00'],
  [null, 'a0V'],
  [largestInteger, null],
  [`${largestInteger}zzV`, null],
  [`y${'z'.repeat(25)}`, null],
  ['Zz', null],
  ['az', null],
  ['Zz', 'a0'],
  ['az', 'b00'],
  ['azzV', 'b00'],
  ['a0', 'a01'],
  ['a0', 'a0001'],
  ['a0z', 'a1'],
  ['a0zz', 'a1'],
  ['a1', 'a2'],
  ['a0', 'c000'],
  [`${smallestInteger}1`, `${smallestInteger}2`],
  [`${largestInteger}1`, `${largestInteger}2`],
];

const malformedKeys = [
  '', // no head
  'a', // too short for its head
  'b0', // likewise
  'Z',
  'a00', // trailing zero in the fraction
  'a0V0',
  'a0!', // not a base-62 digit
  'a0é',
  'a0 ',
  ' a0',
  '0a', // a digit for a head
  '-a0',
  smallestInteger, // no key below it
];

describe.each(['server', 'embedded'] as const)('position keys on %s', (kind) => {
  let close: () => Promise<void>;
  let db: Database;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind));
  });
  afterAll(() => close());

  /** position_between over many pairs in one query, in the order given. */
  async function keysBetween(pairs: readonly (readonly [string | null, string | null])[]) {
    const rows = await db.query<{ key: string }>(
      `SELECT position_between(pair.before, pair.after) AS key
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS pair(before, after, n)
        ORDER BY pair.n`,
      [pairs.map(([before]) => before), pairs.map(([, after]) => after)],
    );
    return rows.map((r) => r.key);
  }

  /** The SQLSTATE and message of the error one statement raises. */
  async function failureOf(sql: string, params: unknown[]) {
    return db.query(sql, params).then(
      () => ({ code: 'none', message: 'no error' }),
      (error: { code: string; message: string }) => ({ code: error.code, message: error.message }),
    );
  }

  describe('position_between', () => {
    it('gives the key generateKeyBetween gives, on 4 000 random insertions', async () => {
      const { insertions } = await insertAtRandom(4000, 20261201, generateKeyBetween);
      const pairs = insertions.map(({ before, after }) => [before, after] as const);

      // The insertions reach every branch of the algorithm, so agreeing on them means something.
      const branches = new Map<string, number>();
      for (const { before, after } of insertions) {
        const branch =
          before === null
            ? after === null
              ? 'empty list'
              : 'at the start'
            : after === null
              ? 'at the end'
              : integerPart(before) === integerPart(after)
                ? 'same integer part'
                : 'different integer parts';
        branches.set(branch, (branches.get(branch) ?? 0) + 1);
      }
      expect(branches.get('empty list')).toBe(1);
      for (const branch of [
        'at the start',
        'at the end',
        'same integer part',
        'different integer parts',
      ]) {
        expect(branches.get(branch) ?? 0, branch).toBeGreaterThan(100);
      }
      const expected = insertions.map((i) => i.key);
      expect(Math.max(...expected.map((key) => key.length))).toBeGreaterThan(20);

      const actual = await keysBetween(pairs);
      expect(actual).toHaveLength(expected.length);
      expect(actual).toEqual(expected);
    });

    it('gives the key generateKeyBetween gives at the edges of the key space', async () => {
      const expected = edgePairs.map(([before, after]) => generateKeyBetween(before, after));
      expect(await keysBetween(edgePairs)).toEqual(expected);
    });

    it('puts every key strictly between its neighbours, compared bytewise', async () => {
      const { insertions, list } = await insertAtRandom(1500, 7, async (before, after) => {
        const [row] = await db.query<{ key: string }>('SELECT position_between($1, $2) AS key', [
          before,
          after,
        ]);
        return row!.key;
      });
      const [check] = await db.query<{ checked: number; out_of_order: number }>(
        `SELECT count(*)::integer AS checked,
                count(*) FILTER (
                  WHERE NOT (coalesce(i.before < i.key COLLATE "C", true)
                             AND coalesce(i.key < i.after COLLATE "C", true)))::integer
                  AS out_of_order
           FROM unnest($1::text[], $2::text[], $3::text[]) AS i(before, key, after)`,
        [
          insertions.map((i) => i.before),
          insertions.map((i) => i.key),
          insertions.map((i) => i.after),
        ],
      );
      expect(check).toEqual({ checked: 1500, out_of_order: 0 });

      // The list in insertion order is the list sorted by its keys: no key repeats.
      const sorted = await db.query<{ key: string }>(
        'SELECT key FROM unnest($1::text[]) AS key GROUP BY key ORDER BY key COLLATE "C"',
        [list],
      );
      expect(sorted.map((r) => r.key)).toEqual(list);
    });

    it("starts an empty list at 'a0' and keeps 10 000 appends within 4 characters", async () => {
      const [appends] = await db.query<{ first: string; count: number; longest: number }>(
        `WITH RECURSIVE appends(n, key) AS (
           SELECT 0, position_between(NULL, NULL)
           UNION ALL
           SELECT n + 1, position_between(key, NULL) FROM appends WHERE n < 9999)
         SELECT min(key) FILTER (WHERE n = 0) AS first, count(*)::integer AS count,
                max(length(key)) AS longest
           FROM appends`,
      );
      expect(appends).toEqual({ first: 'a0', count: 10_000, longest: 4 });
    });

    it('compares bytewise whatever the collation of its arguments', async () => {
      // Under a linguistic collation 'a0' sorts before 'Zz'; bytewise it is the other way.
      const icu = (before: string | null, after: string | null) =>
        db.query<{ key: string }>(
          'SELECT position_between($1 COLLATE "und-x-icu", $2 COLLATE "und-x-icu") AS key',
          [before, after],
        );
      const pairs = [
        ['Zz', 'a0'],
        ['Yzz', 'a0'],
        ['Zz', 'a0V'],
        ['a0', null],
        [null, 'a0'],
      ] as const;
      const keys = [];
      for (const [before, after] of pairs) keys.push((await icu(before, after))[0]!.key);
      expect(keys).toEqual(pairs.map(([before, after]) => generateKeyBetween(before, after)));
      await expect(icu('a0', 'Zz')).rejects.toMatchObject({ code: 'TDP01' });
      await expect(icu('a0é', null)).rejects.toMatchObject({ code: 'TDP02' });
    });

    it('refuses neighbours that are not in order (TDP01)', async () => {
      for (const [before, after] of [
        ['a1', 'a1'],
        ['a2', 'a1'],
        ['b00', 'az'],
        ['a0V', 'a0'],
        ['a0', 'Zz'],
      ]) {
        expect(
          await failureOf('SELECT position_between($1, $2)', [before, after]),
          `${before}, ${after}`,
        ).toEqual({
          code: 'TDP01',
          message: `no position key between ${before} and ${after}: they are not in order`,
        });
      }
    });

    it('refuses a malformed key on either side (TDP02)', async () => {
      for (const key of malformedKeys) {
        for (const params of [
          [key, null],
          [null, key],
          [key, 'b00'],
          ['Zz', key],
        ]) {
          expect(
            await failureOf('SELECT position_between($1, $2)', params),
            JSON.stringify(params),
          ).toEqual({ code: 'TDP02', message: `malformed position key: ${key}` });
        }
      }
    });
  });

  describe('position_after', () => {
    it('gives what position_between(key, NULL) gives, for every key of a long random list', async () => {
      const { insertions } = await insertAtRandom(4000, 20261129, generateKeyBetween);
      const keys = [
        ...new Set([
          ...insertions.map((i) => i.key),
          ...edgePairs.flat().filter((key): key is string => key !== null),
        ]),
      ];
      const rows = await db.query<{ key: string; after: string; between: string }>(
        `SELECT key, position_after(key) AS after, position_between(key, NULL) AS between
           FROM unnest($1::text[]) AS key`,
        [keys],
      );
      expect(rows).toHaveLength(keys.length);
      expect(rows.filter((r) => r.after !== r.between)).toEqual([]);
      // Both the shortcut (a digit goes up) and the way through position_between are taken.
      const shortcut = rows.filter(
        ({ key }) => key === integerPart(key) && !key.startsWith('A') && !key.endsWith('z'),
      );
      expect(shortcut.length).toBeGreaterThan(100);
      expect(rows.length - shortcut.length).toBeGreaterThan(100);
      const [empty] = await db.query<{ key: string }>('SELECT position_after(NULL) AS key');
      expect(empty!.key).toBe(generateKeyBetween(null, null));
    });

    it('refuses a malformed key as position_between does (TDP02)', async () => {
      for (const key of malformedKeys) {
        expect(await failureOf('SELECT position_after($1)', [key]), key).toEqual({
          code: 'TDP02',
          message: `malformed position key: ${key}`,
        });
      }
    });

    it('is inlined into the query that calls it: no function call of its own', async () => {
      const plan = await db.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (VERBOSE, COSTS OFF)
         SELECT position_after(key) FROM unnest(ARRAY['a1', 'b0A']) AS key`,
      );
      const text = plan.map((row) => row['QUERY PLAN']).join('\n');
      expect(text).toContain('CASE');
      expect(text).not.toContain('position_after');
    });
  });

  describe('position_key', () => {
    it('is the n-th append, for n up to 5 000 and at 10⁶', async () => {
      const appends = new Map<number, string>();
      let key: string | null = null;
      for (let n = 0; n <= 1_000_000; n++) {
        key = generateKeyBetween(key, null);
        if (n <= 5000 || n === 1_000_000) appends.set(n, key);
      }
      // Where the keys grow a digit: a0 … az, b00 … bzz, c000 …
      expect([0, 61, 62, 62 + 3843, 62 + 3844, 1_000_000].map((n) => appends.get(n))).toEqual([
        'a0',
        'az',
        'b00',
        'bzz',
        'c000',
        'd3B82',
      ]);

      const rows = await db.query<{ key: string }>(
        `SELECT position_key(n) AS key
           FROM unnest($1::bigint[]) WITH ORDINALITY AS i(n, o) ORDER BY i.o`,
        [[...appends.keys()]],
      );
      expect(rows).toHaveLength(5002);
      expect(rows.map((r) => r.key)).toEqual([...appends.values()]);
    });

    it('stays in order where the keys grow a digit, up to the largest bigint', async () => {
      // Head 'a' has 62 keys, 'b' 62², …: the first key of each head follows the last of the one before.
      const firsts: bigint[] = [];
      let first = 0n;
      for (let digits = 1n; digits <= 10n; digits++) {
        first += 62n ** digits;
        firsts.push(first);
      }
      const rows = await db.query<{ last: string; first: string; appended: string }>(
        `SELECT position_key(n - 1) AS last, position_key(n) AS first,
                position_between(position_key(n - 1), NULL) AS appended
           FROM unnest($1::bigint[]) WITH ORDINALITY AS i(n, o) ORDER BY i.o`,
        [[...firsts.map(String), '9223372036854775807']],
      );
      const heads = 'bcdefghijk';
      expect(rows.slice(0, 10)).toEqual(
        [...heads].map((head, i) => ({
          last: String.fromCharCode(head.charCodeAt(0) - 1) + 'z'.repeat(i + 1),
          first: head + '0'.repeat(i + 2),
          appended: head + '0'.repeat(i + 2),
        })),
      );
      const largest = rows[10]!;
      expect(largest.appended).toBe(largest.first);
      expect(largest.first).toMatch(/^k[0-9A-Za-z]{11}$/);

      const [order] = await db.query<{ ascending: boolean }>(
        `SELECT bool_and(k.last < k.first COLLATE "C") AS ascending
           FROM unnest($1::text[], $2::text[]) AS k(last, first)`,
        [rows.map((r) => r.last), rows.map((r) => r.first)],
      );
      expect(order).toEqual({ ascending: true });
    });

    it('refuses a negative index (22023)', async () => {
      expect(await failureOf('SELECT position_key($1)', [-1])).toEqual({
        code: '22023',
        message: 'position key index must not be negative: -1',
      });
    });
  });
});
