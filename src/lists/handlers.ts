import type { OpenAPIHono } from '@hono/zod-openapi';
import { fail } from '../errors.js';
import { conditionalWriter, etagOf } from '../http/conditional.js';
import type { AppEnv } from '../http/context.js';
import type { List, ListFields } from './list.js';
import { listToJson } from './list-json.js';
import type { ListRepository } from './repository.js';
import { listRoutes as routes } from './routes.js';
import type { ListPatchBody } from './schemas.js';

// Handlers turn a validated request into repository calls; the user id always comes from the
// auth middleware.

export function registerListHandlers(app: OpenAPIHono<AppEnv>, lists: ListRepository): void {
  const withEtag = (list: List) => ({ ETag: etagOf(list.version) });
  /** A write to one list of the caller's under the request's If-Match. */
  const writeList = conditionalWriter({
    currentVersion: async (userId, id) => (await lists.get(userId, id))?.version,
    notFound: fail.listNotFound,
  });

  app.openapi(routes.list, async (c) => {
    return c.json((await lists.all(c.get('user').id)).map(listToJson), 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const list = await lists.create(c.get('user').id, {
      name: body.name,
      color: body.color ?? null,
    });
    c.header('Location', `/api/lists/${list.id}`);
    return c.json(listToJson(list), 201, withEtag(list));
  });

  app.openapi(routes.get, async (c) => {
    const list = await lists.get(c.get('user').id, c.req.valid('param').id);
    if (!list) throw fail.listNotFound();
    return c.json(listToJson(list), 200, withEtag(list));
  });

  app.openapi(routes.patch, async (c) => {
    const userId = c.get('user').id;
    const { id } = c.req.valid('param');
    const changes = changesOf(c.req.valid('json'));
    const list = await writeList(userId, id, c.req.valid('header')['if-match'], (version) =>
      lists.update(userId, id, changes, version),
    );
    return c.json(listToJson(list), 200, withEtag(list));
  });

  app.openapi(routes.remove, async (c) => {
    const userId = c.get('user').id;
    const { id } = c.req.valid('param');
    await writeList(userId, id, c.req.valid('header')['if-match'], async (version) =>
      (await lists.delete(userId, id, version)) ? true : undefined,
    );
    return c.body(null, 204);
  });
}

function changesOf(body: ListPatchBody): Partial<ListFields> {
  return {
    ...(body.name === undefined ? {} : { name: body.name }),
    ...(body.color === undefined ? {} : { color: body.color }),
  };
}
