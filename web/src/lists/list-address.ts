// Which list the page shows lives in its address (/?list=7), so a reload, a bookmark and the
// Back button come back to it; without the parameter the page shows all tasks.

export const listHref = (id: number) => `/?list=${id}`;

export function listIdFromSearch(search: URLSearchParams): number | null {
  const value = search.get('list');
  return value !== null && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : null;
}
