import {
  type DragEvent,
  type MouseEvent,
  type ReactNode,
  useEffect,
  useRef,
  useState,
} from 'react';
import { ApiError } from '../api/client';
import type { ListJson } from '../api/types';
import { navigate } from '../navigation';
import { assignedHref } from '../sharing/addresses';
import { canEditTasks, sharedByMe, sharedWithMe } from '../sharing/roles';
import { PersonIcon, SharedMark } from '../sharing/SharedMark';
import { useProfile } from '../tasks/hooks';
import { draggedTask, endDrag } from './drag-state';
import { useCreateList, useLists } from './hooks';
import { ListDot } from './ListDot';
import { ListForm } from './ListForm';
import { listHref } from './list-address';
import { moveToList, useMoveTask } from './tree-hooks';

interface Props {
  /** The list shown, or null for "All tasks" and "Assigned to me". */
  currentListId: number | null;
  /** "Assigned to me" is shown. */
  assignedCurrent?: boolean;
  /** After a link took the user elsewhere (the phone's drawer closes). */
  onNavigate?: () => void;
}

/** The caller's lists, Inbox first, each with its open tasks; a task dropped on one moves there. */
export function Sidebar({ currentListId, assignedCurrent = false, onNavigate }: Props) {
  const lists = useLists();
  const profile = useProfile();
  const [creating, setCreating] = useState(false);
  const [focusListId, setFocusListId] = useState<number | null>(null);
  const newListButton = useRef<HTMLButtonElement>(null);
  const create = useCreateList();
  const allOpen = profile.data
    ? profile.data.counts.pending + profile.data.counts.in_progress
    : undefined;
  // Tasks are assigned to people in shared lists: until one is, the view would stay empty.
  const showAssigned =
    assignedCurrent || (lists.data?.some((l) => sharedWithMe(l) || sharedByMe(l)) ?? false);

  // Cancel gives focus back to the button that opened the form.
  const focusNewList = useRef(false);
  useEffect(() => {
    if (!focusNewList.current) return;
    focusNewList.current = false;
    newListButton.current?.focus();
  });
  const closeForm = () => {
    focusNewList.current = true;
    setCreating(false);
  };

  return (
    <nav className="sidebar" aria-label="Lists">
      <h2 className="sidebar-heading">Lists</h2>
      <ul className="list-nav">
        <li>
          <ListLink
            href="/"
            name="All tasks"
            open={allOpen}
            current={currentListId === null && !assignedCurrent}
            onNavigate={onNavigate}
          />
        </li>
        {showAssigned && (
          <li>
            <ListLink
              href={assignedHref}
              name="Assigned to me"
              icon="assigned"
              open={undefined}
              current={assignedCurrent}
              onNavigate={onNavigate}
            />
          </li>
        )}
        {lists.data?.map((list) => (
          <li key={list.id}>
            <ListLink
              href={listHref(list.id)}
              name={list.name}
              color={list.color}
              open={list.counts.open}
              current={list.id === currentListId}
              onNavigate={onNavigate}
              dropTarget={canEditTasks(list.role) ? list : undefined}
              focus={list.id === focusListId}
              mark={<SharedMark list={list} />}
            />
          </li>
        ))}
      </ul>
      {lists.isPending && (
        <p className="sidebar-state" role="status">
          Loading lists…
        </p>
      )}
      {lists.isError && (
        <div className="sidebar-state" role="alert">
          <p>Could not load your lists.</p>
          <button type="button" onClick={() => lists.refetch()}>
            Try again
          </button>
        </div>
      )}
      {creating ? (
        <ListForm
          label="New list"
          submitLabel="Create list"
          initial={{ name: '', color: null }}
          onCancel={closeForm}
          onSubmit={async (values) => {
            try {
              const list = await create.mutateAsync(values);
              setCreating(false);
              setFocusListId(list.id);
              navigate(listHref(list.id));
              onNavigate?.();
              return undefined;
            } catch (error) {
              const why = error instanceof ApiError ? error.userMessage : 'Try again.';
              return `Could not create the list: ${why}`;
            }
          }}
        />
      ) : (
        <button
          type="button"
          className="new-list"
          ref={newListButton}
          onClick={() => setCreating(true)}
        >
          + New list
        </button>
      )}
    </nav>
  );
}

interface LinkProps {
  href: string;
  name: string;
  /** A list's colour; without it, the icon of a view of tasks from every list. */
  color?: string | null;
  icon?: 'all' | 'assigned';
  /** After the name: whether the list is shared. */
  mark?: ReactNode;
  open: number | undefined;
  current: boolean;
  onNavigate?: () => void;
  /** The list a dragged task moves to when dropped here. */
  dropTarget?: ListJson;
  focus?: boolean;
}

function ListLink({
  href,
  name,
  color,
  icon = 'all',
  mark,
  open,
  current,
  onNavigate,
  dropTarget,
  focus,
}: LinkProps) {
  const [dropping, setDropping] = useState(false);
  const move = useMoveTask();
  const link = useRef<HTMLAnchorElement>(null);

  useEffect(() => {
    if (focus) link.current?.focus();
  }, [focus]);

  // Any task of another list can be dropped here.
  const droppable = () => {
    const task = draggedTask();
    return dropTarget && task && task.list_id !== dropTarget.id ? task : null;
  };

  function follow(event: MouseEvent<HTMLAnchorElement>) {
    // A new tab or window (ctrl-, shift-, middle-click) is the browser's business.
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(href);
    onNavigate?.();
  }

  function over(event: DragEvent<HTMLAnchorElement>) {
    if (!droppable()) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    setDropping(true);
  }

  function leave(event: DragEvent<HTMLAnchorElement>) {
    if (event.relatedTarget instanceof Node && event.currentTarget.contains(event.relatedTarget)) {
      return;
    }
    setDropping(false);
  }

  function drop(event: DragEvent<HTMLAnchorElement>) {
    setDropping(false);
    const task = droppable();
    // The dragged row may leave the page before its dragend arrives.
    endDrag();
    if (!task || !dropTarget) return;
    event.preventDefault();
    move.mutate(moveToList(task, dropTarget));
  }

  const classes = ['list-link', current ? 'current' : '', dropping ? 'drop-target' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <a
      ref={link}
      href={href}
      className={classes}
      aria-current={current ? 'page' : undefined}
      onClick={follow}
      onDragOver={over}
      onDragLeave={leave}
      onDrop={drop}
    >
      {color !== undefined ? (
        <ListDot color={color} />
      ) : icon === 'assigned' ? (
        <PersonIcon />
      ) : (
        <span className="list-dot all" aria-hidden="true" />
      )}
      <span className="list-name">{name}</span>
      {mark}
      {open !== undefined && (
        <span className="list-count">
          {open}
          <span className="visually-hidden"> open</span>
        </span>
      )}
    </a>
  );
}
