import type { ListFilters } from '../api/client';
import type { Priority, SortKey, SortOrder, TaskStatus } from '../api/types';

// The list's view (what to show, how to sort) as the page's query string holds it, and as
// the API's list query wants it. Labels are Records over the server's unions, so
// a new status, priority or sort key in the server fails this build until it has a label.

export type Show = 'all' | 'open' | 'completed';

/** The sorts of "All tasks": a manual order exists only within one list. */
export type ViewSortKey = Exclude<SortKey, 'position'>;

export interface ViewFilters {
  show: Show;
  status: TaskStatus | undefined;
  priority: Priority | undefined;
  tags: string[];
  q: string;
  sort: ViewSortKey;
  order: SortOrder;
}

export const statusLabels: Record<TaskStatus, string> = {
  pending: 'Pending',
  in_progress: 'In progress',
  completed: 'Completed',
};

export const priorityLabels: Record<Priority, string> = {
  none: 'None',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
};

export const sortLabels: Record<ViewSortKey, string> = {
  created_at: 'Date created',
  updated_at: 'Last changed',
  due_date: 'Due date',
  priority: 'Priority',
  title: 'Title',
};

/** What asc and desc mean for each sort, in words. */
export const orderLabels: Record<ViewSortKey, Record<SortOrder, string>> = {
  created_at: { desc: 'Newest first', asc: 'Oldest first' },
  updated_at: { desc: 'Most recent first', asc: 'Least recent first' },
  due_date: { asc: 'Soonest first', desc: 'Latest first' },
  priority: { desc: 'Highest first', asc: 'Lowest first' },
  title: { asc: 'A to Z', desc: 'Z to A' },
};

/** The server's default order for a sort (list-query.ts defaultOrder). */
export const defaultOrder = (sort: ViewSortKey): SortOrder => (sort === 'title' ? 'asc' : 'desc');

export const statuses = Object.keys(statusLabels) as TaskStatus[];
export const priorities = Object.keys(priorityLabels) as Priority[];
export const sortKeys = Object.keys(sortLabels) as ViewSortKey[];

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined =>
  values.find((v) => v === value);

/** Tags as a person types them: "Work, home" → ["work", "home"]. */
export function parseTags(text: string): string[] {
  const tags = text
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
  return [...new Set(tags)];
}

export function filtersFromSearch(search: URLSearchParams): ViewFilters {
  const sort = oneOf(sortKeys, search.get('sort')) ?? 'created_at';
  return {
    show: oneOf(['all', 'open', 'completed'] as const, search.get('show')) ?? 'all',
    status: oneOf(statuses, search.get('status')),
    priority: oneOf(priorities, search.get('priority')),
    tags: parseTags(search.getAll('tag').join(',')),
    q: search.get('q') ?? '',
    sort,
    order: oneOf(['asc', 'desc'] as const, search.get('order')) ?? defaultOrder(sort),
  };
}

/** The query string of a view; defaults are left out so the plain list is just "/". */
export function searchFromFilters(filters: ViewFilters): string {
  const params = new URLSearchParams();
  if (filters.show !== 'all') params.set('show', filters.show);
  if (filters.status) params.set('status', filters.status);
  if (filters.priority) params.set('priority', filters.priority);
  for (const tag of filters.tags) params.append('tag', tag);
  if (filters.q.trim()) params.set('q', filters.q.trim());
  if (filters.sort !== 'created_at') params.set('sort', filters.sort);
  if (filters.order !== defaultOrder(filters.sort)) params.set('order', filters.order);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function toListFilters(filters: ViewFilters): ListFilters {
  return {
    completed: filters.show === 'all' ? undefined : filters.show === 'completed' ? 'true' : 'false',
    status: filters.status,
    priority: filters.priority,
    tag: filters.tags.length > 0 ? filters.tags : undefined,
    q: filters.q.trim() || undefined,
    sort: filters.sort,
    order: filters.order,
  };
}

/** Whether anything narrows the list (the sort does not). */
export const isFiltered = (f: ViewFilters) =>
  f.show !== 'all' || !!f.status || !!f.priority || f.tags.length > 0 || f.q.trim() !== '';
