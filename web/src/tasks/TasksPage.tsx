import { ApiError } from '../api/client';
import type { Profile } from '../api/types';
import { navigate, useLocation } from '../navigation';
import { dismissNotice, useNotice } from '../notices';
import { Filters } from './Filters';
import { useCreateTask, useProfile } from './hooks';
import { TaskForm } from './TaskForm';
import { TaskList } from './TaskList';
import { createInput, emptyValues, formErrorsFromServer } from './task-values';
import { filtersFromSearch, isFiltered, searchFromFilters, toListFilters } from './view-filters';

interface Props {
  onSignOut: () => void;
}

/** The signed-in screen: who you are, the add form, the filters and the list. */
export function TasksPage({ onSignOut }: Props) {
  const location = useLocation();
  const filters = filtersFromSearch(location.search);
  const profile = useProfile();
  const create = useCreateTask();
  const notice = useNotice();
  const filtered = isFiltered(filters);

  const setFilters = (next: typeof filters) =>
    navigate(`/${searchFromFilters(next)}`, { replace: true });
  const clearFilters = () =>
    setFilters({
      ...filters,
      show: 'all',
      status: undefined,
      priority: undefined,
      tags: [],
      q: '',
    });

  const title =
    filters.show === 'open'
      ? 'Open tasks'
      : filters.show === 'completed'
        ? 'Completed'
        : 'All tasks';

  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <span className="brand">Tasks</span>
          <div className="account">
            {profile.data && (
              <span className="user-name" title={profile.data.email}>
                {profile.data.name}
              </span>
            )}
            <button type="button" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main className="page">
        <div className="page-heading">
          <h1>{profile.data ? `${profile.data.name}’s tasks` : 'Your tasks'}</h1>
          {profile.data && <Counts counts={profile.data.counts} />}
        </div>
        <section className="card add-card" aria-labelledby="add-heading">
          <h2 id="add-heading" className="visually-hidden">
            Add a task
          </h2>
          <TaskForm
            mode="add"
            label="Add a task"
            initial={emptyValues}
            onSubmit={async (values) => {
              try {
                await create.mutateAsync(createInput(values));
                return undefined;
              } catch (error) {
                if (!(error instanceof ApiError)) return { message: 'Could not add the task.' };
                return {
                  errors: formErrorsFromServer(error.errors),
                  message: `Could not add the task: ${error.detail}`,
                };
              }
            }}
          />
        </section>
        <Filters filters={filters} onChange={setFilters} />
        {notice && (
          <div className="notice-bar" role="alert" key={notice.id}>
            <p>{notice.text}</p>
            <button type="button" className="link-button" onClick={dismissNotice}>
              Dismiss
            </button>
          </div>
        )}
        <TaskList
          title={title}
          filters={toListFilters(filters)}
          filtered={filtered}
          onClearFilters={clearFilters}
        />
      </main>
    </>
  );
}

function Counts({ counts }: { counts: Profile['counts'] }) {
  const open = counts.pending + counts.in_progress;
  return (
    <p className="counts">
      <span>
        <strong>{open}</strong> open
      </span>
      <span>
        <strong>{counts.completed}</strong> done
      </span>
      {counts.overdue > 0 && (
        <span className="overdue-count">
          <strong>{counts.overdue}</strong> overdue
        </span>
      )}
      <span className="visually-hidden">, {counts.total} in all</span>
    </p>
  );
}
