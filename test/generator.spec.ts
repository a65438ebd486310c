import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const check = () => spawnSync(process.execPath, ['scripts/generate.mjs', '--check'], { cwd: root, encoding: 'utf8' });

describe('generated code', () => {
  it('matches what the generator makes from the committed model and overrides (drift check)', () => {
    const out = check();
    expect(out.stderr + out.stdout).not.toMatch(/differs|missing/i);
    expect(out.status).toBe(0);
  });

  it('the README coverage table is up to date with the catalog', () => {
    const out = check();
    expect(out.stdout + out.stderr).not.toContain('README.md');
    expect(out.status).toBe(0);
  });

  it('the drift check notices a stale README coverage table', () => {
    const file = join(root, 'README.md');
    const backup = join(mkdtempSync(join(tmpdir(), 'gen-')), 'README.md');
    copyFileSync(file, backup);
    try {
      writeFileSync(file, readFileSync(file, 'utf8').replace('`streams.getStreams`', '`streams.getStreamz`'));
      const out = check();
      expect(out.status).toBe(1);
      expect(out.stdout + out.stderr).toContain('README.md (differs)');
    } finally {
      copyFileSync(backup, file);
      rmSync(backup);
    }
  });

  it('the drift check notices a hand edit', () => {
    const file = join(root, 'lib/generated/streams/streams.endpoints.ts');
    const backup = join(mkdtempSync(join(tmpdir(), 'gen-')), 'copy.ts');
    copyFileSync(file, backup);
    try {
      writeFileSync(file, readFileSync(file, 'utf8').replace("path: '/streams'", "path: '/streamz'"));
      const out = check();
      expect(out.status).toBe(1);
      expect(out.stdout + out.stderr).toContain('streams.endpoints.ts');
    } finally {
      copyFileSync(backup, file);
      rmSync(backup);
    }
  });
});

describe('stage 1: operations and parameters newer than the spec', () => {
  /** The smallest spec stage 1 accepts: one GET operation in one category. */
  const spec = () => ({
    tags: [{ name: 'Chat' }],
    components: { securitySchemes: {}, schemas: {} },
    paths: {
      '/chat/color': {
        get: {
          summary: 'Gets the color used for the user’s name in chat.',
          description:
            'Gets the color used for the user’s name in chat.\n\n__Authorization:__\n\nRequires an app access token or user access token.',
          tags: ['Chat'],
          externalDocs: {
            description: 'Get User Chat Color',
            url: 'https://dev.twitch.tv/docs/api/reference#get-user-chat-color',
          },
          operationId: 'get-user-chat-color',
          parameters: [{ name: 'user_id', in: 'query', required: true, description: 'The user.', schema: { type: 'string' } }],
          responses: { '204': { description: 'OK' } },
        },
      },
    },
  });
  const pin = {
    path: '/chat/pins',
    method: 'put',
    operation: {
      summary: 'Pins a chat message.',
      description: 'NEW Pins a chat message.\n\n__Authorization:__\n\nRequires a user access token or an app access token.',
      tags: ['Chat'],
      externalDocs: { description: 'Pin Chat Message', url: 'https://dev.twitch.tv/docs/api/reference#pin-chat-message' },
      operationId: 'pin-chat-message',
      parameters: [{ name: 'message_id', in: 'query', required: true, description: 'The message.', schema: { type: 'string' } }],
      responses: { '204': { description: 'Pinned.' } },
      'x-request-example': { query: { message_id: ['abc'] }, body: null },
    },
    why: 'test',
  };
  const build = async (overrides: Record<string, unknown>) => {
    const { buildModel } = (await import(join(root, 'scripts/generator/model.mjs'))) as {
      buildModel(specText: string, overrides: unknown): { model: { operations: Record<string, unknown>[] } };
    };
    return buildModel(JSON.stringify(spec()), overrides).model;
  };

  it('adds a whole operation from the overrides, through the same stage as the spec’s own', async () => {
    const model = await build({ addOperations: [pin] });
    const op = model.operations.find((o) => o.name === 'Pin Chat Message')!;
    expect(op).toMatchObject({
      category: 'Chat',
      method: 'PUT',
      path: '/chat/pins',
      auth: 'either',
      status: 'new',
      successStatus: 204,
      docUrl: 'https://dev.twitch.tv/docs/api/reference#pin-chat-message',
      query: [{ name: 'message_id', required: true }],
      requestExample: { query: { message_id: ['abc'] }, body: null },
    });
  });

  it('adds a query parameter to an operation of the spec', async () => {
    const added = { name: 'conduit_id', in: 'query', description: 'A conduit.', schema: { type: 'string' } };
    const model = await build({ addParameters: [{ operation: 'Get User Chat Color', parameters: [added], why: 'test' }] });
    const op = model.operations.find((o) => o.name === 'Get User Chat Color')!;
    expect((op.query as { name: string; required: boolean }[]).map((q) => [q.name, q.required])).toEqual([
      ['user_id', true],
      ['conduit_id', false],
    ]);
  });

  it('refuses additions without a why, clashing with the spec, or naming an unknown operation', async () => {
    await expect(build({ addOperations: [{ ...pin, why: undefined }] })).rejects.toThrow(/PUT \/chat\/pins has no why/);
    const clash = { ...pin, path: '/chat/color', method: 'get' };
    await expect(build({ addOperations: [clash] })).rejects.toThrow(/already in the spec/);
    const user = { name: 'user_id', in: 'query', schema: { type: 'string' } };
    await expect(build({ addParameters: [{ operation: 'Get User Chat Color', parameters: [user], why: 'x' }] })).rejects.toThrow(
      /already has user_id/,
    );
    await expect(build({ addParameters: [{ operation: 'Nope', parameters: [], why: 'x' }] })).rejects.toThrow(
      /no operation Nope/,
    );
  });
});
