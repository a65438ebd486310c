import type { TwitchExtensionPubSubPerms } from '../auth/extension-jwt.js';

/** Role of the viewer a frontend JWT was issued to (`external` is an EBS's own token). */
export type TwitchExtensionRole = 'broadcaster' | 'moderator' | 'viewer' | 'external';

/** Who called the EBS, from the verified frontend JWT (`@TwitchExtensionUser()`). */
export interface TwitchExtensionViewer {
  /** The channel the extension runs on (`channel_id`). */
  channelId: string;
  /** `opaque_user_id`: `U…` for a logged-in viewer, `A…` for a logged-out one; stable per extension. */
  opaqueUserId: string;
  /** The viewer's Twitch user ID (`user_id`), only when they shared their identity with the extension. */
  userId?: string;
  role: TwitchExtensionRole;
  /** `is_unlinked`: the viewer had shared their identity and took it back. */
  isUnlinked: boolean;
  /** `pubsub_perms`, as Twitch gave them. */
  pubsubPerms?: TwitchExtensionPubSubPerms;
  /** When the JWT expires (`exp`). */
  expiresAt: Date;
  /** The JWT itself. Not enumerable: `JSON.stringify`, `console.log` and spreading leave it out. Never log it. */
  readonly token: string;
}
