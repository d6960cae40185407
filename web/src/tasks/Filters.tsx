import { useEffect, useId, useRef, useState } from 'react';
import type { SortOrder } from '../api/types';
import { SelectField, TextField } from '../FormFields';
import {
  defaultOrder,
  isFiltered,
  orderLabels,
  parseTags,
  priorities,
  priorityLabels,
  type Show,
  sortKeys,
  sortLabels,
  statuses,
  statusLabels,
  type ViewFilters,
  type ViewSortKey,
} from './view-filters';

const SEARCH_DELAY_MS = 300;

interface Props {
  filters: ViewFilters;
  onChange: (filters: ViewFilters) => void;
}

const shows: { value: Show; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'open', label: 'Open' },
  { value: 'completed', label: 'Completed' },
];

/** Both orders, the sort's default first. */
const ordersFor = (sort: ViewSortKey): SortOrder[] =>
  defaultOrder(sort) === 'asc' ? ['asc', 'desc'] : ['desc', 'asc'];

/** What to show and in which order; typing in search or tag waits for a pause. */
export function Filters({ filters, onChange }: Props) {
  const id = useId();
  const change = (patch: Partial<ViewFilters>) => onChange({ ...filters, ...patch });
  const search = useDebounced(
    filters.q,
    (q) => change({ q }),
    (q) => q.trim(),
  );
  const tags = useDebounced(
    filters.tags.join(', '),
    (text) => change({ tags: parseTags(text) }),
    (text) => parseTags(text).join(', '),
  );

  return (
    <section className="filters" aria-label="Filter and sort">
      <fieldset className="segmented">
        <legend className="visually-hidden">Show</legend>
        {shows.map((show) => (
          <label key={show.value} className={filters.show === show.value ? 'selected' : ''}>
            <input
              type="radio"
              name={`${id}-show`}
              value={show.value}
              checked={filters.show === show.value}
              onChange={() => change({ show: show.value })}
            />
            {show.label}
          </label>
        ))}
      </fieldset>
      <TextField
        id={`${id}-q`}
        label="Search"
        fieldClassName="search-field"
        type="search"
        value={search.value}
        onChange={search.set}
        placeholder="Title or description"
        autoComplete="off"
      />
      <SelectField
        id={`${id}-status`}
        label="Status"
        anyLabel="Any status"
        options={statuses}
        labels={statusLabels}
        value={filters.status}
        onChange={(status) => change({ status })}
      />
      <SelectField
        id={`${id}-priority`}
        label="Priority"
        anyLabel="Any priority"
        options={priorities}
        labels={priorityLabels}
        value={filters.priority}
        onChange={(priority) => change({ priority })}
      />
      <TextField
        id={`${id}-tag`}
        label="Tag"
        value={tags.value}
        onChange={tags.set}
        placeholder="e.g. work"
        autoComplete="off"
      />
      <SelectField
        id={`${id}-sort`}
        label="Sort by"
        options={sortKeys}
        labels={sortLabels}
        value={filters.sort}
        onChange={(sort) => change({ sort, order: defaultOrder(sort) })}
      />
      <SelectField
        id={`${id}-order`}
        label="Order"
        options={ordersFor(filters.sort)}
        labels={orderLabels[filters.sort]}
        value={filters.order}
        onChange={(order) => change({ order })}
      />
      {isFiltered(filters) && (
        <button
          type="button"
          className="link-button clear-filters"
          onClick={() =>
            change({ show: 'all', status: undefined, priority: undefined, tags: [], q: '' })
          }
        >
          Clear filters
        </button>
      )}
    </section>
  );
}

/**
 * A text input's own value, committed after a pause in typing; it follows the committed
 * value when that changes from elsewhere (Clear filters, the browser's Back button).
 */
function useDebounced(
  committed: string,
  commit: (value: string) => void,
  normalise: (value: string) => string,
) {
  const [value, setValue] = useState(committed);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latestCommit = useRef(commit);
  latestCommit.current = commit;

  const latestNormalise = useRef(normalise);
  latestNormalise.current = normalise;

  // Only a real change from elsewhere replaces what is typed ("buy " stays, though the
  // committed search is "buy").
  useEffect(() => {
    if (timer.current !== undefined) return;
    setValue((typed) => (latestNormalise.current(typed) === committed ? typed : committed));
  }, [committed]);
  useEffect(() => () => clearTimeout(timer.current), []);

  return {
    value,
    set(next: string) {
      setValue(next);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        timer.current = undefined;
        latestCommit.current(next);
      }, SEARCH_DELAY_MS);
    },
  };
}
