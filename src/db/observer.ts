/** Hooks the metrics module attaches to a database; the database layer knows no metrics. */
export interface DatabaseObserver {
  onQuery?(durationMs: number): void;
  onError?(): void;
  onConnectError?(): void;
}
