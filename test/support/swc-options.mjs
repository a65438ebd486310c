// How swc compiles the TypeScript sources outside tsc, as tsconfig.json compiles them: legacy decorators
// with their metadata (Nest's injection reads it), class fields as assignments (useDefineForClassFields:
// false), ES2022. Used by Vitest (vitest.config.ts), by child processes that run the sources
// (test/support/ts-hooks.mjs) and by the bench's quick build (bench/build.mjs).

/** swc's `jsc` options. */
export const SWC_JSC = {
  parser: { syntax: 'typescript', decorators: true },
  transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  target: 'es2022',
};
