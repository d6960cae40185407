import { createRoute, z } from '@hono/zod-openapi';
import {
  etagHeader,
  ifMatchHeader,
  jsonContent,
  problemResponses,
  signedIn,
} from '../http/openapi-responses.js';
import { ListCreateSchema, ListIdParamSchema, ListPatchSchema, ListSchema } from './schemas.js';

// The list API's contracts.

const tags = ['Lists'];
const ifMatch = ifMatchHeader('list');
const one = '/api/lists/{id}';

export const listRoutes = {
  list: createRoute({
    method: 'get',
    path: '/api/lists',
    tags,
    security: signedIn,
    summary: "The caller's lists, the Inbox first, then by name",
    responses: { 200: jsonContent(z.array(ListSchema), 'Every list'), ...problemResponses() },
  }),
  create: createRoute({
    method: 'post',
    path: '/api/lists',
    tags,
    security: signedIn,
    summary: 'Create a list',
    request: { body: { ...jsonContent(ListCreateSchema, 'The new list'), required: true } },
    responses: {
      201: {
        ...jsonContent(ListSchema, 'Created'),
        headers: {
          ...etagHeader,
          Location: { description: 'URL of the list', schema: { type: 'string' } },
        },
      },
      ...problemResponses(400, 413, 415, 422),
    },
  }),
  get: createRoute({
    method: 'get',
    path: one,
    tags,
    security: signedIn,
    summary: 'Get one list',
    request: { params: ListIdParamSchema },
    responses: {
      200: { ...jsonContent(ListSchema, 'The list'), headers: etagHeader },
      ...problemResponses(400, 404),
    },
  }),
  patch: createRoute({
    method: 'patch',
    path: one,
    tags,
    security: signedIn,
    summary: 'Rename or recolour a list (not the Inbox)',
    request: {
      params: ListIdParamSchema,
      headers: ifMatch,
      body: { ...jsonContent(ListPatchSchema, 'Fields to change'), required: true },
    },
    responses: {
      200: { ...jsonContent(ListSchema, 'The list'), headers: etagHeader },
      ...problemResponses(400, 404, 409, 412, 413, 415, 422),
    },
  }),
  remove: createRoute({
    method: 'delete',
    path: one,
    tags,
    security: signedIn,
    summary: 'Delete a list and all its tasks (not the Inbox)',
    request: { params: ListIdParamSchema, headers: ifMatch },
    responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 404, 409, 412) },
  }),
};
