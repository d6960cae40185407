// A list as the rest of the code sees it, and the limits the database enforces as well
// (migrations/0009_lists.up.sql).

export const LIST_NAME_MAX = 100;

/** The caller's role in a list; every list has its owner, sharing adds the others. */
export const listRoles = ['owner', 'admin', 'editor', 'viewer'] as const;
export type ListRole = (typeof listRoles)[number];

export interface ListCounts {
  total: number;
  /** Pending or in progress. */
  open: number;
  completed: number;
  /** Open and due before now. */
  overdue: number;
}

export interface List {
  id: number;
  ownerId: string;
  name: string;
  /** "#rrggbb", lower-case, or null. */
  color: string | null;
  inbox: boolean;
  role: ListRole;
  memberCount: number;
  counts: ListCounts;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What a client may change: the name and the colour (never of the Inbox). */
export interface ListFields {
  name: string;
  color: string | null;
}
