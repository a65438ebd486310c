/**
 * Deterministic seed data for the fake Twitch server. Internal to the fake.
 */
import type { FakeChannel, FakeStream, FakeUser } from './types.js';

/** Game (category) names the fake knows, by id. Unknown ids get an empty name. */
export const GAMES: Readonly<Record<string, string>> = {
  '509658': 'Just Chatting',
  '32982': 'Grand Theft Auto V',
  '21779': 'League of Legends',
  '516575': 'VALORANT',
  '27471': 'Minecraft',
  '33214': 'Fortnite',
  '509670': 'Science & Technology',
  '494131': 'Little Nightmares',
};

const SEED_GAME_IDS = ['509658', '32982', '21779', '516575', '27471', '33214'];
const LANGUAGES = ['en', 'en', 'es', 'de', 'fr', 'pt', 'ja', 'ko'];
const TAGS = [
  ['English', 'Chill', 'Cozy'],
  ['English', 'RP', 'NoBackseating'],
  ['Español', 'Competitive'],
  ['Deutsch', 'Ranked', 'Chatty'],
  ['Français', 'Speedrun'],
  ['Português', 'Variety', 'Family Friendly'],
];
const TITLE_PARTS = [
  'morning coffee and chat',
  'road to the top of ranked',
  'new patch first look, come hang out',
  'community night: viewer games all evening',
  'speedrun practice, any% attempts until PB',
  'chill vibes, lofi and building stuff',
];

/** Epoch ms of the first seeded stream's start (2026-01-05T12:00:00Z). */
const SEED_EPOCH = Date.UTC(2026, 0, 5, 12, 0, 0);

/** Build a complete user from a partial one. */
export function makeUser(partial: Partial<FakeUser> & { id: string; login: string }): FakeUser {
  const login = partial.login.toLowerCase();
  return {
    displayName: partial.login,
    type: '',
    broadcasterType: '',
    description: '',
    profileImageUrl: `https://static-cdn.jtvnw.net/jtv_user_pictures/${login}-profile_image-300x300.png`,
    offlineImageUrl: '',
    viewCount: 0,
    email: `${login}@example.invalid`,
    createdAt: '2020-01-01T00:00:00Z',
    ...partial,
    login,
  };
}

/** The default channel of a user. */
export function makeChannel(user: FakeUser, partial: Partial<FakeChannel> = {}): FakeChannel {
  return {
    broadcasterId: user.id,
    broadcasterLogin: user.login,
    broadcasterName: user.displayName,
    broadcasterLanguage: 'en',
    gameId: '',
    gameName: '',
    title: '',
    delay: 0,
    tags: [],
    contentClassificationLabels: [],
    isBrandedContent: false,
    ...partial,
  };
}

/** Users present in every fake (the first one is the default user of the authorize page). */
export function baseUsers(): { user: FakeUser; channel: Partial<FakeChannel> }[] {
  return [
    {
      user: makeUser({
        id: '141981764',
        login: 'twitchdev',
        displayName: 'TwitchDev',
        broadcasterType: 'partner',
        description: 'Supporting third-party developers building Twitch integrations from chatbots to game integrations.',
        profileImageUrl:
          'https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-d0c0-4576-b179-38bd5ce1d6af-profile_image-300x300.png',
        offlineImageUrl:
          'https://static-cdn.jtvnw.net/jtv_user_pictures/3f13ab61-ec78-4fe6-8481-8682cb3b0ac2-channel_offline_image-1920x1080.png',
        viewCount: 5980557,
        email: 'not-real@email.com',
        createdAt: '2016-12-14T20:32:28Z',
      }),
      channel: {
        broadcasterLanguage: 'en',
        gameId: '509670',
        gameName: 'Science & Technology',
        title: 'TwitchDev Monthly Update // May 6, 2021',
        tags: ['DevsInTheKnow'],
        contentClassificationLabels: ['Gambling', 'DrugsIntoxication', 'MatureGame'],
      },
    },
    {
      user: makeUser({
        id: '527115020',
        login: 'twitchgaming',
        displayName: 'TwitchGaming',
        broadcasterType: 'partner',
        description: 'The official Twitch Gaming channel.',
        viewCount: 1234567,
        createdAt: '2020-04-22T19:51:02Z',
      }),
      channel: { gameId: '509658', gameName: 'Just Chatting', title: 'Twitch Gaming presents', tags: ['English'] },
    },
  ];
}

/** The i-th (0-based) of `total` seeded live streamers: a user, a channel and a stream. */
export function seededStreamer(i: number, total: number): { user: FakeUser; channel: FakeChannel; stream: FakeStream } {
  const n = i + 1;
  const gameId = SEED_GAME_IDS[i % SEED_GAME_IDS.length];
  const gameName = GAMES[gameId];
  const language = LANGUAGES[i % LANGUAGES.length];
  const tags = TAGS[i % TAGS.length];
  const title = `Streamer ${n} | ${TITLE_PARTS[i % TITLE_PARTS.length]} | ${gameName} | !socials !discord !schedule`;
  const user = makeUser({
    id: String(1000 + i),
    login: `streamer${n}`,
    displayName: `Streamer${n}`,
    broadcasterType: i % 3 === 0 ? 'partner' : 'affiliate',
    description: `Seeded streamer number ${n}.`,
    viewCount: 1000 * (total - i),
    createdAt: new Date(Date.UTC(2018, 0, 1) + i * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  const channel = makeChannel(user, { broadcasterLanguage: language, gameId, gameName, title, tags: [...tags] });
  const stream: FakeStream = {
    id: String(40_000_000_000 + i),
    userId: user.id,
    userLogin: user.login,
    userName: user.displayName,
    gameId,
    gameName,
    type: 'live',
    title,
    tags: [...tags],
    // Strictly decreasing with i, so seeded order == viewer order.
    viewerCount: (total - i) * 7 + Math.floor(100_000 / n),
    startedAt: new Date(SEED_EPOCH - i * 97_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    language,
    thumbnailUrl: `https://static-cdn.jtvnw.net/previews-ttv/live_user_${user.login}-{width}x{height}.jpg`,
    isMature: i % 5 === 4,
  };
  return { user, channel, stream };
}

/** The i-th (0-based) seeded offline user. */
export function seededViewer(i: number): FakeUser {
  const n = i + 1;
  return makeUser({
    id: String(500_000 + n),
    login: `viewer${n}`,
    displayName: `Viewer${n}`,
    description: `Seeded viewer number ${n}.`,
    createdAt: new Date(Date.UTC(2021, 5, 1) + i * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
}
