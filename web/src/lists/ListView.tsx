import { type MouseEvent, useEffect, useRef } from 'react';
import { ApiError } from '../api/client';
import { NoticeBar } from '../NoticeBar';
import { navigate } from '../navigation';
import { useMembers } from '../sharing/hooks';
import { canEditTasks } from '../sharing/roles';
import { AddTaskCard } from '../tasks/AddTaskCard';
import { Counts } from '../tasks/Counts';
import { useLists } from './hooks';
import { ListActions } from './ListActions';
import { ListDot } from './ListDot';
import { listHref } from './list-address';
import { TaskTree } from './TaskTree';

/**
 * One list: its name and counts, its actions (not for the Inbox), the add form (not for a
 * viewer) and its tree.
 */
export function ListView({ listId }: { listId: number }) {
  const lists = useLists();
  const heading = useRef<HTMLHeadingElement>(null);
  const list = lists.data?.find((l) => l.id === listId);
  // Who a new task can be assigned to: only asked for once the list is shared.
  const members = useMembers(listId, list !== undefined && list.member_count > 1);

  useEffect(() => {
    if (!list) return;
    document.title = `${list.name} · Tasks`;
    return () => {
      document.title = 'Tasks';
    };
  }, [list]);

  if (lists.isPending) {
    return (
      <p className="state" role="status">
        <span className="spinner" aria-hidden="true" /> Loading the list…
      </p>
    );
  }
  if (!list) {
    return lists.isError ? (
      <div className="state error-state" role="alert">
        <p>
          Could not load your lists.{' '}
          {lists.error instanceof ApiError ? lists.error.userMessage : 'Something went wrong.'}
        </p>
        <button type="button" onClick={() => lists.refetch()}>
          Try again
        </button>
      </div>
    ) : (
      <>
        <NoticeBar />
        <div className="state">
          <h1 className="state-title">This list is not available</h1>
          <p>It may have been deleted, or you no longer have access to it.</p>
          <a href="/" onClick={followHome}>
            Show all tasks
          </a>
        </div>
      </>
    );
  }

  const showInbox = () => {
    const inbox = lists.data?.find((l) => l.inbox);
    // Replace: Back must not lead to a list that is deleted or left.
    navigate(inbox ? listHref(inbox.id) : '/', { replace: true });
    heading.current?.focus();
  };

  return (
    <>
      <div className="page-heading">
        <h1 className="list-title" ref={heading} tabIndex={-1}>
          <ListDot color={list.color} />
          {list.name}
        </h1>
        <Counts counts={list.counts} />
      </div>
      {/* Keys unique among these siblings: a duplicate would leave a stale element behind. */}
      {!list.inbox && <ListActions key={`actions-${list.id}`} list={list} onGone={showInbox} />}
      {canEditTasks(list.role) ? (
        <AddTaskCard list={list} assignees={list.member_count > 1 ? members.data : undefined} />
      ) : (
        <p className="read-only-note">
          You can view this list, but not change it: you are a viewer. Ask its owner or an admin if
          you need to edit it.
        </p>
      )}
      <NoticeBar />
      <TaskTree key={list.id} list={list} lists={lists.data ?? []} />
    </>
  );
}

function followHome(event: MouseEvent<HTMLAnchorElement>) {
  event.preventDefault();
  navigate('/');
}
