import type { z } from '@hono/zod-openapi';
import type { List } from './list.js';
import type { ListSchema } from './schemas.js';

/** Exactly the response schema's shape. */
export type ListJson = z.output<typeof ListSchema>;

export function listToJson(list: List): ListJson {
  return {
    id: list.id,
    name: list.name,
    color: list.color,
    inbox: list.inbox,
    owner_id: list.ownerId,
    role: list.role,
    counts: list.counts,
    member_count: list.memberCount,
    version: list.version,
    created_at: list.createdAt.toISOString(),
    updated_at: list.updatedAt.toISOString(),
  };
}
