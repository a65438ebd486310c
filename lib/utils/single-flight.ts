/**
 * Waits for `work` on behalf of one caller: rejects with the caller's signal reason when it aborts,
 * or with `onTimeout()` after `timeoutMs`, without touching `work` itself (others may be waiting on it).
 */
export function waitFor<T>(
  work: Promise<T>,
  opts: { signal?: AbortSignal; timeoutMs?: number; onTimeout?: () => unknown } = {},
): Promise<T> {
  const { signal, timeoutMs } = opts;
  if (!signal && timeoutMs === undefined) return work;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => finish(() => reject(signal!.reason));
    const finish = (settle: () => void) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    if (timeoutMs !== undefined) {
      timer = setTimeout(
        () => finish(() => reject(opts.onTimeout ? opts.onTimeout() : new Error(`timed out after ${timeoutMs} ms`))),
        timeoutMs,
      );
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (err) => finish(() => reject(err)),
    );
  });
}

/**
 * Shared work, once per key: the first caller starts it, later callers with the same key join it
 * while it runs. The work never sees any caller's signal, so no waiter can cancel it for the others;
 * each waiter keeps its own `signal` and timeout (see `waitFor`). The entry is removed as soon as the
 * work settles, whichever way, so the work itself must be bounded.
 */
export class TwitchSingleFlight<V, K = string> {
  private readonly running = new Map<K, Promise<V>>();

  /** Joins the work running for `key`, or starts `work()` for it. */
  run(
    key: K,
    work: () => Promise<V>,
    wait?: { signal?: AbortSignal; timeoutMs?: number; onTimeout?: () => unknown },
  ): Promise<V> {
    let shared = this.running.get(key);
    if (!shared) {
      const started = Promise.resolve().then(work);
      shared = started;
      this.running.set(key, started);
      const clear = () => {
        if (this.running.get(key) === started) this.running.delete(key);
      };
      started.then(clear, clear);
    }
    return waitFor(shared, wait);
  }

  /** Whether work for `key` is running. */
  has(key: K): boolean {
    return this.running.has(key);
  }

  /** Number of keys with work running. */
  get size(): number {
    return this.running.size;
  }
}
