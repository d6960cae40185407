import { useEffect, useId, useRef, useState } from 'react';
import type { SortKey, SortOrder } from '../api/types';
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
      <div className="field search-field">
        <label htmlFor={`${id}-q`}>Search</label>
        <input
          id={`${id}-q`}
          type="search"
          value={search.value}
          onChange={(e) => search.set(e.target.value)}
          placeholder="Title or description"
          autoComplete="off"
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select
          id={`${id}-status`}
          value={filters.status ?? ''}
          onChange={(e) => change({ status: statuses.find((s) => s === e.target.value) })}
        >
          <option value="">Any status</option>
          {statuses.map((s) => (
            <option key={s} value={s}>
              {statusLabels[s]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-priority`}>Priority</label>
        <select
          id={`${id}-priority`}
          value={filters.priority ?? ''}
          onChange={(e) => change({ priority: priorities.find((p) => p === e.target.value) })}
        >
          <option value="">Any priority</option>
          {priorities.map((p) => (
            <option key={p} value={p}>
              {priorityLabels[p]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-tag`}>Tag</label>
        <input
          id={`${id}-tag`}
          value={tags.value}
          onChange={(e) => tags.set(e.target.value)}
          placeholder="e.g. work"
          autoComplete="off"
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-sort`}>Sort by</label>
        <select
          id={`${id}-sort`}
          value={filters.sort}
          onChange={(e) => {
            const sort = sortKeys.find((k) => k === e.target.value) ?? 'created_at';
            change({ sort, order: defaultOrder(sort) });
          }}
        >
          {sortKeys.map((key: SortKey) => (
            <option key={key} value={key}>
              {sortLabels[key]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-order`}>Order</label>
        <select
          id={`${id}-order`}
          value={filters.order}
          onChange={(e) => change({ order: e.target.value === 'asc' ? 'asc' : 'desc' })}
        >
          {(['desc', 'asc'] as SortOrder[])
            .sort((a) => (a === defaultOrder(filters.sort) ? -1 : 1))
            .map((order) => (
              <option key={order} value={order}>
                {orderLabels[filters.sort][order]}
              </option>
            ))}
        </select>
      </div>
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
