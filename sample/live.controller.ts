import { randomUUID } from 'node:crypto';
import { Controller, Get, Header, HttpCode, NotFoundException, Param, Post, Sse, type MessageEvent } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { map, type Observable } from 'rxjs';
import { page } from './html.js';
import { LiveFeed, type LiveEntry } from './live-feed.service.js';
import { sampleFake } from './live-state.js';

const KINDS = ['follow', 'subscribe', 'cheer', 'chat'] as const;
type Kind = (typeof KINDS)[number];

/** The live page: notifications as they arrive (server-sent events), and buttons that make the embedded fake emit. */
@Controller()
export class LiveController {
  constructor(
    private readonly feed: LiveFeed,
    private readonly config: ConfigService,
  ) {}

  /** The last 100 accepted notifications, in arrival order: `{ id, type, version, event }`. */
  @Get('events.json')
  @Header('Cache-Control', 'no-store')
  events(): LiveEntry[] {
    return this.feed.recent();
  }

  @Sse('live/stream')
  stream(): Observable<MessageEvent> {
    return this.feed.arrivals.pipe(map((entry) => ({ data: entry })));
  }

  /** Makes the embedded fake Twitch send a notification (only with the fake). */
  @Post('live/emit/:kind')
  @HttpCode(202)
  async emit(@Param('kind') kind: string) {
    const fake = sampleFake();
    if (!fake) throw new NotFoundException('The buttons need the embedded fake Twitch (run without TWITCH_CLIENT_ID)');
    if (!KINDS.includes(kind as Kind)) throw new NotFoundException(`Unknown kind "${kind}" (${KINDS.join(', ')})`);
    const id = this.config.getOrThrow<string>('TWITCH_BROADCASTER_ID');
    const b = fake.state.users.get(id);
    const viewers = [...fake.state.users.values()].filter((u) => u.id !== id);
    const u = viewers[Math.floor(Math.random() * viewers.length)];
    const broadcaster = {
      broadcaster_user_id: id,
      broadcaster_user_login: b?.login ?? `user${id}`,
      broadcaster_user_name: b?.displayName ?? `user${id}`,
    };
    const user = { user_id: u.id, user_login: u.login, user_name: u.displayName };
    const events: Record<Kind, [string, Record<string, unknown>]> = {
      follow: ['channel.follow', { ...user, ...broadcaster, followed_at: new Date().toISOString() }],
      subscribe: [
        'channel.subscribe',
        { ...user, ...broadcaster, tier: ['1000', '2000', '3000'][Math.floor(Math.random() * 3)], is_gift: false },
      ],
      cheer: ['channel.cheer', { is_anonymous: false, ...user, ...broadcaster, message: 'Cheer100 great stream', bits: 100 }],
      chat: [
        'channel.chat.message',
        {
          ...broadcaster,
          chatter_user_id: u.id,
          chatter_user_login: u.login,
          chatter_user_name: u.displayName,
          message_id: randomUUID(),
          message: {
            text: 'Hello chat!',
            fragments: [{ type: 'text', text: 'Hello chat!', cheermote: null, emote: null, mention: null }],
          },
          color: '#9147FF',
          badges: [],
          message_type: 'text',
          cheer: null,
          reply: null,
          channel_points_custom_reward_id: null,
          source_broadcaster_user_id: null,
          source_broadcaster_user_login: null,
          source_broadcaster_user_name: null,
          source_message_id: null,
          source_badges: null,
        },
      ],
    };
    const [type, event] = events[kind as Kind];
    if (this.transport() === 'websocket') {
      // The WebSocket transport: the fake writes the notification to the session the subscription is on.
      const sub = [...fake.state.eventSubSubscriptions.values()].find(
        (s) => s.type === type && s.status === 'enabled' && s.transport.method === 'websocket',
      );
      if (!sub) throw new NotFoundException(`No enabled WebSocket subscription of ${type} yet`);
      const record = fake.eventSubWs.emit(sub.id, event);
      return {
        type,
        transport: 'websocket',
        deliveries: [{ messageId: record.messageId, status: record.outcome, error: record.reason }],
      };
    }
    const deliveries = await fake.eventSub.emit(type, event);
    return {
      type,
      transport: 'webhook',
      deliveries: deliveries.map((d) => ({ messageId: d.messageId, status: d.status, error: d.error })),
    };
  }

  /** How the sample receives EventSub: webhooks with a public callback URL, else the WebSocket transport. */
  private transport(): 'webhook' | 'websocket' {
    return !this.config.get('TWITCH_EVENTSUB_CALLBACK') && this.config.get('TWITCH_BROADCASTER_ID') ? 'websocket' : 'webhook';
  }

  @Get('live')
  @Header('Content-Type', 'text/html; charset=utf-8')
  live() {
    const via = this.transport() === 'websocket' ? 'over the EventSub WebSocket transport' : 'to <code>POST /eventsub</code>';
    const buttons = sampleFake()
      ? `<p>${KINDS.map((k) => `<button type="button" data-kind="${k}" id="emit-${k}">${k}</button>`).join(' ')}` +
        ' <button type="button" id="chat-hello" title="a viewer types !hello; the bot answers">!hello</button></p>'
      : '<p class="notice">Connected to Twitch: notifications appear as they happen.</p>';
    return page(
      'Live - nestjs-twitch sample',
      `<h1>Live</h1>
<p>Follows, subscriptions, cheers and chat messages, as Twitch sends them ${via}
(also at <a href="/events.json">/events.json</a>).</p>
${buttons}
<ol id="events" reversed></ol>
<p><a href="/">Home</a></p>
<script>
const list = document.getElementById('events');
const describe = (e) => {
  const ev = e.event || {};
  switch (e.type) {
    case 'channel.follow': return ev.userName + ' followed';
    case 'channel.subscribe': return ev.userName + ' subscribed (tier ' + ev.tier + ')';
    case 'channel.cheer': return (ev.userName || 'Anonymous') + ' cheered ' + ev.bits + ' bits';
    case 'channel.chat.message': return ev.chatterUserName + ': ' + (ev.message && ev.message.text);
    default: return e.type;
  }
};
const show = (e) => {
  const li = document.createElement('li');
  li.dataset.type = e.type;
  li.dataset.id = e.id;
  li.textContent = describe(e);
  list.prepend(li);
};
fetch('/events.json').then((r) => r.json()).then((all) => all.forEach(show));
new EventSource('/live/stream').onmessage = (m) => show(JSON.parse(m.data));
document.getElementById('chat-hello')?.addEventListener('click', () => fetch('/live/chat/hello', { method: 'POST' }));
for (const b of document.querySelectorAll('button[data-kind]')) {
  b.addEventListener('click', () => fetch('/live/emit/' + b.dataset.kind, { method: 'POST' }));
}
</script>`,
    );
  }
}
