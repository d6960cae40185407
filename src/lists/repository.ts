import type { Queryable } from '../db/database.js';
import { functionCaller } from '../db/function-call.js';
import type { List, ListFields, ListRole } from './list.js';

// Every call is one prepared round trip to a function of migrations/ (0009, 0012) that sets
// app.user_id for row-level security, which decides what the caller's role lets them see.

/** A list_summary row as the driver returns it (counts are bigint: strings). */
export interface ListRow {
  [column: string]: unknown;
  id: string;
  owner_id: string;
  name: string;
  color: string | null;
  inbox: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
  total: string;
  open: string;
  completed: string;
  overdue: string;
  role: ListRole;
  member_count: string;
}

interface ListFunctions {
  list_summaries: { args: [userId: string, id: number | null]; row: ListRow };
  list_create: { args: [userId: string, name: string, color: string | null]; row: ListRow };
  list_update: {
    args: [
      userId: string,
      id: number,
      expectedVersion: number | null,
      setName: boolean,
      name: string | null,
      setColor: boolean,
      color: string | null,
    ];
    row: ListRow;
  };
  list_delete: {
    args: [userId: string, id: number, expectedVersion: number | null];
    row: { list_delete: string };
  };
}

export class ListRepository {
  private readonly call;

  constructor(db: Queryable) {
    this.call = functionCaller<ListFunctions>(db);
  }

  /** The caller's lists, own and shared: the Inbox first, then by name. */
  async all(userId: string): Promise<List[]> {
    return (await this.call('list_summaries', [userId, null])).map(toList);
  }

  async get(userId: string, id: number): Promise<List | undefined> {
    const rows = await this.call('list_summaries', [userId, id]);
    return rows[0] && toList(rows[0]);
  }

  async create(userId: string, fields: ListFields): Promise<List> {
    const rows = await this.call('list_create', [userId, fields.name, fields.color]);
    return toList(rows[0]!);
  }

  /** Renames or recolours (admin and owner); undefined when the caller has no such list. */
  async update(
    userId: string,
    id: number,
    changes: Partial<ListFields>,
    expectedVersion?: number,
  ): Promise<List | undefined> {
    const rows = await this.call('list_update', [
      userId,
      id,
      expectedVersion ?? null,
      changes.name !== undefined,
      changes.name ?? null,
      changes.color !== undefined,
      changes.color ?? null,
    ]);
    return rows[0] && toList(rows[0]);
  }

  /** Deletes a list with its tasks (the owner only); false when the caller has no such list. */
  async delete(userId: string, id: number, expectedVersion?: number): Promise<boolean> {
    return (await this.call('list_delete', [userId, id, expectedVersion ?? null])).length > 0;
  }
}

export function toList(row: ListRow): List {
  return {
    id: Number(row.id),
    ownerId: row.owner_id,
    name: row.name,
    color: row.color,
    inbox: row.inbox,
    role: row.role,
    memberCount: Number(row.member_count),
    counts: {
      total: Number(row.total),
      open: Number(row.open),
      completed: Number(row.completed),
      overdue: Number(row.overdue),
    },
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
