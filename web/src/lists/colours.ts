// The colours a list can take from the web app: a few that stay distinct from each other and
// read as a dot on both the light and the dark background. The API takes any #rrggbb.

export interface Swatch {
  value: string | null;
  label: string;
}

export const swatches: readonly Swatch[] = [
  { value: null, label: 'No colour' },
  { value: '#dc2626', label: 'Red' },
  { value: '#ea580c', label: 'Orange' },
  { value: '#ca8a04', label: 'Yellow' },
  { value: '#16a34a', label: 'Green' },
  { value: '#0891b2', label: 'Teal' },
  { value: '#2563eb', label: 'Blue' },
  { value: '#9333ea', label: 'Purple' },
  { value: '#db2777', label: 'Pink' },
];

/** The swatches, with a list's own colour added when it was set to another one elsewhere. */
export function swatchesWith(color: string | null): readonly Swatch[] {
  if (color === null || swatches.some((s) => s.value === color)) return swatches;
  return [...swatches, { value: color, label: `Current colour (${color})` }];
}
