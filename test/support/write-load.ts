import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

// Concurrent clients creating tasks over HTTP, each with an Idempotency-Key that it sends
// again (same key, same body) after a cut-off answer or a 503, the way a careful client
// retries. Every answer is recorded; every acknowledged (2xx) write is kept for checking.

export interface LoadClient {
  /** The Authorization header value: a JWT or a session token. */
  authorization: string;
}

export interface Acknowledged {
  id: number;
  title: string;
  key: string;
}

export interface Answer {
  /** performance.now() when the request was sent and when its answer (or failure) came. */
  sentAt: number;
  at: number;
  /** HTTP status, or 0 when the connection failed or timed out. */
  status: number;
  retryAfter: string | null;
}

export interface LoadReport {
  acknowledged: Acknowledged[];
  answers: Answer[];
  /** Count of answers with each status ≥ 500. */
  serverErrors: Record<number, number>;
  /** 503s that came without a usable Retry-After. */
  unavailableWithoutRetryAfter: number;
  /** Requests that got no HTTP answer at all (refused, reset, timed out). */
  networkErrors: number;
  /** 4xx answers (none expected). */
  clientErrors: Record<number, number>;
}

export interface WriteLoad {
  /** The first 2xx answer to a request sent after `since` (performance.now()). */
  firstSuccessAfter(since: number): Answer | undefined;
  /** Waits until a request sent after `since` got a 2xx; returns it, or undefined at timeout. */
  waitForSuccessAfter(since: number, timeoutMs: number): Promise<Answer | undefined>;
  /** Stops every client after its current request and reports. */
  stop(): Promise<LoadReport>;
}

export interface WriteLoadOptions {
  /** Base URL of the server (read before each request: a restarted server keeps its port). */
  url: string;
  clients: LoadClient[];
  /** Prefix of every title, to find this run's rows. */
  label: string;
  /** Pause before sending a failed write again. */
  retryDelayMs?: number;
  requestTimeoutMs?: number;
}

export function startWriteLoad(options: WriteLoadOptions): WriteLoad {
  const retryDelayMs = options.retryDelayMs ?? 100;
  const requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
  const acknowledged: Acknowledged[] = [];
  const answers: Answer[] = [];
  let stopped = false;

  const send = async (client: LoadClient, key: string, title: string): Promise<Answer> => {
    const sentAt = performance.now();
    try {
      const response = await fetch(`${options.url}/api/tasks`, {
        method: 'POST',
        headers: {
          authorization: client.authorization,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({ title }),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const body = await response.text();
      const answer: Answer = {
        sentAt,
        at: performance.now(),
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
      };
      if (response.ok) {
        const task = JSON.parse(body) as { id: number; title: string };
        acknowledged.push({ id: task.id, title: task.title, key });
      }
      return answer;
    } catch {
      return { sentAt, at: performance.now(), status: 0, retryAfter: null };
    }
  };

  const runClient = async (client: LoadClient, index: number) => {
    for (let n = 0; !stopped; n++) {
      const key = randomUUID();
      const title = `${options.label}-${index}-${n}`;
      // The same write until it is acknowledged or refused for good (a 4xx), or the run ends.
      for (;;) {
        const answer = await send(client, key, title);
        answers.push(answer);
        if (answer.status >= 200 && answer.status < 500 && answer.status !== 429) break;
        if (stopped) return;
        await sleep(retryDelayMs);
      }
    }
  };

  const running = Promise.all(options.clients.map(runClient));

  const firstSuccessAfter = (since: number) =>
    answers.find((a) => a.sentAt >= since && a.status >= 200 && a.status < 300);

  return {
    firstSuccessAfter,
    async waitForSuccessAfter(since, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const found = firstSuccessAfter(since);
        if (found || performance.now() > deadline) return found;
        await sleep(25);
      }
    },
    async stop() {
      stopped = true;
      await running;
      const report: LoadReport = {
        acknowledged,
        answers,
        serverErrors: {},
        unavailableWithoutRetryAfter: 0,
        networkErrors: 0,
        clientErrors: {},
      };
      for (const answer of answers) {
        if (answer.status === 0) report.networkErrors++;
        else if (answer.status >= 500) {
          report.serverErrors[answer.status] = (report.serverErrors[answer.status] ?? 0) + 1;
          if (answer.status === 503 && !/^[1-9]\d*$/.test(answer.retryAfter ?? '')) {
            report.unavailableWithoutRetryAfter++;
          }
        } else if (answer.status >= 400) {
          report.clientErrors[answer.status] = (report.clientErrors[answer.status] ?? 0) + 1;
        }
      }
      return report;
    },
  };
}
