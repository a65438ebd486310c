import { Body, Controller, Get, Header, NotFoundException, Post, Query } from '@nestjs/common';
import { TwitchExtensionAuth, TwitchExtensionService, TwitchExtensionUser, type TwitchExtensionViewer } from '../lib/index.js';
import { sampleExtension } from './extension-dev.js';
import { page } from './html.js';

/**
 * An Extension Backend Service: a poll the viewers of a channel vote in. The routes under
 * /extension/api take the frontend's JWT (`Authorization: Bearer …`); each vote is broadcast to the
 * channel's viewers through Send Extension PubSub Message (paced per channel by the module).
 */
@Controller('extension')
export class ExtensionController {
  private readonly votes = new Map<string, Map<string, string>>();

  constructor(private readonly ebs: TwitchExtensionService) {}

  @Get('api/state')
  @TwitchExtensionAuth()
  state(@TwitchExtensionUser() viewer: TwitchExtensionViewer) {
    return { viewer, tally: this.tally(viewer.channelId) };
  }

  @Post('api/vote')
  @TwitchExtensionAuth({ roles: ['viewer', 'moderator', 'broadcaster'], linkedUser: true })
  async vote(@TwitchExtensionUser() viewer: TwitchExtensionViewer, @Body() body: { option?: unknown }) {
    const option = body?.option === 'a' || body?.option === 'b' ? body.option : 'a';
    const channel = this.votes.get(viewer.channelId) ?? new Map<string, string>();
    this.votes.set(viewer.channelId, channel);
    channel.set(viewer.userId!, option);
    const tally = this.tally(viewer.channelId);
    await this.ebs.sendPubSubMessage({ broadcasterId: viewer.channelId, target: 'broadcast', message: { type: 'tally', tally } });
    return { tally };
  }

  @Post('api/reset')
  @TwitchExtensionAuth({ roles: ['broadcaster'] })
  async reset(@TwitchExtensionUser('channelId') channelId: string) {
    this.votes.delete(channelId);
    await this.ebs.sendPubSubMessage({
      broadcasterId: channelId,
      target: 'broadcast',
      message: { type: 'tally', tally: { a: 0, b: 0 } },
    });
    return { tally: this.tally(channelId) };
  }

  /** With the embedded fake only: a frontend JWT, as `Twitch.ext.onAuthorized` would give the page. */
  @Get('dev-token')
  devToken(@Query('role') role?: string, @Query('linked') linked?: string) {
    const fake = sampleExtension.fake;
    if (!fake) throw new NotFoundException('Only with the embedded fake Twitch; a real frontend gets its JWT from Twitch');
    const r = role === 'broadcaster' || role === 'moderator' ? role : 'viewer';
    const userId = r === 'broadcaster' ? '141981764' : linked === 'false' ? undefined : '98765';
    return { token: fake.issueJwt({ channelId: '141981764', role: r, userId }) };
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  frontend() {
    return page(
      'Extension frontend',
      `<h1>Extension frontend</h1>
<p class="notice">This page plays the extension's viewer frontend: it takes a JWT (from the embedded fake Twitch here, from
<code>Twitch.ext.onAuthorized</code> in a real extension) and calls the EBS with <code>Authorization: Bearer</code>.</p>
<p>Act as
<select id="role"><option value="viewer">viewer (shared identity)</option><option value="anonymous">viewer (identity not shared)</option>
<option value="moderator">moderator</option><option value="broadcaster">broadcaster</option></select></p>
<p><button id="vote-a">Vote A</button> <button id="vote-b">Vote B</button> <button id="reset">Reset (broadcaster)</button></p>
<pre id="out">…</pre>
<script>
const out = document.getElementById('out');
async function token() {
  const role = document.getElementById('role').value;
  const q = role === 'anonymous' ? 'role=viewer&linked=false' : 'role=' + role;
  const res = await fetch('/extension/dev-token?' + q);
  if (!res.ok) throw new Error('no token: ' + res.status);
  return (await res.json()).token;
}
async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: 'Bearer ' + (await token()), 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  out.textContent = res.status + ' ' + JSON.stringify(await res.json(), null, 2);
}
document.getElementById('vote-a').onclick = () => call('POST', '/extension/api/vote', { option: 'a' });
document.getElementById('vote-b').onclick = () => call('POST', '/extension/api/vote', { option: 'b' });
document.getElementById('reset').onclick = () => call('POST', '/extension/api/reset');
document.getElementById('role').onchange = () => call('GET', '/extension/api/state');
call('GET', '/extension/api/state').catch((e) => (out.textContent = String(e)));
</script>`,
    );
  }

  private tally(channelId: string): { a: number; b: number } {
    const votes = [...(this.votes.get(channelId)?.values() ?? [])];
    return { a: votes.filter((v) => v === 'a').length, b: votes.filter((v) => v === 'b').length };
  }
}
