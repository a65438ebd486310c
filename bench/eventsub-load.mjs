// The load generator of the EventSub bench (started by bench/eventsub.mjs, pinned to its own core):
// signed webhook POSTs as Twitch sends them (Twitch-Eventsub-Message-* headers, HMAC-SHA256 of id +
// timestamp + raw body), over keep-alive connections on loopback. Each notification carries a sequence
// number in its user id, so that the receiver's handler times can be matched with the send times.
import http from 'node:http';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'eventsub', 'fixtures');
const send = (msg) => process.connected && process.send(msg);
const SEQ = '"__SEQ__"';

/** Twitch's example payloads, with the sequence number where the handlers read it. */
function template(payload) {
  if (payload === 'follow') {
    const { subscription, event } = JSON.parse(readFileSync(join(FIXTURES, 'channel.follow.v2.json'), 'utf8'));
    subscription.condition = { broadcaster_user_id: '1337', moderator_user_id: '1337' };
    return {
      type: 'channel.follow',
      version: '2',
      json: JSON.stringify({ subscription, event: { ...event, broadcaster_user_id: '1337', user_id: '__SEQ__' } }),
    };
  }
  const { subscription, event } = JSON.parse(readFileSync(join(FIXTURES, 'channel.chat.message.v1.json'), 'utf8'));
  subscription.condition = { broadcaster_user_id: '1337', user_id: '9001' };
  return {
    type: 'channel.chat.message',
    version: '1',
    json: JSON.stringify({ subscription, event: { ...event, broadcaster_user_id: '1337', chatter_user_id: '__SEQ__' } }),
  };
}

let seq = 0;
const agents = new Map();

function agentFor(concurrency) {
  if (!agents.has(concurrency)) agents.set(concurrency, new http.Agent({ keepAlive: true, maxSockets: concurrency }));
  return agents.get(concurrency);
}

function signed(t, secret) {
  const n = ++seq;
  const body = t.json.replace(SEQ, `"${n}"`);
  const id = randomUUID();
  const timestamp = new Date().toISOString();
  return {
    seq: n,
    body,
    headers: {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'Twitch-Eventsub-Message-Id': id,
      'Twitch-Eventsub-Message-Retry': '0',
      'Twitch-Eventsub-Message-Type': 'notification',
      'Twitch-Eventsub-Message-Timestamp': timestamp,
      'Twitch-Eventsub-Message-Signature': `sha256=${createHmac('sha256', secret).update(id).update(timestamp).update(body).digest('hex')}`,
      'Twitch-Eventsub-Subscription-Type': t.type,
      'Twitch-Eventsub-Subscription-Version': t.version,
    },
  };
}

function post(url, agent, req) {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method: 'POST', agent, headers: req.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(req.body);
  });
}

/**
 * `throughput`: `concurrency` workers post for `durationMs` (at least `n` requests); every
 * `retryEvery`-th request re-sends an earlier message unchanged (same id and signature: a retry).
 * `latency`: `n` requests one after the other; returns each one's send and acknowledgement time.
 */
async function run({ url, payload, secret, mode, concurrency = 1, durationMs = 0, n = 0, retryEvery = 0 }) {
  const t = template(payload);
  const agent = agentFor(concurrency);
  const statuses = {};
  let sent = 0;
  let retries = 0;
  const recent = [];
  const sends = [];
  const startNs = process.hrtime.bigint();
  const until = performance.now() + durationMs;
  const more = () => sent < n || (durationMs && performance.now() < until);
  const worker = async () => {
    while (more()) {
      sent++;
      let req;
      if (retryEvery && sent % retryEvery === 0 && recent.length) {
        req = recent[Math.floor(Math.random() * recent.length)];
        retries++;
      } else {
        req = signed(t, secret);
        recent.push(req);
        if (recent.length > 64) recent.shift();
      }
      const t0 = process.hrtime.bigint();
      const status = await post(url, agent, req);
      if (mode === 'latency') sends.push([req.seq, String(t0), String(process.hrtime.bigint())]);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: mode === 'latency' ? 1 : concurrency }, worker));
  const endNs = process.hrtime.bigint();
  return { sent, retries, unique: sent - retries, statuses, startNs: String(startNs), endNs: String(endNs), sends };
}

process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'run') send({ id: msg.id, ...(await run(msg)) });
    else if (msg.cmd === 'close') {
      for (const a of agents.values()) a.destroy();
      send({ id: msg.id });
      setTimeout(() => process.exit(0), 100).unref();
    }
  } catch (err) {
    send({ id: msg.id, error: String(err?.stack ?? err) });
  }
});
send({ ready: true });
