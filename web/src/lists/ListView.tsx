import { type MouseEvent, useEffect, useRef } from 'react';
import { ApiError } from '../api/client';
import { NoticeBar } from '../NoticeBar';
import { navigate } from '../navigation';
import { AddTaskCard } from '../tasks/AddTaskCard';
import { Counts } from '../tasks/Counts';
import { useLists } from './hooks';
import { ListActions } from './ListActions';
import { ListDot } from './ListDot';
import { listHref } from './list-address';
import { TaskTree } from './TaskTree';

/** One list: its name and counts, its actions (not for the Inbox), the add form and its tree. */
export function ListView({ listId }: { listId: number }) {
  const lists = useLists();
  const heading = useRef<HTMLHeadingElement>(null);
  const list = lists.data?.find((l) => l.id === listId);

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
      <div className="state">
        <h1 className="state-title">This list does not exist</h1>
        <p>It may have been deleted.</p>
        <a href="/" onClick={followHome}>
          Show all tasks
        </a>
      </div>
    );
  }

  const showInbox = () => {
    const inbox = lists.data?.find((l) => l.inbox);
    // Replace: Back must not lead to the deleted list.
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
      {!list.inbox && <ListActions key={list.id} list={list} onDeleted={showInbox} />}
      <AddTaskCard list={list} />
      <NoticeBar />
      <TaskTree key={list.id} list={list} lists={lists.data ?? []} />
    </>
  );
}

function followHome(event: MouseEvent<HTMLAnchorElement>) {
  event.preventDefault();
  navigate('/');
}
