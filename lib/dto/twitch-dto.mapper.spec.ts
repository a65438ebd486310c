import 'reflect-metadata';
import { instanceToPlain, plainToInstance } from 'class-transformer';
import { describe, expect, it } from 'vitest';
import { GetStreamsResponse, Stream } from '../generated/streams/streams.dto.js';
import { GetTeamsResponse, Team, TeamUsers } from '../generated/teams/teams.dto.js';
import { mapTwitchDto, twitchDate, twitchPlain } from './twitch-dto.mapper.js';
import { TwitchField } from './twitch-field.decorator.js';
import { TwitchPagination } from './twitch-pagination.dto.js';

/** Get Teams, as Twitch documents it: a team with a nested list of users, timestamps and null fields. */
const teams = () =>
  JSON.parse(`{
    "data": [{
      "users": [
        { "user_id": "278217731", "user_name": "mastermndio", "user_login": "mastermndio" },
        { "user_id": "41284990", "user_name": "jenninexus", "user_login": "jenninexus" }
      ],
      "background_image_url": null,
      "banner": null,
      "created_at": "2019-02-11T12:09:22Z",
      "updated_at": "2020-11-18T15:56:41.5Z",
      "info": "<p>Live coders</p>",
      "thumbnail_url": "https://static-cdn.jtvnw.net/team.png",
      "team_name": "livecoders",
      "team_display_name": "Live Coders",
      "id": "6358"
    }]
  }`) as Record<string, unknown>;

const stream = () =>
  JSON.parse(`{
    "id": "40952121085",
    "user_id": "101051819",
    "user_login": "afro",
    "user_name": "Afro",
    "game_id": "32982",
    "game_name": "Grand Theft Auto V",
    "type": "live",
    "title": "Jacob: Digital Den Laptops & Routers",
    "tags": ["English", "Speedrun"],
    "viewer_count": 1490,
    "started_at": "2021-03-31T20:57:26Z",
    "language": "en",
    "thumbnail_url": "https://static-cdn.jtvnw.net/previews-ttv/live_user_afro-{width}x{height}.jpg",
    "tag_ids": [],
    "is_mature": false
  }`) as Record<string, unknown>;

describe('mapTwitchDto with the generated DTOs', () => {
  it("maps snake_case onto the DTO's camelCase properties, nested lists onto their own classes, timestamps to Date", () => {
    const res = mapTwitchDto(GetTeamsResponse, teams());
    expect(res).toBeInstanceOf(GetTeamsResponse);
    expect(res.data).toHaveLength(1);
    const [team] = res.data;
    expect(team).toBeInstanceOf(Team);
    expect(team.teamDisplayName).toBe('Live Coders');
    expect(team.thumbnailUrl).toBe('https://static-cdn.jtvnw.net/team.png');
    expect(team.createdAt).toEqual(new Date(Date.UTC(2019, 1, 11, 12, 9, 22)));
    expect(team.updatedAt).toEqual(new Date(Date.UTC(2020, 10, 18, 15, 56, 41, 500)));
    expect(team.users.map((u) => u instanceof TeamUsers)).toEqual([true, true]);
    expect(team.users.map((u) => ({ ...u }))).toEqual([
      { userId: '278217731', userName: 'mastermndio', userLogin: 'mastermndio' },
      { userId: '41284990', userName: 'jenninexus', userLogin: 'jenninexus' },
    ]);
  });

  it("equals class-transformer's plainToInstance, and is what the class's own fromTwitch gives", () => {
    for (const [cls, raw] of [
      [GetTeamsResponse, teams()],
      [GetStreamsResponse, { data: [stream(), stream()], pagination: { cursor: 'eyJiIjpudWxs' } }],
      [Stream, stream()],
    ] as const) {
      const mapped = mapTwitchDto(cls as new () => object, raw);
      const reference = plainToInstance(cls as new () => object, raw);
      expect(mapped).toEqual(reference);
      expect(instanceToPlain(mapped)).toEqual(instanceToPlain(reference));
      expect(mapped).toEqual(cls.fromTwitch(raw));
    }
    const streams = mapTwitchDto(GetStreamsResponse, { data: [stream()], pagination: { cursor: 'c' } });
    expect(streams.pagination).toBeInstanceOf(TwitchPagination);
    expect(streams.pagination?.cursor).toBe('c');
  });

  it('keeps null as null, leaves missing fields unset and drops keys the DTO does not declare', () => {
    const raw = stream();
    delete raw.game_name;
    raw.title = null;
    raw.brand_new_field = { nested: true };
    raw.gameName = 'a camelCase key is not a Twitch field';
    const mapped = mapTwitchDto(Stream, raw);
    expect(mapped.title).toBeNull();
    expect(Object.hasOwn(mapped, 'gameName')).toBe(false);
    expect(Object.keys(mapped)).not.toContain('brand_new_field');
    expect(Object.keys(mapped)).not.toContain('brandNewField');
    expect(Object.keys(mapped).sort()).toEqual(
      [
        'id',
        'userId',
        'userLogin',
        'userName',
        'gameId',
        'type',
        'title',
        'viewerCount',
        'startedAt',
        'language',
        'thumbnailUrl',
        'tagIds',
        'tags',
        'isMature',
      ].sort(),
    );
    expect(mapTwitchDto(GetStreamsResponse, { data: [] })).toEqual(Object.assign(new GetStreamsResponse(), { data: [] }));
    expect(Object.keys(mapTwitchDto(GetStreamsResponse, {}))).toEqual([]);
  });

  it('maps an empty or null timestamp to null, and keeps an unreadable one as an invalid Date', () => {
    const mapped = mapTwitchDto(Stream, { ...stream(), started_at: '' });
    expect(mapped.startedAt).toBeNull();
    expect(mapTwitchDto(Stream, { ...stream(), started_at: null }).startedAt).toBeNull();
    const bad = mapTwitchDto(Stream, { ...stream(), started_at: 'not a date' }).startedAt;
    expect(bad).toBeInstanceOf(Date);
    expect(Number.isNaN(bad.getTime())).toBe(true);
    expect(plainToInstance(Stream, { started_at: '' }).startedAt).toBeNull();
  });

  it('copies arrays, never sharing them with the answer (a cached answer cannot be changed through a DTO)', () => {
    const raw = teams();
    const mapped = mapTwitchDto(GetTeamsResponse, raw);
    const rawTeam = (raw.data as Record<string, unknown>[])[0];
    (rawTeam.users as unknown[]).push({ user_id: '1' });
    rawTeam.team_name = 'changed';
    expect(mapped.data[0].users).toHaveLength(2);
    expect(mapped.data[0].teamName).toBe('livecoders');
    const s = stream();
    const dto = mapTwitchDto(Stream, s);
    expect(dto.tags).not.toBe(s.tags);
    dto.tags.push('changed');
    expect(s.tags).toEqual(['English', 'Speedrun']);
  });
});

describe("mapTwitchDto and a class's own fromTwitch", () => {
  it('runs the static fromTwitch a class has (every generated DTO has one), with the class as this, for each item', () => {
    class Custom {
      @TwitchField('a')
      a: string;

      static fromTwitch(this: typeof Custom, raw: Record<string, unknown>): Custom {
        const out = new this();
        out.a = `own:${String(raw.a)}`;
        return out;
      }
    }
    expect(mapTwitchDto(Custom, { a: 'x' })).toEqual(Object.assign(new Custom(), { a: 'own:x' }));
    const list = mapTwitchDto(Custom, [{ a: 'y' }, { a: 'z' }]) as unknown as Custom[];
    expect(list.map((c) => c.a)).toEqual(['own:y', 'own:z']);
    expect(list[0]).toBeInstanceOf(Custom);
  });
});

describe('mapTwitchDto on lists and on what is not an object', () => {
  it('maps a list item by item, keeping null items and mapping nested lists', () => {
    const mapped = mapTwitchDto(TeamUsers, [{ user_id: '1' }, null, [{ user_id: '2' }, [{ user_id: '3' }]]]) as unknown as [
      TeamUsers,
      null,
      [TeamUsers, [TeamUsers]],
    ];
    expect(mapped[0]).toBeInstanceOf(TeamUsers);
    expect(mapped[0].userId).toBe('1');
    expect(mapped[1]).toBeNull();
    expect(mapped[2][0]).toBeInstanceOf(TeamUsers);
    expect(mapped[2][0].userId).toBe('2');
    expect(mapped[2][1][0].userId).toBe('3');
    expect(mapTwitchDto(TeamUsers, [])).toEqual([]);
  });

  it('gives back null, undefined and primitives as they are', () => {
    for (const v of [null, undefined, 'text', 5, true]) expect(mapTwitchDto(TeamUsers, v)).toBe(v);
    expect(mapTwitchDto(TeamUsers, [1, 'x', undefined])).toEqual([1, 'x', undefined]);
    // A nested field Twitch sends as something else is kept as sent.
    expect(mapTwitchDto(GetTeamsResponse, { data: 'oops' }).data).toBe('oops');
  });
});

describe('mapTwitchDto on a class without its own fromTwitch', () => {
  class Owner {
    @TwitchField('user_id')
    userId: string;
  }
  class Base {
    @TwitchField('id')
    id: string;
  }
  class Reward extends Base {
    @TwitchField('reward_title')
    title: string;

    @TwitchField('redeemed_at', { type: () => Date })
    redeemedAt: Date | null;

    @TwitchField('history', { type: () => Date })
    history: (Date | null)[];

    @TwitchField('owner', { type: () => Owner })
    owner: Owner;

    @TwitchField('settings')
    settings: Record<string, unknown>;
  }

  it("walks the declared fields, its parents' first: plain, Date, lists of Date, nested classes", () => {
    const raw = {
      id: 'r1',
      reward_title: 'Hydrate',
      redeemed_at: '2024-05-01T10:00:00Z',
      history: ['2024-04-01T10:00:00Z', '', null],
      owner: { user_id: '141981764', extra: 1 },
      settings: { max_per_stream: { is_enabled: true, value: [1, 2] } },
      ignored: 'x',
    };
    const mapped = mapTwitchDto(Reward, raw);
    expect(mapped).toBeInstanceOf(Reward);
    expect(Object.keys(mapped)).toEqual(['id', 'title', 'redeemedAt', 'history', 'owner', 'settings']);
    expect(mapped.redeemedAt).toEqual(new Date('2024-05-01T10:00:00Z'));
    expect(mapped.history).toEqual([new Date('2024-04-01T10:00:00Z'), null, null]);
    expect(mapped.owner).toBeInstanceOf(Owner);
    expect({ ...mapped.owner }).toEqual({ userId: '141981764' });
    expect(mapped.settings).toEqual(raw.settings);
    // class-transformer maps the declared fields the same way, both ways.
    const declared = { ...raw, ignored: undefined, owner: { user_id: '141981764' } };
    expect(mapped).toEqual(plainToInstance(Reward, declared));
    expect(instanceToPlain(mapped)).toEqual({
      ...declared,
      redeemed_at: '2024-05-01T10:00:00.000Z',
      history: ['2024-04-01T10:00:00.000Z', null, null],
    });
  });

  it('copies plain objects deeply, never sharing them with the answer', () => {
    const raw = { settings: { max_per_stream: { is_enabled: true, value: [1, 2] } } };
    const mapped = mapTwitchDto(Reward, raw);
    expect(mapped.settings).not.toBe(raw.settings);
    expect(mapped.settings.max_per_stream).not.toBe(raw.settings.max_per_stream);
    raw.settings.max_per_stream.value.push(3);
    raw.settings.max_per_stream.is_enabled = false;
    expect(mapped.settings).toEqual({ max_per_stream: { is_enabled: true, value: [1, 2] } });
  });

  it('keeps a "__proto__" key of the JSON as data, changing no prototype', () => {
    const raw = JSON.parse('{"settings": {"__proto__": {"polluted": true}, "a": [{"__proto__": {"polluted": true}}]}}');
    const mapped = mapTwitchDto(Reward, raw);
    const settings = mapped.settings as { polluted?: unknown; a: { polluted?: unknown }[] };
    expect(Object.getPrototypeOf(settings)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(settings.a[0])).toBe(Object.prototype);
    expect(settings.polluted).toBeUndefined();
    expect(settings.a[0].polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(settings, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("maps a subclass of a generated DTO onto the subclass, with the parent's fields", () => {
    class LiveStream extends Stream {
      @TwitchField('is_live')
      isLive: boolean;
    }
    const mapped = mapTwitchDto(LiveStream, { ...stream(), is_live: true });
    expect(mapped).toBeInstanceOf(LiveStream);
    expect(mapped.isLive).toBe(true);
    expect(mapped.startedAt).toEqual(new Date('2021-03-31T20:57:26Z'));
    expect({ ...mapped, isLive: undefined }).toEqual({ ...Stream.fromTwitch(stream()), isLive: undefined });
  });
});

describe('twitchPlain and twitchDate', () => {
  it('twitchPlain keeps primitives and copies arrays and plain objects', () => {
    for (const v of ['a', 1, false, null, undefined]) expect(twitchPlain(v)).toBe(v);
    const list = [{ a: 1 }, [2]];
    const copy = twitchPlain(list) as typeof list;
    expect(copy).toEqual(list);
    expect(copy).not.toBe(list);
    expect(copy[0]).not.toBe(list[0]);
    expect(copy[1]).not.toBe(list[1]);
    // Anything but a plain object is kept as it is.
    const when = new Date(0);
    expect(twitchPlain(when)).toBe(when);
  });

  it('twitchDate maps a timestamp or a list of them, "" and null to null', () => {
    expect(twitchDate('2021-03-31T20:57:26Z')).toEqual(new Date('2021-03-31T20:57:26Z'));
    expect(twitchDate('')).toBeNull();
    expect(twitchDate(null)).toBeNull();
    expect(twitchDate(undefined)).toBeUndefined();
    expect(twitchDate(['2021-03-31T20:57:26Z', '', null])).toEqual([new Date('2021-03-31T20:57:26Z'), null, null]);
    const when = new Date(0);
    expect(twitchDate(when)).toBe(when);
  });
});
