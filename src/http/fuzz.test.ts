import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import { expectProblem } from '../../test/support/api-assertions.js';
import { buildUser } from '../../test/support/factories.js';
import { encodeCursor } from '../tasks/cursor.js';
import { defaultOrder, type SortKey, sortKeys } from '../tasks/list-query.js';
import type { TaskRow } from '../tasks/repository.js';
import { priorities, taskStatuses } from '../tasks/task.js';
import type { TaskJson } from '../tasks/task-json.js';
import type { Problem } from './problem.js';

// Bad input: fuzzed bodies, headers, query strings and path ids give 4xx, never
// 5xx, every 4xx is application/problem+json, and nothing is lost: the database holds
// exactly what the 2xx responses said. Each property drives one user through random requests
// on every route of both path families and keeps a model (task id → the last task a 2xx
// response returned); after every request the user's rows must equal the model.

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

// ---------------------------------------------------------------------------------------
// Requests as data, so fast-check can generate and shrink them.

type RouteName =
  | 'create'
  | 'list'
  | 'get'
  | 'replace'
  | 'patch'
  | 'remove'
  | 'toggle'
  | 'me'
  | 'export';
const taskRouteNames = ['create', 'list', 'get', 'replace', 'patch', 'remove', 'toggle'] as const;
const idRouteNames = ['get', 'replace', 'patch', 'remove', 'toggle'] as const;
const allRouteNames: readonly RouteName[] = [...taskRouteNames, 'me', 'export'];
const methodOf: Record<RouteName, string> = {
  create: 'POST',
  list: 'GET',
  get: 'GET',
  replace: 'PUT',
  patch: 'PATCH',
  remove: 'DELETE',
  toggle: 'PATCH',
  me: 'GET',
  export: 'GET',
};

type Family = { kind: 'plain' } | { kind: 'own' } | { kind: 'other'; segment: string };
/** A task id in the path: one the model knows (by index) or raw text. */
type IdRef = { kind: 'model'; index: number } | { kind: 'raw'; segment: string };
type QueryPart =
  | { kind: 'pair'; name: string; value: string }
  | { kind: 'lastCursor' }
  | { kind: 'raw'; text: string }
  | { kind: 'forged'; sort: SortKey; value: string | number | null; id: number };
type Auth =
  | { kind: 'jwt' }
  | { kind: 'session' }
  | { kind: 'cookie' }
  | { kind: 'header'; value: string }
  | { kind: 'none' };
type IfMatch =
  | { kind: 'none' }
  | { kind: 'current' }
  | { kind: 'stale' }
  | { kind: 'raw'; value: string };

interface Plan {
  route: RouteName;
  family: Family;
  id: IdRef;
  query: QueryPart[];
  /** Raw body text (sent as UTF-8 with a Content-Length), or none. */
  body: string | null;
  /** null: no Content-Type header at all. */
  contentType: string | null;
  ifMatch: IfMatch;
  idempotencyKey: string | null;
  requestId: string | null;
  auth: Auth;
}

// ---------------------------------------------------------------------------------------
// Arbitraries.

const loneSurrogates = fc.constantFrom('\ud800', '\udfff', 'a\udc00b', '\ud83d');
/** Any UTF-16 code unit, lone surrogates included. */
const codeUnitString = (maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    maxLength,
  });
const nasty = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  codeUnitString(20),
  loneSurrogates,
  fc.constantFrom('\u0000', 'a\u0000b', ' ', '\t\n', '\u00a0', '\ufeff', '\u2028', 'İ', 'ß', '𝕏'),
);
const hugeString = fc
  .record({
    piece: fc.string({ minLength: 1, maxLength: 3 }),
    times: fc.integer({ min: 150, max: 30_000 }),
  })
  .map(({ piece, times }) => piece.repeat(times));
const edgeDates = fc.constantFrom(
  '2031-01-01',
  '2031-01-01T10:00:00Z',
  '2031-01-01T10:00:00.123+05:30',
  '0000-01-01',
  '0001-01-01T00:00:00Z',
  '0000-01-01T00:00:00+01:00',
  '9999-12-31',
  '9999-12-31T23:59:59-14:00',
  '2031-02-29',
  '2032-02-29',
  '2031-06-31T00:00:00Z',
  '2031-01-01T24:00:00Z',
  '2031-01-01T00:00:00.123456789Z',
  '2031-01-01 10:00:00Z',
  '2031-01-01T10:00:00+0530',
  '2031-01-01T10:00:00',
  '1e3',
  '',
);
const isoDates = fc
  .date({
    min: new Date('1900-01-01T00:00:00Z'),
    max: new Date('2100-01-01T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString());
const anyDate = fc.oneof(
  edgeDates,
  isoDates,
  isoDates.map((s) => s.slice(0, 10)),
);

const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: nasty, weight: 4 },
  { arbitrary: hugeString, weight: 1 },
  { arbitrary: fc.oneof(fc.integer(), fc.double()), weight: 2 },
  {
    arbitrary: fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, true, false, null),
    weight: 2,
  },
  {
    arbitrary: fc.array(fc.oneof(nasty, fc.integer(), fc.constant(null)), { maxLength: 4 }),
    weight: 2,
  },
  {
    arbitrary: fc.array(fc.array(fc.array(fc.integer(), { maxLength: 2 }), { maxLength: 2 }), {
      maxLength: 2,
    }),
    weight: 1,
  },
  {
    arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 3,
    }),
    weight: 1,
  },
);
/** A mostly valid value for a field, sometimes anything at all. */
const field = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: valid, weight: 10 }, { arbitrary: weirdValue, weight: 1 });

const validTitle = fc.oneof(
  { arbitrary: fc.string({ minLength: 1, maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), weight: 2 },
  { arbitrary: fc.constantFrom('Buy milk', '  padded  ', 'Ünïcödé ✓', 'x'.repeat(200)), weight: 2 },
  { arbitrary: fc.constantFrom('', '   ', '\u00a0', 'x'.repeat(201), '𝕏'.repeat(201)), weight: 1 },
);
const tagList = fc.oneof(
  { arbitrary: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 4 }), weight: 4 },
  {
    arbitrary: fc.constantFrom(['work'], ['Work', 'work', ' WORK '], [], ['a', 'b', 'c']),
    weight: 2,
  },
  {
    arbitrary: fc.constantFrom(
      [''],
      [' '],
      ['x'.repeat(33)],
      ['İ'.repeat(32)],
      Array.from({ length: 11 }, (_, i) => `t${i}`),
      Array.from({ length: 12 }, (_, i) => (i % 2 ? 'same' : 'SAME')),
    ),
    weight: 1,
  },
);
const taskFields = {
  title: field(validTitle),
  description: field(
    fc.oneof(
      { arbitrary: fc.option(fc.string({ maxLength: 60 })), weight: 12 },
      { arbitrary: fc.constantFrom('d'.repeat(1000), 'd'.repeat(1001)), weight: 1 },
    ),
  ),
  status: field(fc.constantFrom(...taskStatuses)),
  completed: field(fc.boolean()),
  priority: field(fc.constantFrom(...priorities)),
  tags: field(tagList),
  due_date: field(
    fc.oneof({ arbitrary: fc.option(isoDates), weight: 4 }, { arbitrary: anyDate, weight: 1 }),
  ),
};
const readOnlyAndUnknown = {
  id: weirdValue,
  user_id: fc.string(),
  version: fc.integer(),
  created_at: isoDates,
  completed_at: isoDates,
  colour: nasty,
};
/** An object with the task's field names (and read-only and unknown ones, now and then). */
const taskShaped: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  {
    arbitrary: fc.record(
      {
        title: taskFields.title,
        description: taskFields.description,
        status: taskFields.status,
        priority: taskFields.priority,
        tags: taskFields.tags,
        due_date: taskFields.due_date,
      },
      { requiredKeys: ['title'] },
    ),
    weight: 6,
  },
  { arbitrary: fc.record(taskFields, { requiredKeys: [] }), weight: 2 },
  {
    arbitrary: fc
      .tuple(
        fc.record(taskFields, { requiredKeys: [] }),
        fc.record(readOnlyAndUnknown, { requiredKeys: [] }),
      )
      .map(([fields, extra]) => ({ ...fields, ...extra })),
    weight: 1,
  },
);
/** A body that should be accepted as a new task. */
const goodTask = fc.record(
  {
    title: fc.constantFrom('Buy milk', ' Call Ann ', 'Write report', 'ÉTÉ'),
    description: fc.option(fc.constantFrom('soon', 'with \u00e9')),
    priority: fc.constantFrom(...priorities),
    tags: fc.constantFrom(['work'], ['Home', 'home'], []),
    due_date: fc.option(fc.constantFrom('2031-03-01', '2031-03-01T09:30:00+02:00')),
  },
  { requiredKeys: ['title'] },
);

const jsonText = (value: unknown) => JSON.stringify(value) ?? '';
/** (a) JSON of every shape, (b) task-shaped objects, (c) text that is not JSON. */
const anyBody: fc.Arbitrary<string | null> = fc.oneof(
  { arbitrary: taskShaped.map(jsonText), weight: 8 },
  { arbitrary: fc.json({ maxDepth: 3 }), weight: 2 },
  { arbitrary: fc.anything({ maxDepth: 3, maxKeys: 5 }).map(jsonText), weight: 2 },
  {
    arbitrary: fc.oneof(
      codeUnitString(50),
      fc.string({ unit: 'binary', maxLength: 50 }),
      fc.constantFrom(
        '{',
        '{"title":',
        '{"title":"x",}',
        "{'title':'x'}",
        'null',
        '[]',
        '""',
        '\u0000',
      ),
      hugeString,
    ),
    weight: 2,
  },
  { arbitrary: fc.constant(null), weight: 1 },
);

/** Header values the Fetch API can carry: Latin-1 without NUL, CR or LF. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc
      .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x01, max: 0xff }))
      .filter((c) => c !== 0x0a && c !== 0x0d)
      .map((c) => String.fromCharCode(c)),
    maxLength,
  });

const realParams = [
  'limit',
  'cursor',
  'sort',
  'order',
  'completed',
  'status',
  'priority',
  'tag',
  'q',
  'due_before',
  'due_after',
] as const;
const validParamValue: Record<(typeof realParams)[number], fc.Arbitrary<string>> = {
  limit: fc.constantFrom('1', '5', '20', '100', '0', '101', '-1', '1e1', '2.5', ' 7', '0x10', ''),
  cursor: fc.constantFrom('', 'abc', 'e30', 'eyJwIjpbbnVsbCwxXSwiZiI6IngifQ'),
  sort: fc.constantFrom(...sortKeys, 'id', 'TITLE', ''),
  order: fc.constantFrom('asc', 'desc', 'ASC', 'up', ''),
  completed: fc.constantFrom('true', 'false', '1', 'yes', ''),
  status: fc.constantFrom(...taskStatuses, 'done', ''),
  priority: fc.constantFrom(...priorities, '3', ''),
  tag: fc.constantFrom('work', 'Work', 'home', '', ' ', 'x'.repeat(33)),
  q: fc.constantFrom('milk', '%', '_', '\\', "'", 'x'.repeat(201), ''),
  due_before: anyDate,
  due_after: anyDate,
};
const queryPart: fc.Arbitrary<QueryPart> = fc.oneof(
  {
    arbitrary: fc
      .constantFrom(...realParams)
      .chain((name) =>
        fc
          .oneof({ arbitrary: validParamValue[name], weight: 3 }, { arbitrary: nasty, weight: 1 })
          .map((value): QueryPart => ({ kind: 'pair', name, value })),
      ),
    weight: 6,
  },
  {
    arbitrary: fc
      .record({ name: nasty, value: nasty })
      .map(({ name, value }): QueryPart => ({ kind: 'pair', name, value })),
    weight: 1,
  },
  { arbitrary: fc.constant<QueryPart>({ kind: 'lastCursor' }), weight: 1 },
  {
    arbitrary: fc
      .constantFrom('%', '%zz', '%E0%A4%A', 'q=%FF', '&&=&', '=x', 'limit', 'tag[]=a', 'q=%00')
      .map((text): QueryPart => ({ kind: 'raw', text })),
    weight: 1,
  },
);
/** A well-formed cursor (the format is not secret) naming any position at all. */
const forgedCursor: fc.Arbitrary<QueryPart> = fc.record({
  kind: fc.constant('forged' as const),
  sort: fc.constantFrom(...sortKeys),
  value: fc.oneof(
    edgeDates,
    isoDates,
    fc.constantFrom(
      '2031-02-29T00:00:00.000Z',
      '2031-04-31T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ),
    nasty,
    fc.integer({ min: -2, max: 5 }),
    fc.constant(null),
  ),
  id: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
});

const anyFamily: fc.Arbitrary<Family> = fc.oneof(
  { arbitrary: fc.constant<Family>({ kind: 'plain' }), weight: 4 },
  { arbitrary: fc.constant<Family>({ kind: 'own' }), weight: 4 },
  {
    arbitrary: fc
      .oneof(nasty, fc.constantFrom('me', 'tasks', '%', '%zz', '..'))
      .map((segment): Family => ({ kind: 'other', segment })),
    weight: 1,
  },
);
const modelId: fc.Arbitrary<IdRef> = fc.nat().map((index) => ({ kind: 'model', index }));
const rawId: fc.Arbitrary<IdRef> = fc
  .oneof(
    fc.constantFrom(
      'abc',
      '-1',
      '0',
      '00',
      '01',
      '1e3',
      '1.0',
      ' 1',
      '0x1',
      '9007199254740993',
      '99999999999999999999999',
      '9'.repeat(400),
      'Infinity',
      'NaN',
      '١٢٣',
      '%31',
      '%',
      '%zz',
      '%00',
      '%E0%A4%A',
    ),
    nasty,
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  )
  .map((segment) => ({ kind: 'raw', segment }));
const anyId = fc.oneof({ arbitrary: modelId, weight: 3 }, { arbitrary: rawId, weight: 2 });

const anyAuth: fc.Arbitrary<Auth> = fc.oneof(
  {
    arbitrary: fc.constantFrom<Auth>({ kind: 'jwt' }, { kind: 'session' }, { kind: 'cookie' }),
    weight: 6,
  },
  { arbitrary: fc.constant<Auth>({ kind: 'none' }), weight: 1 },
  {
    arbitrary: fc
      .oneof(
        headerText(80),
        headerText(40).map((s) => `Bearer ${s}`),
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          'Basic dXNlcjpwYXNz',
          'Bearer a.b.c',
          'Bearer e30.e30.e30',
        ),
        fc
          .constantFrom('eyJhbGciOiJub25lIn0', 'eyJhbGciOiJFZERTQSJ9')
          .chain((head) => headerText(30).map((rest) => `Bearer ${head}.${rest}.x`)),
      )
      .map((value): Auth => ({ kind: 'header', value })),
    weight: 2,
  },
);
const anyIfMatch: fc.Arbitrary<IfMatch> = fc.oneof(
  fc.constant<IfMatch>({ kind: 'none' }),
  fc.constant<IfMatch>({ kind: 'current' }),
  fc.constant<IfMatch>({ kind: 'stale' }),
  fc
    .oneof(
      fc.constantFrom('*', '"1"', 'W/"1"', '"1", "2"', '"abc"', '""', '"-1"', '"99999999999"', ','),
      headerText(30),
    )
    .map((value): IfMatch => ({ kind: 'raw', value })),
);
const anyContentType: fc.Arbitrary<string | null> = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/problem+json',
    'application/vnd.api+json',
    'application/json;charset=latin1',
    'application/json; foo',
    'application/jsonx',
    'application/foo_bar+json',
    'text/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '',
    ';',
  ),
  headerText(40),
  fc.constant(null),
);
const anyIdempotencyKey: fc.Arbitrary<string | null> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 3 },
  {
    arbitrary: fc.constantFrom('k1', 'k2', 'k3', '', ' ', 'x'.repeat(256), 'x'.repeat(255)),
    weight: 1,
  },
  { arbitrary: headerText(20), weight: 1 },
);
const anyRequestId: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  fc.constantFrom('abc-123', 'a'.repeat(128), 'a'.repeat(129), 'has space', 'ü', '\t id \t'),
  headerText(140),
);

/** Routes, creating more often than deleting, so the user keeps tasks to work on. */
const routes = (...names: RouteName[]): fc.Arbitrary<RouteName> =>
  fc.oneof(
    ...names.map((name) => ({
      arbitrary: fc.constant(name),
      weight: name === 'create' ? 4 : name === 'remove' ? 1 : 2,
    })),
  );

/** A plan with sensible defaults; each property makes some parts random. */
function plans(overrides: { [K in keyof Plan]?: fc.Arbitrary<Plan[K]> }): fc.Arbitrary<Plan> {
  return fc.record({
    route: overrides.route ?? routes(...allRouteNames),
    family: overrides.family ?? fc.constantFrom<Family>({ kind: 'plain' }, { kind: 'own' }),
    id: overrides.id ?? modelId,
    query: overrides.query ?? fc.constant<QueryPart[]>([]),
    body: overrides.body ?? goodTask.map(jsonText),
    contentType: overrides.contentType ?? fc.constant('application/json'),
    ifMatch: overrides.ifMatch ?? fc.constant<IfMatch>({ kind: 'none' }),
    idempotencyKey: overrides.idempotencyKey ?? fc.constant(null),
    requestId: overrides.requestId ?? fc.constant(null),
    auth: overrides.auth ?? fc.constant<Auth>({ kind: 'jwt' }),
  });
}

// ---------------------------------------------------------------------------------------
// Running a plan against the app and the model.

interface Session {
  user: TestUser;
  /** id → the task as the last 2xx response returned it. */
  model: Map<number, TaskJson>;
  /** id → the body of the 201 that created it (what an idempotent replay must return). */
  created: Map<number, string>;
  lastCursor: string | undefined;
  requests: number;
  statuses: Map<number, number>;
}

async function newSession(): Promise<Session> {
  return {
    user: await buildUser(api),
    model: new Map(),
    created: new Map(),
    lastCursor: undefined,
    requests: 0,
    statuses: new Map(),
  };
}

/** Replaces lone surrogates, which encodeURIComponent cannot encode. */
const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const encode = (s: string) => encodeURIComponent(wellFormed(s));
/** Percent escapes stay raw (malformed ones are the point); anything else is encoded. */
function segmentOf(s: string): string {
  const segment = /^(%[0-9A-Za-z]{0,2})+$/.test(s) ? s : encode(s);
  // Never a dot segment: the URL would resolve out of /api.
  return /^(\.|%2e)+$/i.test(segment) ? `${segment}x` : segment;
}

function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function render(session: Session, plan: Plan): { path: string; targetId: number | undefined } {
  const ids = [...session.model.keys()];
  let targetSegment: string;
  if (plan.id.kind === 'model') {
    targetSegment = ids.length === 0 ? '999999999' : String(ids[plan.id.index % ids.length]);
  } else {
    targetSegment = segmentOf(plan.id.segment);
  }
  const decoded = decodedSegment(targetSegment);
  const targetId = /^[1-9]\d{0,15}$/.test(decoded) ? Number(decoded) : undefined;

  let base: string;
  if (plan.family.kind === 'plain') base = '/api/tasks';
  else if (plan.family.kind === 'own') base = `/api/${session.user.id}/tasks`;
  else base = `/api/${segmentOf(plan.family.segment)}/tasks`;

  let path: string;
  switch (plan.route) {
    case 'create':
    case 'list':
      path = base;
      break;
    case 'toggle':
      path = `${base}/${targetSegment}/complete`;
      break;
    case 'me':
      path = '/api/me';
      break;
    case 'export':
      path = '/api/me/export';
      break;
    default:
      path = `${base}/${targetSegment}`;
  }
  const query = plan.query.map((part): string => {
    switch (part.kind) {
      case 'pair':
        return `${encode(part.name)}=${encode(part.value)}`;
      case 'raw':
        return part.text;
      case 'lastCursor':
        return `cursor=${session.lastCursor ?? ''}`;
      case 'forged': {
        const cursor = encodeCursor(
          { sort: part.sort, order: defaultOrder(part.sort), filters: {} },
          { value: part.value, id: part.id },
        );
        return `sort=${part.sort}&cursor=${cursor}`;
      }
      default:
        return part satisfies never;
    }
  });
  return { path: query.length ? `${path}?${query.join('&')}` : path, targetId };
}

function headersFor(session: Session, plan: Plan, targetId: number | undefined): Headers {
  const headers = new Headers();
  const { user } = session;
  switch (plan.auth.kind) {
    case 'jwt':
      headers.set('authorization', `Bearer ${user.jwt}`);
      break;
    case 'session':
      headers.set('authorization', `Bearer ${user.sessionToken}`);
      break;
    case 'cookie':
      headers.set('cookie', user.cookie);
      break;
    case 'header':
      headers.set('authorization', plan.auth.value);
      break;
    case 'none':
      break;
  }
  const current = targetId === undefined ? undefined : session.model.get(targetId)?.version;
  switch (plan.ifMatch.kind) {
    case 'current':
      headers.set('if-match', `"${current ?? 1}"`);
      break;
    case 'stale':
      headers.set('if-match', `"${(current ?? 1) + 1}"`);
      break;
    case 'raw':
      headers.set('if-match', plan.ifMatch.value);
      break;
    case 'none':
      break;
  }
  if (plan.contentType !== null) headers.set('content-type', plan.contentType);
  if (plan.idempotencyKey !== null) headers.set('idempotency-key', plan.idempotencyKey);
  if (plan.requestId !== null) headers.set('x-request-id', plan.requestId);
  return headers;
}

const leak =
  /\bat .+\.(ts|js):\d+|SELECT |INSERT INTO|UPDATE tasks|DELETE FROM|violates (check|foreign key|not-null|unique) constraint|duplicate key|syntax error|relation "|column "|invalid input syntax|out of range/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const httpTrim = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

async function run(session: Session, plan: Plan): Promise<number> {
  const { path, targetId } = render(session, plan);
  const method = methodOf[plan.route];
  const headers = headersFor(session, plan, targetId);
  const init: RequestInit = { method, headers };
  if (plan.body !== null && method !== 'GET') {
    // Bytes, not a string: a string body would get a text/plain Content-Type of its own.
    const bytes = new TextEncoder().encode(plan.body);
    init.body = bytes;
    headers.set('content-length', String(bytes.byteLength));
  }
  const response = await api.request(path, init);
  const text = await response.text();
  const status = response.status;
  session.requests++;
  session.statuses.set(status, (session.statuses.get(status) ?? 0) + 1);
  const where = `${method} ${path.slice(0, 200)} → ${status} ${text.slice(0, 300)}`;

  // Never a 5xx.
  expect(status, where).toBeLessThan(500);

  // Every response carries a request id: the caller's when it is sane, else a fresh one.
  const echoed = response.headers.get('x-request-id');
  const given = plan.requestId === null ? undefined : httpTrim(plan.requestId);
  if (given !== undefined && /^[\w.:-]{1,128}$/.test(given)) expect(echoed, where).toBe(given);
  else expect(echoed ?? '', where).toMatch(uuid);

  if (status >= 400) {
    // Every error is a problem document (nothing here is under /api/auth).
    expect(response.headers.get('content-type'), where).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(text) as Problem;
    expect(problem.status, where).toBe(status);
    expect(problem.request_id, where).toBe(echoed);
    expect(typeof problem.code, where).toBe('string');
    expect(typeof problem.title, where).toBe('string');
    expect(typeof problem.detail, where).toBe('string');
    expect(problem.type, where).toBe(`/problems/${problem.code}`);
    // No stack trace, SQL or database message reaches the client.
    expect(text, where).not.toMatch(leak);
    if (status === 401) expect(response.headers.get('www-authenticate'), where).toBe('Bearer');
    // A task the model holds is never "not found": nothing was lost.
    if (problem.code === 'task_not_found' && targetId !== undefined) {
      expect(session.model.has(targetId), where).toBe(false);
    }
    return status;
  }

  const { model } = session;
  switch (plan.route) {
    case 'create': {
      expect(status, where).toBe(201);
      const task = JSON.parse(text) as TaskJson;
      expect(task.user_id, where).toBe(session.user.id);
      expect(response.headers.get('etag'), where).toBe(`"${task.version}"`);
      const original = session.created.get(task.id);
      if (original === undefined) {
        // A new task.
        expect(model.has(task.id), where).toBe(false);
        expect(task.version, where).toBe(1);
        session.created.set(task.id, text);
        model.set(task.id, task);
      } else {
        // An idempotent replay: the original response, whatever happened since.
        expect(plan.idempotencyKey, where).not.toBeNull();
        expect(text, where).toBe(original);
      }
      break;
    }
    case 'get': {
      expect(status, where).toBe(200);
      const task = JSON.parse(text) as TaskJson;
      expect(task, where).toEqual(model.get(task.id));
      expect(response.headers.get('etag'), where).toBe(`"${task.version}"`);
      break;
    }
    case 'replace':
    case 'patch':
    case 'toggle': {
      expect(status, where).toBe(200);
      const task = JSON.parse(text) as TaskJson;
      const before = model.get(task.id);
      expect(before, where).toBeDefined();
      expect(task.id, where).toBe(targetId);
      // Version goes up by one on a change; an empty PATCH changes nothing.
      expect([before!.version, before!.version + 1], where).toContain(task.version);
      if (task.version === before!.version) expect(task, where).toEqual(before);
      expect(response.headers.get('etag'), where).toBe(`"${task.version}"`);
      model.set(task.id, task);
      break;
    }
    case 'remove': {
      expect(status, where).toBe(204);
      expect(targetId, where).toBeDefined();
      expect(model.has(targetId!), where).toBe(true);
      model.delete(targetId!);
      break;
    }
    case 'list': {
      expect(status, where).toBe(200);
      const tasks = JSON.parse(text) as TaskJson[];
      for (const task of tasks) expect(task, where).toEqual(model.get(task.id));
      expect(new Set(tasks.map((t) => t.id)).size, where).toBe(tasks.length);
      session.lastCursor = response.headers.get('x-next-cursor') ?? undefined;
      break;
    }
    case 'me': {
      expect(status, where).toBe(200);
      const profile = JSON.parse(text) as { id: string; counts: Record<string, number> };
      const tasks = [...model.values()];
      const now = Date.now();
      expect(profile.id, where).toBe(session.user.id);
      expect(profile.counts, where).toEqual({
        total: tasks.length,
        pending: tasks.filter((t) => t.status === 'pending').length,
        in_progress: tasks.filter((t) => t.status === 'in_progress').length,
        completed: tasks.filter((t) => t.status === 'completed').length,
        overdue: tasks.filter(
          (t) => t.status !== 'completed' && t.due_date !== null && Date.parse(t.due_date) < now,
        ).length,
      });
      break;
    }
    case 'export': {
      expect(status, where).toBe(200);
      const document = JSON.parse(text) as { user: { id: string }; tasks: TaskJson[] };
      expect(document.user.id, where).toBe(session.user.id);
      const byId = [...document.tasks].sort((a, b) => a.id - b.id);
      expect(byId, where).toEqual([...model.values()].sort((a, b) => a.id - b.id));
      break;
    }
  }
  return status;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The user's rows (read as the superuser) must be exactly the model. */
async function expectDatabaseMatchesModel(session: Session, where: string): Promise<void> {
  const rows = await api.database.db.query<TaskRow>(
    'SELECT * FROM tasks WHERE user_id = $1 ORDER BY id',
    [session.user.id],
  );
  const stored = rows.map(
    (row): TaskJson => ({
      id: Number(row.id),
      user_id: row.user_id,
      title: row.title,
      description: row.description,
      status: row.status,
      completed: row.completed,
      completed_at: iso(row.completed_at),
      priority: priorities[row.priority]!,
      tags: row.tags,
      due_date: iso(row.due_date),
      list_id: Number(row.list_id),
      parent_id: row.parent_id === null ? null : Number(row.parent_id),
      position: row.position,
      subtasks: { total: row.subtasks_total, completed: row.subtasks_completed },
      created_by: row.created_by,
      assignee_id: row.assignee_id,
      recurrence: row.recurrence,
      recurrence_mode: row.recurrence_mode ?? 'fixed',
      // The fuzzed requests set no rule, so nothing repeats.
      next_due_date: null,
      reminders: row.reminders ?? [],
      version: row.version,
      created_at: iso(row.created_at)!,
      updated_at: iso(row.updated_at)!,
    }),
  );
  const expected = [...session.model.values()].sort((a, b) => a.id - b.id);
  const matches = JSON.stringify(stored) === JSON.stringify(expected);
  if (!matches) {
    // Start the next run (fast-check's shrinking replays) from the truth, then fail.
    session.model = new Map(stored.map((t) => [t.id, t]));
    expect(stored, `database and responses disagree after ${where}`).toEqual(expected);
  }
}

/** One kind of fuzzed request: the plans that vary it, and what a run of it must show. */
interface Fuzzing {
  name: string;
  plans: fc.Arbitrary<Plan>;
  runs: number;
  /** Statuses the run must have reached: each outcome it is meant to exercise. */
  reaches: number[];
  /** The only statuses a request may get, when the fuzzing holds them to a few. */
  only?: number[];
}

/**
 * Runs a fuzzing with a new user who starts with a dozen tasks, made through the API: more
 * than a run's deletes, so the conditional writes it must reach always have a task to meet.
 */
async function runFuzzing({ plans: arbitrary, runs, reaches, only }: Fuzzing): Promise<void> {
  const session = await newSession();
  for (const title of Array.from({ length: 12 }, (_, i) => `task ${i + 1}`)) {
    await run(session, {
      route: 'create',
      family: { kind: 'plain' },
      id: { kind: 'model', index: 0 },
      query: [],
      body: JSON.stringify({ title, tags: ['work'], due_date: '2020-01-01' }),
      contentType: 'application/json',
      ifMatch: { kind: 'none' },
      idempotencyKey: null,
      requestId: null,
      auth: { kind: 'jwt' },
    });
  }
  // From here on the counts are the fuzzed requests' alone.
  session.statuses.clear();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (plan) => {
      const where = `${plan.route} ${JSON.stringify(plan).slice(0, 300)}`;
      const status = await run(session, plan);
      if (only) expect(only, where).toContain(status);
      await expectDatabaseMatchesModel(session, where);
    }),
    { numRuns: runs },
  );
  await expectDatabaseMatchesModel(session, 'the whole run');
  for (const status of reaches) {
    expect(session.statuses.get(status), `no ${status} in the run`).toBeGreaterThan(0);
  }
}

const FUZZ_TIMEOUT = 60_000;

const fuzzings: Fuzzing[] = [
  {
    name: 'bodies: any JSON, task-shaped objects with wild values, and text that is not JSON',
    plans: plans({
      route: routes('create', 'replace', 'patch', 'toggle', 'remove'),
      family: anyFamily,
      body: anyBody,
      idempotencyKey: fc.oneof(
        { arbitrary: fc.constant(null), weight: 4 },
        { arbitrary: fc.constantFrom('k1', 'k2'), weight: 1 },
      ),
    }),
    runs: 300,
    reaches: [201, 422, 400],
  },
  {
    name: 'query strings: real and made-up parameters with any values, and forged cursors',
    plans: plans({
      route: fc.oneof(
        { arbitrary: fc.constant<RouteName>('list'), weight: 6 },
        { arbitrary: fc.constantFrom<RouteName>('get', 'me', 'export', 'toggle'), weight: 1 },
        { arbitrary: fc.constant<RouteName>('create'), weight: 1 },
      ),
      family: anyFamily,
      query: fc.oneof(
        { arbitrary: fc.array(queryPart, { maxLength: 6 }), weight: 4 },
        { arbitrary: forgedCursor.map((part) => [part]), weight: 1 },
      ),
    }),
    runs: 300,
    reaches: [200, 400],
  },
  {
    name: 'headers: If-Match, Idempotency-Key, Content-Type, X-Request-Id and Authorization',
    plans: plans({
      route: routes(...allRouteNames),
      family: anyFamily,
      body: fc.oneof(goodTask.map(jsonText), taskShaped.map(jsonText)),
      contentType: anyContentType,
      ifMatch: anyIfMatch,
      idempotencyKey: anyIdempotencyKey,
      requestId: anyRequestId,
      auth: anyAuth,
    }),
    runs: 300,
    reaches: [401, 412],
  },
  {
    name: 'path ids and user ids: numbers out of range, signs, exponents, unicode, bad escapes',
    plans: plans({
      route: routes('create', ...idRouteNames),
      family: anyFamily,
      id: anyId,
      body: fc.oneof(goodTask.map(jsonText), fc.constant('{}')),
      ifMatch: fc.oneof(fc.constant<IfMatch>({ kind: 'none' }), anyIfMatch),
    }),
    runs: 250,
    reaches: [400, 404],
  },
  {
    name: 'a valid body under any Content-Type is either read as JSON or refused with 415',
    plans: plans({
      route: fc.constant('create'),
      contentType: anyContentType.filter((t) => t !== null),
    }),
    runs: 150,
    reaches: [201, 415],
    only: [201, 415],
  },
  {
    name: 'everything at once',
    plans: plans({
      route: routes(...allRouteNames),
      family: anyFamily,
      id: anyId,
      query: fc.oneof(
        fc.constant<QueryPart[]>([]),
        fc.array(queryPart, { maxLength: 4 }),
        forgedCursor.map((part) => [part]),
      ),
      body: anyBody,
      contentType: fc.oneof(
        { arbitrary: fc.constant('application/json'), weight: 3 },
        { arbitrary: anyContentType, weight: 1 },
      ),
      ifMatch: anyIfMatch,
      idempotencyKey: anyIdempotencyKey,
      requestId: anyRequestId,
      auth: fc.oneof(
        { arbitrary: fc.constant<Auth>({ kind: 'jwt' }), weight: 3 },
        { arbitrary: anyAuth, weight: 1 },
      ),
    }),
    runs: 300,
    reaches: [],
  },
];

describe('fuzzing every task and account route', () => {
  for (const fuzzing of fuzzings) it(fuzzing.name, () => runFuzzing(fuzzing), FUZZ_TIMEOUT);
});

describe('inputs the fuzzing found (each a 4xx, never a 500)', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await buildUser(api);
  });

  it('a due_before or due_after outside what PostgreSQL can hold is a bad query parameter', async () => {
    for (const query of [
      'due_before=0000-01-01',
      'due_after=0000-01-01T00:00:00Z',
      'due_after=9999-12-31T23:59:59-14:00',
      'due_before=0000-01-01T00:00:00%2B01:00',
    ]) {
      await expectProblem(await api.json('GET', `/api/tasks?${query}`, user), 400, 'bad_request');
    }
  });

  it('every due date a task may hold can be paged past, in both orders', async () => {
    const pager = await buildUser(api);
    let accepted = 0;
    for (const due of ['0000-01-01', '0000-01-01T00:00:00+01:00', '9999-12-31T23:59:59-14:00']) {
      for (const title of ['before', 'after']) {
        const response = await api.json('POST', '/api/tasks', pager, { title, due_date: due });
        if (response.status === 201) accepted++;
        else await expectProblem(response, 422, 'validation_failed');
      }
    }
    await api.json('POST', '/api/tasks', pager, { title: 'ordinary', due_date: '2031-01-01' });
    for (const order of ['asc', 'desc']) {
      const ids: number[] = [];
      let path: string | undefined = `/api/tasks?sort=due_date&order=${order}&limit=1`;
      while (path !== undefined) {
        const response = await api.json('GET', path, pager);
        const text = await response.text();
        expect(response.status, `${path}: ${text}`).toBe(200);
        ids.push(...(JSON.parse(text) as TaskJson[]).map((t) => t.id));
        path = /^<([^>]+)>/.exec(response.headers.get('link') ?? '')?.[1];
      }
      expect(ids).toHaveLength(accepted + 1);
    }
  });

  it('a cursor naming a day that does not exist is an invalid cursor', async () => {
    for (const value of [
      '2031-02-29T00:00:00.000Z',
      '2031-04-31T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
    ]) {
      for (const sort of ['created_at', 'updated_at', 'due_date'] as const) {
        const cursor = encodeCursor(
          { sort, order: defaultOrder(sort), filters: {} },
          { value, id: 1 },
        );
        await expectProblem(
          await api.json('GET', `/api/tasks?sort=${sort}&cursor=${cursor}`, user),
          400,
          'invalid_cursor',
        );
      }
    }
  });

  it('a Content-Type the server will not read as JSON is 415, not 400', async () => {
    for (const type of [
      'application/foo_bar+json',
      'application/a+b+json',
      'application/json; foo',
    ]) {
      const response = await api.json(
        'POST',
        '/api/tasks',
        user,
        { title: 'typed' },
        {
          'content-type': type,
        },
      );
      if (response.status !== 201) await expectProblem(response, 415, 'unsupported_media_type');
    }
  });
});
