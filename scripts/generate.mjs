#!/usr/bin/env node
// Code generator for the Helix API surface of nestjs-twitch, in three stages (each a file in scripts/generator/):
//
//   model.mjs   stage 1: the OpenAPI description + scripts/helix-overrides.json -> scripts/helix-model.json
//   code.mjs    stage 2: the model -> lib/generated/**, lib/testing/generated/, test/contract/fixtures.generated.json
//   readme.mjs  stage 3: the model and the generated method names -> the endpoint table of README.md
//   (names.mjs holds the naming rules, util.mjs the shared text helpers)
//
//   node scripts/generate.mjs <path/to/openapi.json>   stages 1, 2 and 3
//   node scripts/generate.mjs                          stages 2 and 3 from the committed model
//   node scripts/generate.mjs --check                  stages 2 and 3 in memory; exit 1 and list the files that differ
//
// Plain Node ESM, no dependencies. Output is deterministic: no timestamps, stable ordering.

import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFiles } from './generator/code.mjs';
import { buildModel } from './generator/model.mjs';
import { coverageMarkdown, replaceCoverage } from './generator/readme.mjs';
import { fail } from './generator/util.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL_PATH = join(ROOT, 'scripts/helix-model.json');
const OVERRIDES_PATH = join(ROOT, 'scripts/helix-overrides.json');
const README_PATH = 'README.md';
const GENERATED_DIRS = ['lib/generated', 'lib/testing/generated'];

function listGeneratedOnDisk() {
  const out = [];
  const walk = (dir) => {
    const abs = join(ROOT, dir);
    if (!existsSync(abs)) return;
    for (const name of readdirSync(abs).sort()) {
      const rel = `${dir}/${name}`;
      // The EventSub catalog has its own generator (scripts/generate-eventsub.mjs).
      if (rel === 'lib/generated/eventsub') continue;
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  for (const d of GENERATED_DIRS) walk(d);
  return out;
}

function printSummary(summary) {
  const log = (s) => process.stdout.write(`${s}\n`);
  log('Operations per category:');
  for (const [name, n] of summary.perCategory) log(`  ${name.padEnd(16)} ${n}`);
  log(`  ${'total'.padEnd(16)} ${summary.operations}`);
  log(`DTO classes: ${summary.dtoClasses}`);
  log(`Params classes: ${summary.paramsClasses}`);
  if (summary.collisions.length) log(`Class name collisions resolved: ${summary.collisions.join('; ')}`);
  for (const s of summary.paginatedSkipped) log(`No …Paginated method: ${s}`);
  log(
    `Contract fixtures: ${summary.fixtureStats.synthesized} values synthesized; ${summary.fixtureStats.replaced.length} documented example values replaced as invalid${
      summary.fixtureStats.replaced.length ? ` (${summary.fixtureStats.replaced.join(', ')})` : ''
    }`,
  );
}

function main(argv) {
  const args = argv.filter((a) => !a.startsWith('--'));
  const check = argv.includes('--check');
  const verbose = argv.includes('--verbose');

  if (args[0]) {
    if (check) fail('--check takes no spec path: it regenerates from scripts/helix-model.json');
    const specText = readFileSync(resolve(process.cwd(), args[0]), 'utf8');
    const overrides = JSON.parse(readFileSync(OVERRIDES_PATH, 'utf8'));
    const { model, nullsFromExamples } = buildModel(specText, overrides);
    writeFileSync(MODEL_PATH, `${JSON.stringify(model, null, 2)}\n`);
    process.stdout.write(`Wrote ${relative(ROOT, MODEL_PATH)} (spec sha256 ${model.specSha256.slice(0, 12)}…)\n`);
    if (verbose) for (const n of [...nullsFromExamples].sort()) process.stdout.write(`  nullable from example: ${n}\n`);
  }

  if (!existsSync(MODEL_PATH)) fail(`${relative(ROOT, MODEL_PATH)} is missing: run with the path of the OpenAPI file first`);
  const model = JSON.parse(readFileSync(MODEL_PATH, 'utf8'));
  const { files, summary, methods } = generateFiles(model);
  const readme = readFileSync(join(ROOT, README_PATH), 'utf8');
  files.set(README_PATH, replaceCoverage(readme, coverageMarkdown(model, methods)));

  if (check) {
    const differing = [];
    for (const [rel, content] of files) {
      const abs = join(ROOT, rel);
      if (!existsSync(abs)) differing.push(`${rel} (missing)`);
      else if (readFileSync(abs, 'utf8') !== content) differing.push(`${rel} (differs)`);
    }
    for (const rel of listGeneratedOnDisk()) if (!files.has(rel)) differing.push(`${rel} (not generated any more)`);
    if (differing.length) {
      process.stderr.write(
        `Generated files are out of date (run node scripts/generate.mjs):\n${differing.map((d) => `  ${d}`).join('\n')}\n`,
      );
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`All ${files.size} generated files are up to date.\n`);
    return;
  }

  for (const rel of listGeneratedOnDisk()) if (!files.has(rel)) rmSync(join(ROOT, rel));
  for (const [rel, content] of files) {
    const abs = join(ROOT, rel);
    mkdirSync(dirname(abs), { recursive: true });
    if (!existsSync(abs) || readFileSync(abs, 'utf8') !== content) writeFileSync(abs, content);
  }
  process.stdout.write(`Wrote ${files.size} files.\n`);
  printSummary(summary);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`generate: ${error.message}\n`);
  process.exitCode = 2;
}
