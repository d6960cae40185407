import type { TestUser } from './api.js';

// The routes of the API, for the suites that hold a rule over every one of them.

/** The two path families of every task route. */
export const pathFamilies = [
  { family: '/api/tasks', base: (_user: Pick<TestUser, 'id'>) => '/api/tasks' },
  {
    family: '/api/{user_id}/tasks',
    base: (user: Pick<TestUser, 'id'>) => `/api/${user.id}/tasks`,
  },
] as const;

export interface Route {
  method: string;
  path: string;
  /** A valid body for the route, when it takes one. */
  body?: unknown;
  /** True for the routes on one task (its id in the path). */
  onTask: boolean;
}

/** The routes of the caller's own account. */
export const accountRoutes: Route[] = [
  { method: 'GET', path: '/api/me', onTask: false },
  { method: 'GET', path: '/api/me/export', onTask: false },
  { method: 'DELETE', path: '/api/me', onTask: false },
];

/** Every list route, on list `listId`. */
export function listRoutes(listId: number): Route[] {
  const list = `/api/lists/${listId}`;
  return [
    { method: 'GET', path: '/api/lists', onTask: false },
    { method: 'POST', path: '/api/lists', body: { name: 'x' }, onTask: false },
    { method: 'GET', path: list, onTask: false },
    { method: 'PATCH', path: list, body: { name: 'x' }, onTask: false },
    { method: 'DELETE', path: list, onTask: false },
  ];
}

/** Every task route through both path families (the second one under `user`), on task `taskId`. */
export function taskRoutes(user: Pick<TestUser, 'id'>, taskId: number): Route[] {
  return pathFamilies.flatMap(({ base }) => {
    const tasks = base(user);
    const task = `${tasks}/${taskId}`;
    return [
      { method: 'GET', path: tasks, onTask: false },
      { method: 'POST', path: tasks, body: { title: 'x' }, onTask: false },
      { method: 'GET', path: task, onTask: true },
      { method: 'PUT', path: task, body: { title: 'x' }, onTask: true },
      { method: 'PATCH', path: task, body: { title: 'x' }, onTask: true },
      { method: 'DELETE', path: task, onTask: true },
      { method: 'PATCH', path: `${task}/complete`, onTask: true },
      { method: 'POST', path: `${task}/move`, body: { parent_id: null }, onTask: true },
    ];
  });
}
