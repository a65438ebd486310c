import { Inject, Injectable } from '@nestjs/common';
import { IsArray, IsBoolean, IsOptional, IsString, Matches, ArrayMinSize } from 'class-validator';
import { TwitchApiService } from '../api/twitch-api.service.js';
import type { TwitchEndpointBinding } from '../api/twitch-endpoint-binding.js';
import { TwitchEndpointCaller } from '../api/twitch-endpoint.caller.js';
import { TwitchValidationException } from '../exceptions/twitch-validation.exception.js';
import type { ExtensionConfigurationSegment, Extension } from '../generated/extensions/extensions.dto.js';
import { SEND_EXTENSION_PUB_SUB_MESSAGE } from '../generated/extensions/extensions.endpoints.js';
import type { TwitchRequestOptions } from '../interfaces/twitch-request-options.interface.js';
import { TWITCH_EXTENSION_RESOLVED_OPTIONS } from './twitch-extension.constants.js';
import type { TwitchExtensionResolvedOptions } from './twitch-extension-options.js';
import { TwitchExtensionJwtSigner } from './twitch-extension-jwt.signer.js';
import { TwitchExtensionPubSubPacer } from './twitch-extension-pubsub.pacer.js';
import { TwitchExtensionSecretsService } from './twitch-extension-secrets.service.js';

/** Request options of the EBS calls (the JWT is the module's business). */
export type TwitchExtensionCallOptions = Pick<TwitchRequestOptions, 'signal' | 'timeout'>;

/** A PubSub target: everyone on the channel, every channel, or one user. */
export type TwitchExtensionPubSubTarget = 'broadcast' | 'global' | `whisper-${string}`;

export interface TwitchExtensionPubSubMessage {
  /** The channel (broadcaster ID). Leave it out with `isGlobalBroadcast`. */
  broadcasterId?: string;
  /** `'broadcast'`, `'global'` or `'whisper-<user id>'`, or several of them. */
  target: TwitchExtensionPubSubTarget | TwitchExtensionPubSubTarget[];
  /** The message: a string, or a value sent as JSON. At most 5 KB once encoded. */
  message: unknown;
  /** Send to every channel where the extension is active (target `global`). */
  isGlobalBroadcast?: boolean;
}

export type TwitchExtensionSegment = 'broadcaster' | 'developer' | 'global';

/** Largest PubSub message and configuration segment Twitch takes (bytes). */
const MAX_5KB = 5 * 1024;
const TARGET = /^(?:broadcast|global|whisper-[0-9]{1,20})$/;
const USER_ID = /^[0-9]{1,20}$/;
const PUBSUB_LABEL = 'POST /extensions/pubsub (Send Extension PubSub Message)';

/** Params of Send Extension PubSub Message, with whisper targets (`whisper-<user id>`) allowed. */
class PubSubParams {
  @IsArray()
  @ArrayMinSize(1)
  @Matches(TARGET, { each: true })
  target!: string[];

  @IsOptional()
  @IsString()
  broadcasterId?: string;

  @IsOptional()
  @IsBoolean()
  isGlobalBroadcast?: boolean;

  @IsString()
  message!: string;
}

const PUBSUB_BINDING: TwitchEndpointBinding<PubSubParams, void> = {
  endpoint: SEND_EXTENSION_PUB_SUB_MESSAGE,
  params: PubSubParams,
};

/**
 * The EBS calls of Twitch's Extensions API, each with its own JWT signed by the module (see
 * `TwitchExtensionJwtSigner`), for the extension `TwitchExtensionModule` was given. PubSub messages
 * are paced per channel first (`TwitchExtensionPubSubPacer`). Bad input is refused with a
 * `TwitchValidationException` (400) naming the parameter, before anything is signed or sent.
 */
@Injectable()
export class TwitchExtensionService {
  constructor(
    @Inject(TWITCH_EXTENSION_RESOLVED_OPTIONS) private readonly options: TwitchExtensionResolvedOptions,
    private readonly api: TwitchApiService,
    private readonly caller: TwitchEndpointCaller,
    private readonly signer: TwitchExtensionJwtSigner,
    private readonly pacer: TwitchExtensionPubSubPacer,
    private readonly secrets: TwitchExtensionSecretsService,
  ) {}

  /** The extension's client ID. */
  get extensionId(): string {
    return this.options.extensionId;
  }

  /**
   * Send Extension PubSub Message: to a channel's viewers (`target: 'broadcast'`), to one viewer
   * (`'whisper-<user id>'`), or to every channel (`isGlobalBroadcast: true`, target `global`).
   * Waits for a free slot of the channel first (Twitch: 100 messages per minute per channel).
   *
   * @throws TwitchValidationException (400) for a bad target, channel or a message over 5 KB
   * @throws TwitchExtensionPubSubLimitException (429) when no slot frees up within `pubsub.maxWaitMs`
   */
  async sendPubSubMessage(input: TwitchExtensionPubSubMessage, options: TwitchExtensionCallOptions = {}): Promise<void> {
    const params = checkPubSub(input);
    const channel = params.isGlobalBroadcast ? 'all' : params.broadcasterId!;
    this.signer.assertCanSign(PUBSUB_LABEL);
    const slot = await this.pacer.acquire(channel, options.signal);
    try {
      const jwt = await this.signer.pubsub(channel, params.target);
      await this.caller.call(PUBSUB_BINDING, params, this.requestOptions(jwt, options));
    } finally {
      await slot.release();
    }
  }

  /**
   * Send Extension Chat Message to a broadcaster's chat, as the extension (at most 280 characters;
   * Twitch allows 12 per minute per channel).
   */
  async sendChatMessage(
    params: { broadcasterId: string; text: string; extensionVersion: string },
    options: TwitchExtensionCallOptions = {},
  ): Promise<void> {
    const label = 'POST /extensions/chat (Send Extension Chat Message)';
    checkObject(params, label);
    checkUserId(params.broadcasterId, 'broadcasterId', label);
    const jwt = await this.signer.external(label);
    await this.api.extensions.sendExtensionChatMessage(
      {
        broadcasterId: params.broadcasterId,
        text: params.text,
        extensionVersion: params.extensionVersion,
        extensionId: this.extensionId,
      },
      this.requestOptions(jwt, options),
    );
  }

  /**
   * Get Extension Configuration Segment: the `broadcaster` or `developer` segment of a channel, or the
   * `global` one. `undefined` when the segment was never set.
   */
  async getConfigurationSegment(
    params: { segment: TwitchExtensionSegment; broadcasterId?: string },
    options: TwitchExtensionCallOptions = {},
  ): Promise<ExtensionConfigurationSegment | undefined> {
    const label = 'GET /extensions/configurations (Get Extension Configuration Segment)';
    checkSegment(params, label);
    const jwt = await this.signer.external(label);
    const res = await this.api.extensions.getExtensionConfigurationSegment(
      {
        extensionId: this.extensionId,
        segment: params.segment,
        ...(params.broadcasterId !== undefined ? { broadcasterId: params.broadcasterId } : {}),
      },
      this.requestOptions(jwt, options),
    );
    return res?.data?.[0];
  }

  /** Set Extension Configuration Segment (`content` a string, or a value sent as JSON; at most 5 KB). */
  async setConfigurationSegment(
    params: { segment: TwitchExtensionSegment; broadcasterId?: string; content: unknown; version?: string },
    options: TwitchExtensionCallOptions = {},
  ): Promise<void> {
    const label = 'PUT /extensions/configurations (Set Extension Configuration Segment)';
    checkSegment(params, label);
    const content = encode(params.content, 'content', label);
    const jwt = await this.signer.external(label);
    await this.api.extensions.setExtensionConfigurationSegment(
      {
        extensionId: this.extensionId,
        segment: params.segment,
        content,
        ...(params.broadcasterId !== undefined ? { broadcasterId: params.broadcasterId } : {}),
        ...(params.version !== undefined ? { version: params.version } : {}),
      },
      this.requestOptions(jwt, options),
    );
  }

  /** Set Extension Required Configuration of a channel (signed as the owner, as Twitch requires). */
  async setRequiredConfiguration(
    params: { broadcasterId: string; extensionVersion: string; requiredConfiguration: string },
    options: TwitchExtensionCallOptions = {},
  ): Promise<void> {
    const label = 'PUT /extensions/required_configuration (Set Extension Required Configuration)';
    checkObject(params, label);
    checkUserId(params.broadcasterId, 'broadcasterId', label);
    const jwt = await this.signer.external(label);
    await this.api.extensions.setExtensionRequiredConfiguration(
      { ...params, extensionId: this.extensionId },
      this.requestOptions(jwt, options),
    );
  }

  /** Get Extensions: this extension (its latest released version, or `version`). */
  async getExtension(version?: string, options: TwitchExtensionCallOptions = {}): Promise<Extension | undefined> {
    const label = 'GET /extensions (Get Extensions)';
    const jwt = await this.signer.external(label);
    const res = await this.api.extensions.getExtensions(
      { extensionId: this.extensionId, ...(version !== undefined ? { extensionVersion: version } : {}) },
      this.requestOptions(jwt, options),
    );
    return res?.data?.[0];
  }

  /**
   * Create Extension Secret: starts a rotation (the new secret is active after `delaySeconds`, at
   * least 300), then fetches the secrets again for every instance.
   */
  async createSecret(delaySeconds = 300, options: TwitchExtensionCallOptions = {}): Promise<void> {
    const label = 'POST /extensions/jwt/secrets (Create Extension Secret)';
    const jwt = await this.signer.external(label);
    await this.api.extensions.createExtensionSecret(
      { extensionId: this.extensionId, delay: delaySeconds },
      this.requestOptions(jwt, options),
    );
    await this.secrets.refresh();
  }

  /** The JWT, and one rate-limit bucket for all the extension's calls (not one per JWT). */
  private requestOptions(jwt: string, options: TwitchExtensionCallOptions): TwitchRequestOptions {
    return { accessToken: jwt, userId: `extension:${this.extensionId}`, signal: options.signal, timeout: options.timeout };
  }
}

function invalid(label: string, field: string, message: string): TwitchValidationException {
  return new TwitchValidationException(label, [{ field, messages: [`${field} ${message}`] }]);
}

function checkObject(params: unknown, label: string): void {
  if (!params || typeof params !== 'object' || Array.isArray(params)) throw invalid(label, 'params', 'must be an object');
}

function checkUserId(value: unknown, field: string, label: string): void {
  if (typeof value !== 'string' || !USER_ID.test(value)) throw invalid(label, field, 'must be a Twitch user ID (digits)');
}

function encode(value: unknown, field: string, label: string): string {
  let s: string | undefined;
  try {
    s = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    s = undefined;
  }
  if (s === undefined) throw invalid(label, field, 'must be a string or a JSON value');
  if (Buffer.byteLength(s) > MAX_5KB) throw invalid(label, field, `must be at most 5 KB (got ${Buffer.byteLength(s)} bytes)`);
  return s;
}

function checkSegment(params: { segment?: unknown; broadcasterId?: unknown }, label: string): void {
  checkObject(params, label);
  if (!['broadcaster', 'developer', 'global'].includes(params.segment as string)) {
    throw invalid(label, 'segment', 'must be broadcaster, developer or global');
  }
  if (params.segment === 'global') {
    if (params.broadcasterId !== undefined) throw invalid(label, 'broadcasterId', 'must be left out for the global segment');
  } else {
    checkUserId(params.broadcasterId, 'broadcasterId', label);
  }
}

function checkPubSub(input: TwitchExtensionPubSubMessage): PubSubParams {
  checkObject(input, PUBSUB_LABEL);
  const targets = Array.isArray(input.target) ? input.target : [input.target];
  if (targets.length === 0 || !targets.every((t) => typeof t === 'string' && TARGET.test(t))) {
    throw invalid(PUBSUB_LABEL, 'target', 'must be broadcast, global or whisper-<user id> (or a list of them)');
  }
  if (input.isGlobalBroadcast !== undefined && typeof input.isGlobalBroadcast !== 'boolean') {
    throw invalid(PUBSUB_LABEL, 'isGlobalBroadcast', 'must be a boolean');
  }
  const message = encode(input.message, 'message', PUBSUB_LABEL);
  if (input.isGlobalBroadcast) {
    if (input.broadcasterId !== undefined) {
      throw invalid(PUBSUB_LABEL, 'broadcasterId', 'must be left out with isGlobalBroadcast');
    }
    if (targets.some((t) => t !== 'global')) throw invalid(PUBSUB_LABEL, 'target', 'must be global with isGlobalBroadcast');
    return { target: ['global'], isGlobalBroadcast: true, message };
  }
  checkUserId(input.broadcasterId, 'broadcasterId', PUBSUB_LABEL);
  if (targets.includes('global')) throw invalid(PUBSUB_LABEL, 'target', 'global needs isGlobalBroadcast: true');
  return { target: [...new Set(targets)], broadcasterId: input.broadcasterId, message };
}
