import type { FakeTwitch } from '../lib/testing/index.js';

/** EventSub webhook secret used with the embedded fake Twitch when `TWITCH_EVENTSUB_SECRET` is not set. */
export const DEV_EVENTSUB_SECRET = 'nestjs-twitch-sample-dev-secret';

/** Broadcaster whose follows, subscriptions, cheers and chat the sample shows with the embedded fake. */
export const DEV_BROADCASTER_ID = '141981764';

let embedded: FakeTwitch | undefined;

/** Remembers the embedded fake Twitch (set by main.ts), so that the live page's buttons can make it emit. */
export function setSampleFake(fake: FakeTwitch | undefined): void {
  embedded = fake;
}

export function sampleFake(): FakeTwitch | undefined {
  return embedded;
}
