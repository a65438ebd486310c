import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Type-checks `source` (placed next to this spec) and returns its diagnostics as `line: message`. */
function typeErrors(source: string): string[] {
  const file = join(here, `.typing-${process.pid}-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, source);
  try {
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      strictPropertyInitialization: false,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
    });
    const sf = program.getSourceFile(file)!;
    return ts.getPreEmitDiagnostics(program, sf).map((d) => {
      const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line + 1;
      return `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
  } finally {
    rmSync(file, { force: true });
  }
}

const header = `
import { Injectable } from '@nestjs/common';
import { OnTwitchEvent } from '../../lib/eventsub/decorators/on-twitch-event.decorator.js';
import type { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import type { ChannelFollowEvent, StreamOnlineEvent } from '../../lib/eventsub-types.js';
import type { TwitchEventSubNotification } from '../../lib/eventsub/interfaces/twitch-eventsub-message.interface.js';
`;

describe('EventSub handler typing', () => {
  it('types the handler argument by subscription type and version, and the condition by its class', () => {
    const source = `${header}
@Injectable()
export class Good {
  @OnTwitchEvent('channel.follow', { version: '2', condition: { broadcasterUserId: '1', moderatorUserId: '1' } })
  a(event: ChannelFollowEvent, n: TwitchEventSubNotification<ChannelFollowEvent>) { return [event.followedAt.getTime(), n.messageId]; }
  @OnTwitchEvent('stream.online', { version: '1' })
  b(event: StreamOnlineEvent) { return event.startedAt; }
  @OnTwitchEvent('stream.online', { version: '1', condition: () => ({ broadcasterUserId: '1' }) })
  c() {}
}
@Injectable()
export class Bad {
  @OnTwitchEvent('channel.follow', { version: '2' }) // error: wrong event type
  wrongEvent(event: StreamOnlineEvent) { return event; }
  @OnTwitchEvent('channel.follow', { version: '1' }) // error: unknown version
  wrongVersion() {}
  @OnTwitchEvent('stream.online', { version: '1', condition: { broadcasterId: '1' } }) // error: unknown condition field
  wrongCondition() {}
}
export async function runtime(s: TwitchEventSubService) {
  await s.subscribe('channel.follow', '2', { broadcasterUserId: '1', moderatorUserId: '1' });
  await s.subscribe('channel.follow', '2', { broadcasterUserId: '1' }); // error: missing moderatorUserId
  s.on('stream.online', '1', (event) => event.startedAt.getTime());
}
`;
    const lines = source.split('\n');
    const expected = lines.flatMap((l, i) => (l.includes('// error:') ? [i + 1] : []));
    const errors = typeErrors(source);
    const errorLines = [...new Set(errors.map((e) => Number(e.split(':')[0])))];
    expect(expected).toHaveLength(4);
    expect(errorLines, errors.join('\n')).toEqual(expected);
  }, 60_000);
});
