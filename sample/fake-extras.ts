import type { FakeTwitch, FakeTwitchHandler } from '../lib/testing/index.js';
import { twitchError } from '../lib/testing/index.js';

/**
 * Get Followed Channels (`GET /helix/channels/followed`) from the fake's own users rather than
 * Twitch's documented example, so the sample's pages link to channels the fake knows. Every fake
 * user follows the first five seeded streamers and TwitchGaming (never themselves), followed a day apart.
 */
export function installSampleFakeRoutes(fake: FakeTwitch): void {
  const followedChannels: FakeTwitchHandler = (req, twitch) => {
    const token = req.token;
    if (!token || token.kind !== 'user') return twitchError(401, 'Missing User OAUTH Token');
    if (!token.scopes.includes('user:read:follows')) return twitchError(401, 'Missing scope: user:read:follows');
    const userId = req.query.user_id?.[0];
    if (!userId) return twitchError(400, 'Missing required parameter "user_id"');
    if (userId !== token.userId)
      return twitchError(400, "The ID in user_id must match the user ID found in the request's OAuth token.");
    const followed = [...twitch.state.users.values()]
      .filter((u) => u.id !== userId && (u.login === 'twitchgaming' || /^streamer[1-5]$/.test(u.login)))
      .filter((u) => !req.query.broadcaster_id?.length || req.query.broadcaster_id.includes(u.id));
    const day = 86_400_000;
    const data = followed.map((u, i) => ({
      broadcaster_id: u.id,
      broadcaster_login: u.login,
      broadcaster_name: u.displayName,
      followed_at: new Date(Date.UTC(2025, 0, 31) - i * day).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }));
    return { status: 200, body: { data, total: data.length, pagination: {} } };
  };
  fake.route('GET', '/channels/followed', followedChannels);
}
