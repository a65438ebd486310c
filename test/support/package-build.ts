/**
 * The one TypeScript process of a test run, started by test/support/built-package.ts (through
 * test/support/ts-register.mjs) with the run's folder as its argument:
 *
 * 1. builds the package as `npm run build` does: the options of `tsconfig.build.json`, emitted into
 *    `<folder>/pkg/dist`; then writes `<folder>/result.json` (tsc's diagnostics, formatted as `tsc` prints
 *    them, and its exit status);
 * 2. then type-checks an app against the built package, installed as an app has it (the files of
 *    test/support/app-types.ts in a new folder beside it), and writes `<folder>/consumer.json` for
 *    test/public-types.spec.ts.
 *
 * Both programs read the dependencies' declarations (`@types/node`, Nest, rxjs, axios...) through one cache,
 * so the second parses and binds only the app's files and the package's own declarations: about 4 s of CPU
 * less than a program of its own. Declaration files parse alike for both targets (ES2022, ES2023); the cache
 * keeps a file per module format (ESM or CommonJS), as TypeScript's own document registry does.
 */
import { mkdirSync, mkdtempSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import type * as TS from 'typescript';
import { APP_COMPILER_OPTIONS, appSources, readmeSnippets } from './app-types.js';

const ts = createRequire(import.meta.url)('typescript') as typeof TS;
const root = resolve(import.meta.dirname, '../..');
const dir = process.argv[2];
if (!dir) throw new Error('usage: package-build.ts <run folder>');

/** Writes `<folder>/<name>` whole (a reader polling for it never sees half a file). */
function writeJson(name: string, value: unknown): void {
  const file = join(dir, name);
  writeFileSync(`${file}.part`, JSON.stringify(value));
  renameSync(`${file}.part`, file);
}

const dependencyDeclarations = new Map<string, TS.SourceFile>();

/** A compiler host whose dependency declarations come from the shared cache. */
function compilerHost(options: TS.CompilerOptions): TS.CompilerHost {
  const host = ts.createCompilerHost(options);
  // As tsc: JSDoc is parsed only where it can give a type error (in JavaScript files), not in TypeScript.
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (!fileName.includes('/node_modules/') || !fileName.endsWith('.d.ts')) {
      return read(fileName, languageVersion, onError, shouldCreate);
    }
    const format = typeof languageVersion === 'object' ? languageVersion.impliedNodeFormat : undefined;
    const key = `${format}:${fileName}`;
    let file = dependencyDeclarations.get(key);
    if (!file) {
      file = read(fileName, languageVersion, onError, shouldCreate);
      if (file) dependencyDeclarations.set(key, file);
    }
    return file;
  };
  return host;
}

function build(): void {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.build.json'),
    { outDir: join(dir, 'pkg', 'dist') },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const program = ts.createProgram({
    rootNames: config.fileNames,
    options: config.options,
    host: compilerHost(config.options),
    projectReferences: config.projectReferences,
  });
  const emitted = program.emit();
  const diagnostics = ts.sortAndDeduplicateDiagnostics([
    ...config.errors,
    ...ts.getPreEmitDiagnostics(program),
    ...emitted.diagnostics,
  ]);
  const errors = diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error);
  const output = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  });
  // tsc's exit codes: 0 clean, 1 nothing emitted, 2 emitted with errors.
  writeJson('result.json', { status: emitted.emitSkipped ? 1 : errors ? 2 : 0, output });
}

function checkApp(): void {
  const files = appSources(readmeSnippets());
  const app = realpathSync(mkdtempSync(join(dir, 'app-')));
  for (const [name, text] of files) {
    mkdirSync(dirname(join(app, name)), { recursive: true });
    writeFileSync(join(app, name), text);
  }
  const roots = [...files.keys()].filter((f) => /\.(c|m)?ts$/.test(f)).map((f) => join(app, f));
  const converted = ts.convertCompilerOptionsFromJson(APP_COMPILER_OPTIONS, app);
  if (converted.errors.length) throw new Error(ts.formatDiagnostics(converted.errors, ts.createCompilerHost({})));
  const options = { ...converted.options, typeRoots: [join(dir, 'node_modules/@types')] };
  const program = ts.createProgram(roots, options, compilerHost(options));
  const found = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const name of roots) {
    const sf = program.getSourceFile(name)!;
    found.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
  }
  writeJson('consumer.json', {
    app,
    sourceFiles: program.getSourceFiles().map((f) => resolve(f.fileName)),
    diagnostics: found.map((d) => ({
      file: d.file ? relative(app, d.file.fileName) : '',
      line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
      code: d.code,
      text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    })),
  });
}

build();
try {
  checkApp();
} catch (err) {
  writeJson('consumer.json', { error: (err as Error).stack ?? String(err) });
}
