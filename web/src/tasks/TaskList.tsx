import { type ReactNode, useRef } from 'react';
import type { ListFilters } from '../api/client';
import { ApiError } from '../api/client';
import { useLists } from '../lists/hooks';
import { useTaskList } from './hooks';
import { TaskItem } from './TaskItem';

interface Props {
  title: string;
  filters: ListFilters;
  filtered: boolean;
  onClearFilters: () => void;
  /** What to say when there are no tasks and nothing is filtered. */
  empty?: ReactNode;
}

/** The list for the current filters: loading, error, empty, or the tasks and "Load more". */
export function TaskList({ title, filters, filtered, onClearFilters, empty }: Props) {
  const list = useTaskList(filters);
  const lists = useLists();
  // Which list a task is in matters once there is more than the Inbox.
  const showListNames = lists.data !== undefined && lists.data.length > 1;
  const listsById = new Map(lists.data?.map((l) => [l.id, l]));
  const heading = useRef<HTMLHeadingElement>(null);
  const tasks = list.data?.pages.flatMap((page) => page.tasks) ?? [];
  const errorText = (error: unknown) =>
    error instanceof ApiError ? error.userMessage : 'Something went wrong.';

  let body: ReactNode;
  if (list.isPending) {
    body = (
      <p className="state" role="status">
        <span className="spinner" aria-hidden="true" /> Loading your tasks…
      </p>
    );
  } else if (list.isError && tasks.length === 0) {
    body = (
      <div className="state error-state" role="alert">
        <p>Could not load your tasks. {errorText(list.error)}</p>
        <button type="button" onClick={() => list.refetch()}>
          Try again
        </button>
      </div>
    );
  } else if (tasks.length === 0) {
    body = filtered ? (
      <div className="state">
        <p>No tasks match these filters.</p>
        <button type="button" onClick={onClearFilters}>
          Clear filters
        </button>
      </div>
    ) : (
      (empty ?? (
        <div className="state">
          <p className="state-title">No tasks yet.</p>
          <p>Add your first one above: a title is all it needs.</p>
        </div>
      ))
    );
  } else {
    body = (
      <>
        <ul className="task-list" aria-busy={list.isPlaceholderData || undefined}>
          {tasks.map((task) => (
            <TaskItem
              key={task.id}
              task={task}
              list={listsById.get(task.list_id)}
              listName={showListNames ? listsById.get(task.list_id)?.name : undefined}
              onDeleted={() => heading.current?.focus()}
            />
          ))}
        </ul>
        {list.isFetchNextPageError && (
          <p className="error" role="alert">
            Could not load more tasks. {errorText(list.error)}
          </p>
        )}
        {list.hasNextPage && (
          <button
            type="button"
            className="load-more"
            onClick={() => list.fetchNextPage()}
            aria-disabled={list.isFetchingNextPage || undefined}
          >
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        )}
      </>
    );
  }

  return (
    <section className="list-section" aria-labelledby="task-list-heading">
      <div className="list-heading">
        <h2 id="task-list-heading" ref={heading} tabIndex={-1}>
          {title}
        </h2>
        {list.isPlaceholderData && (
          <span className="updating" role="status">
            Updating…
          </span>
        )}
      </div>
      {body}
    </section>
  );
}
