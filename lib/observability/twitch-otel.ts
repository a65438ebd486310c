import { createRequire } from 'node:module';

/**
 * The few parts of `@opentelemetry/api` the module uses, typed here so that the module compiles and
 * runs without it (it is an optional peer dependency).
 */
export type TwitchOtelAttributes = Record<string, string | number | boolean | undefined>;

export interface TwitchOtelCounter {
  add(value: number, attributes?: TwitchOtelAttributes): void;
}

export interface TwitchOtelHistogram {
  record(value: number, attributes?: TwitchOtelAttributes): void;
}

export interface TwitchOtelMeter {
  createCounter(name: string, options?: { description?: string; unit?: string }): TwitchOtelCounter;
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): TwitchOtelHistogram;
}

export interface TwitchOtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: { name: string; message: string }): unknown;
  end(endTime?: number): void;
  isRecording(): boolean;
}

export interface TwitchOtelTracer {
  startSpan(
    name: string,
    options?: { kind?: number; attributes?: TwitchOtelAttributes; startTime?: number },
    context?: unknown,
  ): TwitchOtelSpan;
}

export interface TwitchOtelApi {
  metrics: { getMeter(name: string, version?: string): TwitchOtelMeter };
  trace: {
    getTracer(name: string, version?: string): TwitchOtelTracer;
    setSpan(context: unknown, span: TwitchOtelSpan): unknown;
  };
  context: { active(): unknown };
}

/** `SpanKind` and `SpanStatusCode` values of the OpenTelemetry API. */
export const OTEL_SPAN_KIND = { INTERNAL: 0, CLIENT: 2 } as const;
export const OTEL_STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

let loaded: TwitchOtelApi | null | undefined;
let load = (): unknown => createRequire(import.meta.url)('@opentelemetry/api');

/** @internal How the API is loaded (tests stand in a missing package); forgets the copy loaded so far. */
export function setOpenTelemetryLoader(loader: () => unknown): void {
  load = loader;
  loaded = undefined;
}

/**
 * `@opentelemetry/api`, loaded once; `null` when it is not installed (the module then records nothing).
 * Loaded with `require`: the API keeps its registered providers on a process-wide global, so the copy
 * loaded here sees the SDK the app registered through either of the package's builds.
 */
export function loadOpenTelemetry(): TwitchOtelApi | null {
  if (loaded !== undefined) return loaded;
  try {
    loaded = load() as TwitchOtelApi;
  } catch {
    loaded = null;
  }
  return loaded;
}
