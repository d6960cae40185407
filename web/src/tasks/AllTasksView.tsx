import { NoticeBar } from '../NoticeBar';
import { navigate, useLocation } from '../navigation';
import { AddTaskCard } from './AddTaskCard';
import { Counts } from './Counts';
import { Filters } from './Filters';
import { useProfile } from './hooks';
import { TaskList } from './TaskList';
import { filtersFromSearch, isFiltered, searchFromFilters, toListFilters } from './view-filters';

/** Every task the user can read, from all lists, with filters and sorting. */
export function AllTasksView() {
  const location = useLocation();
  const filters = filtersFromSearch(location.search);
  const profile = useProfile();

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
  const counts = profile.data?.counts;

  return (
    <>
      <div className="page-heading">
        <h1>{profile.data ? `${profile.data.name}’s tasks` : 'Your tasks'}</h1>
        {counts && (
          <Counts
            counts={{
              open: counts.pending + counts.in_progress,
              completed: counts.completed,
              overdue: counts.overdue,
              total: counts.total,
            }}
          />
        )}
      </div>
      <AddTaskCard />
      <Filters filters={filters} onChange={setFilters} />
      <NoticeBar />
      <TaskList
        title={title}
        filters={toListFilters(filters)}
        filtered={isFiltered(filters)}
        onClearFilters={clearFilters}
      />
    </>
  );
}
