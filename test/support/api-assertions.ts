import { expect } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import type { Problem } from '../../src/http/problem.js';
import type { TaskJson } from '../../src/tasks/task-json.js';

// Assertions shared by the HTTP API tests: the JSON shape of a task, of a
// problem, and the promise that nothing internal ever reaches a client.

/** UTC ISO 8601 with milliseconds and Z, as every time in the API is written. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The 23 fields of a task in the API's JSON, sorted. */
export const taskKeys = [
  'id',
  'user_id',
  'title',
  'description',
  'status',
  'completed',
  'completed_at',
  'priority',
  'tags',
  'due_date',
  'list_id',
  'parent_id',
  'position',
  'subtasks',
  'created_by',
  'assignee_id',
  'recurrence',
  'recurrence_mode',
  'next_due_date',
  'reminders',
  'version',
  'created_at',
  'updated_at',
].sort();

/** The 11 fields of a list in the API's JSON, sorted. */
export const listKeys = [
  'id',
  'name',
  'color',
  'inbox',
  'owner_id',
  'role',
  'counts',
  'member_count',
  'version',
  'created_at',
  'updated_at',
].sort();

/** Asserts the 23 fields of a task, their types and formats; returns it typed. */
export function expectTask(value: unknown): TaskJson {
  expect(value).toBeTypeOf('object');
  expect(value).not.toBeNull();
  const task = value as TaskJson;
  expect(Object.keys(task).sort()).toEqual(taskKeys);
  expect(Number.isSafeInteger(task.id) && task.id > 0).toBe(true);
  expect(task.user_id).toBeTypeOf('string');
  expect(task.title).toBeTypeOf('string');
  expect(task.description === null || typeof task.description === 'string').toBe(true);
  expect(['pending', 'in_progress', 'completed']).toContain(task.status);
  expect(task.completed).toBe(task.status === 'completed');
  if (task.completed) expect(task.completed_at).toMatch(ISO_UTC);
  else expect(task.completed_at).toBeNull();
  expect(['none', 'low', 'medium', 'high']).toContain(task.priority);
  expect(Array.isArray(task.tags)).toBe(true);
  for (const tag of task.tags) expect(tag).toBeTypeOf('string');
  if (task.due_date !== null) expect(task.due_date).toMatch(ISO_UTC);
  expect(Number.isSafeInteger(task.list_id) && task.list_id > 0).toBe(true);
  expect(task.parent_id === null || Number.isSafeInteger(task.parent_id)).toBe(true);
  expect(task.position).toMatch(/^[0-9A-Za-z]{2,}$/);
  expect(Object.keys(task.subtasks).sort()).toEqual(['completed', 'total']);
  expect(task.subtasks.completed).toBeLessThanOrEqual(task.subtasks.total);
  expect(task.created_by === null || typeof task.created_by === 'string').toBe(true);
  expect(task.assignee_id === null || typeof task.assignee_id === 'string').toBe(true);
  expect(task.recurrence === null || typeof task.recurrence === 'string').toBe(true);
  expect(['fixed', 'from_completion']).toContain(task.recurrence_mode);
  if (task.recurrence === null) expect(task.next_due_date).toBeNull();
  if (task.next_due_date !== null) expect(task.next_due_date).toMatch(ISO_UTC);
  expect(Array.isArray(task.reminders)).toBe(true);
  for (const reminder of task.reminders) {
    expect(reminder.id).toBeTypeOf('string');
    if ('at' in reminder) expect(reminder.at).toMatch(ISO_UTC);
    else expect(reminder.before).toMatch(/^P/);
  }
  expect(Number.isInteger(task.version) && task.version >= 1).toBe(true);
  expect(task.created_at).toMatch(ISO_UTC);
  expect(task.updated_at).toMatch(ISO_UTC);
  return task;
}

/** Reads a response that must be one task as JSON. */
export async function readTask(response: Response): Promise<TaskJson> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return expectTask(await response.json());
}

/** Reads a response that must be a JSON array of tasks. */
export async function readTasks(response: Response): Promise<TaskJson[]> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body: unknown = await response.json();
  expect(Array.isArray(body)).toBe(true);
  return (body as unknown[]).map(expectTask);
}

/**
 * Nothing internal in a client-visible body: no stack frames, no SQL, no mention of the
 * database server. (Plain words such as "at most" are fine; a stack frame is "at fn (file:1:2)".)
 */
export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/(^|\\n|\n)\s*at \S+/);
  expect(text).not.toMatch(/\(\/?[\w./-]+:\d+:\d+\)|node:internal|file:\/\//);
  expect(text).not.toMatch(/\.(ts|js|mjs):\d+/);
  expect(text).not.toContain('SELECT');
  expect(text.toLowerCase()).not.toContain('postgres');
}

/**
 * Asserts an RFC 9457 problem response: status, media type, the fields of a problem and a
 * request_id equal to the X-Request-Id header. Returns the problem for further checks.
 */
export async function expectProblem(
  response: Response,
  status: number,
  code?: ErrorCode,
): Promise<Problem> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expectNoInternals(text);
  const problem = JSON.parse(text) as Problem;
  expect(problem.type).toBeTypeOf('string');
  expect(problem.title).toBeTypeOf('string');
  expect(problem.title.length).toBeGreaterThan(0);
  expect(problem.status).toBe(status);
  expect(problem.detail).toBeTypeOf('string');
  expect(problem.detail.length).toBeGreaterThan(0);
  expect(problem.code).toBeTypeOf('string');
  expect(problem.type).toBe(`/problems/${problem.code}`);
  if (code !== undefined) expect(problem.code).toBe(code);
  const requestId = response.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  expect(problem.request_id).toBe(requestId);
  if (problem.errors !== undefined) {
    expect(Array.isArray(problem.errors)).toBe(true);
    for (const error of problem.errors) {
      expect(Object.keys(error).sort()).toEqual(['message', 'path']);
      expect(error.path).toBeTypeOf('string');
      expect(error.message).toBeTypeOf('string');
    }
  }
  return problem;
}

/** A validation problem (422) whose errors name the given paths. */
export async function expectValidationProblem(
  response: Response,
  paths: string[],
): Promise<Problem> {
  const problem = await expectProblem(response, 422, 'validation_failed');
  expect(problem.errors, JSON.stringify(problem)).toBeDefined();
  expect(problem.errors!.length).toBeGreaterThan(0);
  const reported = problem.errors!.map((e) => e.path);
  for (const path of paths) expect(reported, JSON.stringify(problem.errors)).toContain(path);
  for (const error of problem.errors!) expect(error.message.length).toBeGreaterThan(0);
  return problem;
}

/** The problem without its request_id: two of these are equal when nothing tells them apart. */
export function withoutRequestId(problem: Problem): Omit<Problem, 'request_id'> {
  const { request_id: _ignored, ...rest } = problem;
  return rest;
}
