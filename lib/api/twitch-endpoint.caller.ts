import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { mapTwitchDto } from '../dto/twitch-dto.mapper.js';
import { TwitchTokenRequiredException } from '../exceptions/twitch-oauth.exception.js';
import { type TwitchInvalidParam, TwitchValidationException } from '../exceptions/twitch-validation.exception.js';
import { TwitchInvalidResponseException } from '../exceptions/twitch.exception.js';
import { TwitchCallContext } from '../http/twitch-call-context.js';
import { TwitchHttpClient } from '../http/twitch-http.client.js';
import type { TwitchRequestOptions } from '../interfaces/twitch-request-options.interface.js';
import type { TwitchEndpointBinding, TwitchEndpointClient, TwitchPageItem } from './twitch-endpoint-binding.js';
import type { TwitchEndpoint } from './twitch-endpoint.interface.js';
import { hasReservedKey, toParamsInstance } from './twitch-validation.js';
import { toWire } from './twitch-wire.js';

/**
 * Runs one endpoint: checks the params with class-validator (nothing is sent when they are wrong),
 * builds query and body in Twitch's names, sends through the pipeline and maps the answer to its DTO.
 */
@Injectable()
export class TwitchEndpointCaller implements TwitchEndpointClient {
  constructor(private readonly http: TwitchHttpClient) {}

  async call<P extends object, R>(
    binding: TwitchEndpointBinding<P, R>,
    params: P,
    options: TwitchRequestOptions = {},
  ): Promise<R> {
    const { endpoint } = binding;
    const label = `${endpoint.method} ${endpoint.path} (${endpoint.name})`;
    const input = checkParams(binding, params ?? ({} as P), label);
    const caller = callerOf(options, label);
    checkToken(endpoint, caller, label);
    const ctx = new TwitchCallContext({
      kind: 'helix',
      label,
      auth: endpoint.auth,
      accessToken: caller.accessToken,
      userId: caller.userId,
      scopes: endpoint.scopes,
      cacheTtl: options.cacheTtl,
      idempotent: endpoint.method === 'GET',
      answer: binding.text ? 'text' : binding.response ? 'data' : 'empty',
    });
    const res = await this.http.helix<unknown>(
      {
        method: endpoint.method,
        path: endpoint.path,
        params: endpoint.query.length ? toWire(endpoint.query, input) : undefined,
        data: endpoint.body.length ? toWire(endpoint.body, input) : undefined,
        signal: options.signal,
        timeout: options.timeout,
        responseType: binding.text ? 'text' : 'json',
      },
      ctx,
    );
    if (binding.text) return res.data as R;
    if (!binding.response || res.status === 204 || res.data === '' || res.data === undefined) return undefined as R;
    try {
      return mapTwitchDto(binding.response, res.data);
    } catch (err) {
      // The pipeline checked the answer's shape; anything the mapping still cannot take is Twitch's fault.
      const reason = `the answer could not be mapped (${(err as Error).name})`;
      throw new TwitchInvalidResponseException(
        `${label}: Twitch answered ${res.status} with an invalid body (${reason})`,
        { endpoint: label, twitchStatus: res.status, cause: err },
        reason,
      );
    }
  }

  async *iterate<P extends object, R>(
    binding: TwitchEndpointBinding<P, R>,
    params: P,
    options?: TwitchRequestOptions,
  ): AsyncIterableIterator<TwitchPageItem<R>> {
    let after: string | undefined;
    for (;;) {
      const page = (await this.call(binding, { ...params, after } as P, options)) as {
        data?: TwitchPageItem<R>[];
        pagination?: { cursor?: string } | string;
      };
      const data = page?.data ?? [];
      yield* data;
      const p = page?.pagination;
      const cursor = typeof p === 'string' ? p : p?.cursor;
      if (!cursor || data.length === 0) return;
      after = cursor;
    }
  }
}

function checkParams<P extends object>(
  binding: TwitchEndpointBinding<P, unknown>,
  params: P,
  label: string,
): Record<string, unknown> {
  if (typeof params !== 'object' || Array.isArray(params)) {
    throw new TwitchValidationException(label, [{ field: 'params', messages: ['params must be an object'] }]);
  }
  // The generated quick check settles the common case (plain, valid params) without class-validator; it
  // only says yes when class-validator would, so anything else goes to class-validator, which decides.
  if (
    binding.valid &&
    isQuickCheckable(params, binding.params) &&
    !hasReservedKey(params) &&
    binding.valid(params as Record<string, unknown>)
  ) {
    return params as Record<string, unknown>;
  }
  const { instance, reserved } = toParamsInstance(
    binding.params,
    params,
    (clean) => plainToInstance(binding.params, clean) as object,
  );
  const errors = validateSync(instance, VALIDATE_OPTIONS);
  if (errors.length || reserved.length) {
    const invalid = reserved.map((field) => ({ field, messages: [`${field} is not a parameter (reserved name)`] }));
    throw new TwitchValidationException(label, [...invalid, ...flatten(errors)]);
  }
  return params as Record<string, unknown>;
}

const VALIDATE_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false } as const;

/** Params the quick check reads as they are: a plain object or an instance of the params class itself. */
function isQuickCheckable(params: object, cls: Function): boolean {
  const proto = Object.getPrototypeOf(params);
  return proto === Object.prototype || proto === null || proto === cls.prototype;
}

function flatten(errors: ValidationError[], prefix = ''): TwitchInvalidParam[] {
  const out: TwitchInvalidParam[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) {
      out.push({
        field,
        messages: Object.values(e.constraints).map((m) =>
          m.startsWith(e.property) ? field + m.slice(e.property.length) : `${field}: ${m}`,
        ),
      });
    }
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/**
 * Who the call is made as: `user` (the identity of `@TwitchUser()`) becomes its token and user ID for a
 * bearer caller, or its user ID (the stored, refreshable tokens) for a session; otherwise `accessToken`
 * and `userId` as given.
 */
function callerOf(options: TwitchRequestOptions, label: string): TwitchCaller {
  const { user } = options;
  if (user === undefined) return { accessToken: options.accessToken, userId: options.userId };
  if (user === null || typeof user !== 'object' || typeof user.userId !== 'string' || user.userId === '') {
    throw new TypeError(`${label}: options.user must be the TwitchIdentity of @TwitchUser()`);
  }
  if (options.accessToken !== undefined) throw new TypeError(`${label}: give options.user or options.accessToken, not both`);
  if (options.userId !== undefined && options.userId !== user.userId) {
    throw new TypeError(`${label}: options.userId and options.user name different users`);
  }
  if (user.source === 'session') return { userId: user.userId };
  if (typeof user.accessToken !== 'string' || user.accessToken === '') {
    throw new TypeError(
      `${label}: options.user has no access token (pass the TwitchIdentity of @TwitchUser() itself, not a copy)`,
    );
  }
  return { accessToken: user.accessToken, userId: user.userId };
}

type TwitchCaller = Pick<TwitchRequestOptions, 'accessToken' | 'userId'>;

function checkToken(endpoint: TwitchEndpoint, options: TwitchCaller, label: string): void {
  if (options.accessToken) return;
  if (endpoint.auth === 'user' && !options.userId) {
    throw new TwitchTokenRequiredException(label, 'a user access token (options.user, options.userId or options.accessToken)');
  }
  if (endpoint.auth === 'jwt') throw new TwitchTokenRequiredException(label, 'a signed Extension JWT (options.accessToken)');
}
