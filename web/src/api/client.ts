import type {
  CreatedInvitationJson,
  FieldError,
  InvitationCreateInput,
  InvitationJson,
  InvitationPreviewJson,
  ListCreateInput,
  ListJson,
  ListPatchInput,
  MemberJson,
  MemberPatchInput,
  NotificationJson,
  Problem,
  Profile,
  ProfilePatchInput,
  TaskCreateInput,
  TaskJson,
  TaskListQuery,
  TaskMoveInput,
  TaskPatchInput,
} from './types';

// A small typed client for the task, list and sharing API. The session cookie travels by itself
// (same origin); every error becomes an ApiError carrying the problem+json fields.

export type ApiErrorCode = Problem['code'] | 'network_error' | 'unexpected_response';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    readonly requestId?: string,
  ) {
    super(detail);
  }

  /** The message to show a person: the detail and any field errors. */
  get userMessage(): string {
    if (this.errors.length === 0) return this.detail;
    const fields = this.errors.map((e) => `${e.path || 'request'}: ${e.message}`).join('; ');
    return `${this.detail} (${fields}.)`;
  }
}

let onUnauthorized: () => void = () => {};
/** What to do when the API says the session is gone (401): the app sends the user to sign in. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && 'code' in body && 'detail' in body;
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      headers: { accept: 'application/json', ...init.headers },
      credentials: 'same-origin',
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection.');
  }
  if (response.ok) return response;
  const body: unknown = await response.json().catch(() => null);
  const error = isProblem(body)
    ? new ApiError(body.status, body.code, body.detail, body.errors, body.request_id)
    : new ApiError(
        response.status,
        'unexpected_response',
        `The server answered ${response.status} ${response.statusText}.`,
      );
  if (response.status === 401) onUnauthorized();
  throw error;
}

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  return (await (await request(path, init)).json()) as T;
}

const sendJson = (method: string, body: unknown, headers: Record<string, string> = {}) => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
/** Makes a write conditional on the version the UI has (412 if it changed since). */
const ifMatch = (version: number) => ({ 'if-match': `"${version}"` });

export type ListFilters = Omit<TaskListQuery, 'cursor' | 'limit'>;

export interface TaskPage {
  tasks: TaskJson[];
  /** X-Next-Cursor: absent on the last page. */
  nextCursor: string | null;
}

export function listQueryString(filters: ListFilters, cursor?: string, limit = 20): string {
  const params = new URLSearchParams({ limit: String(limit) });
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

export async function listTasks(
  filters: ListFilters,
  cursor?: string,
  signal?: AbortSignal,
  limit?: number,
): Promise<TaskPage> {
  const query = listQueryString(filters, cursor, limit);
  const response = await request(`/api/tasks?${query}`, { signal });
  return {
    tasks: (await response.json()) as TaskJson[],
    nextCursor: response.headers.get('X-Next-Cursor'),
  };
}

/** Every page of a query, in the API's order: a list's tree needs all of its tasks. */
export async function listAllTasks(
  filters: ListFilters,
  signal?: AbortSignal,
): Promise<TaskJson[]> {
  const tasks: TaskJson[] = [];
  let cursor: string | undefined;
  do {
    const page = await listTasks(filters, cursor, signal, 100);
    tasks.push(...page.tasks);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return tasks;
}

export const getTask = (id: number) => json<TaskJson>(`/api/tasks/${id}`);

/** 128 random bits; crypto.randomUUID exists only in secure contexts (https, localhost). */
export function newIdempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/**
 * Every create carries an Idempotency-Key: sent again with the same key after a cut-off
 * answer, it returns the task the first attempt made instead of making a second one.
 */
export const createTask = (input: TaskCreateInput, idempotencyKey: string = newIdempotencyKey()) =>
  json<TaskJson>('/api/tasks', sendJson('POST', input, { 'idempotency-key': idempotencyKey }));

export const patchTask = (id: number, version: number, input: TaskPatchInput) =>
  json<TaskJson>(`/api/tasks/${id}`, sendJson('PATCH', input, ifMatch(version)));

/** Reorders, re-parents or changes the list of a task, with its subtree. */
export const moveTask = (id: number, input: TaskMoveInput) =>
  json<TaskJson>(`/api/tasks/${id}/move`, sendJson('POST', input));

export const toggleTask = (id: number, version: number) =>
  json<TaskJson>(`/api/tasks/${id}/complete`, { method: 'PATCH', headers: ifMatch(version) });

export async function deleteTask(id: number, version: number): Promise<void> {
  await request(`/api/tasks/${id}`, { method: 'DELETE', headers: ifMatch(version) });
}

/** Moves a recurring task to its next date without completing it. */
export const skipTask = (id: number, version: number) =>
  json<TaskJson>(`/api/tasks/${id}/skip`, { method: 'POST', headers: ifMatch(version) });

export const getProfile = () => json<Profile>('/api/me');

/** Changes the name, time zone or reminder e-mails; resolves to the profile as GET gives it. */
export const patchProfile = (input: ProfilePatchInput) =>
  json<Profile>('/api/me', sendJson('PATCH', input));

// Notifications: reminders that fired, newest first.

export interface NotificationPage {
  notifications: NotificationJson[];
  /** X-Next-Cursor, as for tasks: absent on the last page. */
  nextCursor: string | null;
}

export async function listNotifications(
  options: { unread?: boolean; limit?: number },
  signal?: AbortSignal,
): Promise<NotificationPage> {
  const params = new URLSearchParams({ limit: String(options.limit ?? 20) });
  if (options.unread) params.set('unread', 'true');
  const response = await request(`/api/notifications?${params}`, { signal });
  return {
    notifications: (await response.json()) as NotificationJson[],
    nextCursor: response.headers.get('X-Next-Cursor'),
  };
}

export const markNotificationRead = (id: number) =>
  json<NotificationJson>(`/api/notifications/${id}/read`, { method: 'POST' });

export async function markAllNotificationsRead(): Promise<void> {
  await request('/api/notifications/read-all', { method: 'POST' });
}

export const listLists = (signal?: AbortSignal) => json<ListJson[]>('/api/lists', { signal });

export const createList = (input: ListCreateInput) =>
  json<ListJson>('/api/lists', sendJson('POST', input));

export const patchList = (id: number, version: number, input: ListPatchInput) =>
  json<ListJson>(`/api/lists/${id}`, sendJson('PATCH', input, ifMatch(version)));

export async function deleteList(id: number, version: number): Promise<void> {
  await request(`/api/lists/${id}`, { method: 'DELETE', headers: ifMatch(version) });
}

// Sharing: invitation links and the members of a list.

const listPath = (listId: number) => `/api/lists/${listId}`;

export const createInvitation = (listId: number, input: InvitationCreateInput) =>
  json<CreatedInvitationJson>(`${listPath(listId)}/invitations`, sendJson('POST', input));

/** The links still pending (no tokens: those are shown only when a link is made). */
export const listInvitations = (listId: number, signal?: AbortSignal) =>
  json<InvitationJson[]>(`${listPath(listId)}/invitations`, { signal });

export async function revokeInvitation(listId: number, invitationId: number): Promise<void> {
  await request(`${listPath(listId)}/invitations/${invitationId}`, { method: 'DELETE' });
}

const invitationPath = (token: string) => `/api/invitations/${encodeURIComponent(token)}`;

/** Who invites to which list, as what: for the page that asks before accepting. */
export const getInvitation = (token: string, signal?: AbortSignal) =>
  json<InvitationPreviewJson>(invitationPath(token), { signal });

/** Joins the list; resolves to it as the new member sees it. */
export const acceptInvitation = (token: string) =>
  json<ListJson>(`${invitationPath(token)}/accept`, { method: 'POST' });

/** The owner first, then the members. */
export const listMembers = (listId: number, signal?: AbortSignal) =>
  json<MemberJson[]>(`${listPath(listId)}/members`, { signal });

export const patchMember = (listId: number, userId: string, input: MemberPatchInput) =>
  json<MemberJson>(
    `${listPath(listId)}/members/${encodeURIComponent(userId)}`,
    sendJson('PATCH', input),
  );

/** Removes a member; with the caller's own id, leaves the list. */
export async function removeMember(listId: number, userId: string): Promise<void> {
  await request(`${listPath(listId)}/members/${encodeURIComponent(userId)}`, {
    method: 'DELETE',
  });
}
