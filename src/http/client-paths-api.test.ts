import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestUser } from '../../test/support/api.js';
import { buildUser } from '../../test/support/factories.js';

// A path is client input: a name that happens to be a member of Object.prototype must be
// an unknown name like any other (404), never a lookup that crashes into a 500.

const prototypeNames = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  '__defineGetter__',
];

let api: TestApi;
let user: TestUser;

beforeAll(async () => {
  api = await startTestApi();
  user = await buildUser(api);
});
afterAll(() => api.close());

describe('paths named like Object.prototype members', () => {
  it.each(prototypeNames)('/docs/%s is 404', async (name) => {
    const response = await api.request(`/docs/${name}`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.text()).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('no route answers 500 to any of them, signed in or not', async () => {
    const templates = [
      '/docs/{}',
      '/{}',
      '/{}/{}',
      '/api/{}',
      '/api/tasks/{}',
      '/api/tasks/{}/complete',
      '/api/me/{}',
      `/api/${user.id}/tasks/{}`,
      '/api/{}/tasks',
      '/openapi.json/{}',
    ];
    const failures: string[] = [];
    for (const template of templates) {
      for (const name of prototypeNames) {
        const path = template.replaceAll('{}', name);
        for (const method of ['GET', 'POST', 'DELETE']) {
          for (const auth of [undefined, user]) {
            const response = await api.json(method, path, auth, method === 'POST' ? {} : undefined);
            if (response.status >= 500) failures.push(`${method} ${path}: ${response.status}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
