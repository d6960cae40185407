import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl } from '../../test/support/test-database.js';
import { parseTimestamptz } from './timestamps.js';

// The parser of timestamptz text against the driver's, on text PostgreSQL itself writes.

const driverParser = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text');

describe('parseTimestamptz', () => {
  let client: pg.Client;
  beforeAll(async () => {
    // No type parsing on this connection: the text as the server sends it.
    client = new pg.Client({
      connectionString: adminUrl,
      types: { getTypeParser: () => (value: string) => value },
    } as pg.ClientConfig);
    await client.connect();
  });
  afterAll(() => client.end());

  /** Instants PostgreSQL writes in the session's time zone, as text. */
  async function textsIn(timeZone: string, instants: string[]): Promise<string[]> {
    await client.query(`SET TimeZone = '${timeZone}'`);
    const { rows } = await client.query<{ text: string }>(
      'SELECT t::timestamptz::text AS text FROM unnest($1::text[]) AS t',
      [instants],
    );
    return rows.map((row) => row.text);
  }

  const instants = [
    '2026-11-29T18:40:00Z',
    '2026-11-29T18:40:00.5Z',
    '2026-11-29T18:40:00.123Z',
    '2026-11-29T18:40:00.123456Z',
    '2026-11-29T18:40:00.999999Z',
    '2024-02-29T23:59:59.001Z',
    '2026-03-29T01:30:00Z', // the hour Europe moves its clocks
    '1970-01-01T00:00:00Z',
    '0100-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    // To the driver's parser: a year before 100 or after 9999, BC, infinity.
    '0099-06-01T12:00:00Z',
    '10000-01-01T00:00:00Z',
    '0044-03-15T12:00:00Z BC',
    'infinity',
    '-infinity',
  ];

  it.each([
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'Asia/Kolkata', // +05:30: to the driver's parser
    'Pacific/Chatham', // +13:45
    'America/St_Johns', // -03:30
  ])('reads what PostgreSQL writes in %s as the driver does', async (timeZone) => {
    const texts = await textsIn(timeZone, instants);
    expect(texts).toHaveLength(instants.length);
    for (const text of texts) {
      const expected = driverParser(text) as Date | number;
      const actual = parseTimestamptz(text) as Date | number;
      expect(Number(actual), text).toBe(Number(expected));
    }
  });

  it('reads the common forms itself, to the millisecond', () => {
    expect(parseTimestamptz('2026-11-29 18:40:00.123456+00').toISOString()).toBe(
      '2026-11-29T18:40:00.123Z',
    );
    expect(parseTimestamptz('2026-11-29 19:40:00+01').toISOString()).toBe(
      '2026-11-29T18:40:00.000Z',
    );
    expect(parseTimestamptz('2026-11-29 13:40:00.5-05').toISOString()).toBe(
      '2026-11-29T18:40:00.500Z',
    );
  });
});
