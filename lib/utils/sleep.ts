/**
 * Waits `ms`; rejects with the signal's reason when aborted. The timer keeps the process alive: a
 * caller is waiting for the request behind it (a process whose only work is waiting requests must
 * not exit as if done), and every wait ends on its own.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
