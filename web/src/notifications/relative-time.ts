// "just now", "5 minutes ago", "yesterday": how long ago a reminder fired.

/** Half away from zero, as a person rounds "90 seconds ago" to "2 minutes ago". */
const round = (n: number) => Math.sign(n) * Math.round(Math.abs(n));

const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.35],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

export function relativeTime(iso: string, now = Date.now(), locale?: string): string {
  let amount = (Date.parse(iso) - now) / 1000;
  if (Math.abs(amount) < 45) return 'just now';
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of steps) {
    if (Math.abs(amount) < size) return format.format(round(amount), unit);
    amount /= size;
  }
  return format.format(round(amount), 'year');
}
