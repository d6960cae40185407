import { useEffect } from 'react';
import type { ListFilters } from '../api/client';
import { NoticeBar } from '../NoticeBar';
import { TaskList } from '../tasks/TaskList';

/** Tasks assigned to the caller in every list they can read, soonest due first. */
const filters: ListFilters = { assignee: 'me', sort: 'due_date', order: 'asc' };

export function AssignedView() {
  useEffect(() => {
    document.title = 'Assigned to me · Tasks';
    return () => {
      document.title = 'Tasks';
    };
  }, []);

  return (
    <>
      <div className="page-heading">
        <h1>Assigned to me</h1>
      </div>
      <NoticeBar />
      <TaskList
        title="Tasks assigned to you"
        filters={filters}
        filtered={false}
        onClearFilters={() => {}}
        empty={
          <div className="state">
            <p className="state-title">Nothing is assigned to you.</p>
            <p>When someone assigns you a task in a shared list, it shows here.</p>
          </div>
        }
      />
    </>
  );
}
