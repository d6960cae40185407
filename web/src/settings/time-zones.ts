// The IANA time zones this browser knows, for the settings' select, with any zone the caller
// has or is in (an alias such as "UTC" may be missing from the list) kept in it.

export function timeZoneNames(keep: readonly string[] = [], known = supportedZones()): string[] {
  const names = new Set(known);
  for (const zone of keep) if (zone) names.add(zone);
  return [...names].sort((a, b) => a.localeCompare(b));
}

function supportedZones(): string[] {
  return typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
}
