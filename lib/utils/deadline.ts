/**
 * `work`, or the error `late()` makes when no answer came within `ms`. The deadline is checked once the
 * event loop has read what arrived by then (the check runs after the timer, on `setImmediate`): a process
 * busy past the deadline, with the answer already waiting, does not take a healthy peer for a slow one.
 * The work keeps running; its later outcome is ignored.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(late())), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
