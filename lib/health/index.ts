/**
 * `nestjs-twitch/health`: the health indicator for `@nestjs/terminus` (an optional peer dependency,
 * loaded only through this entry point).
 */
export {
  TwitchHealthIndicator,
  TwitchHealthModule,
  type TwitchHealthEventSubTransport,
  type TwitchHealthOptions,
  type TwitchHealthPart,
} from './twitch-health.indicator.js';
