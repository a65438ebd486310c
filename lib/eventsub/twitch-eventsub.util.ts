import { withDeadline } from '../utils/deadline.js';

/** `promise`, or a rejection after `ms` (the promise keeps running; its later failure is ignored). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(promise, ms, () => new Error(`${what}: no answer within ${ms} ms`));
}
