/** A list's colour as a small dot; an empty ring for a list without one. */
export function ListDot({ color }: { color: string | null }) {
  return (
    <span
      className={color ? 'list-dot' : 'list-dot none'}
      style={color ? { backgroundColor: color } : undefined}
      aria-hidden="true"
    />
  );
}
