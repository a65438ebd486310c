import {
  Controller,
  HttpCode,
  Injectable,
  Logger,
  Module,
  NotFoundException,
  Post,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import {
  OnChatCommand,
  TwitchChatModule,
  TwitchUserTokenService,
  type TwitchChatCommand,
  type TwitchScope,
} from '../lib/index.js';
import { DEV_BROADCASTER_ID, sampleFake } from './live-state.js';

/** Scopes of the bot's user token: send and read chat as a bot. */
const BOT_SCOPES: TwitchScope[] = ['user:write:chat', 'user:read:chat', 'user:bot'];

/** The channel the live page shows (the embedded fake's streamer when none is configured). */
const broadcasterId = (config: ConfigService): string => config.get<string>('TWITCH_BROADCASTER_ID') ?? DEV_BROADCASTER_ID;

const botUserId = (config: ConfigService) => config.get<string>('TWITCH_CHAT_USER_ID') ?? broadcasterId(config);

/**
 * A small chat bot: answers `!hello` in the chat the live page shows (its `channel.chat.message`
 * subscription is the live feed's). Its reply comes back through EventSub and appears on the page.
 * With the embedded fake, the bot is the broadcaster and its token is issued at startup; with Twitch,
 * save the bot's user token (`user:write:chat`, `user:read:chat`, `user:bot`) through the login first.
 */
@Injectable()
export class SampleChatBot implements OnApplicationBootstrap {
  private readonly logger = new Logger('ChatBot');

  constructor(
    private readonly config: ConfigService,
    private readonly userTokens: TwitchUserTokenService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const fake = sampleFake();
    if (!fake) return;
    const issued = fake.issueUserToken({ userId: botUserId(this.config), scopes: BOT_SCOPES });
    await this.userTokens.save({ ...issued, scopes: BOT_SCOPES, tokenType: 'bearer' });
  }

  @OnChatCommand('!hello')
  async hello(command: TwitchChatCommand): Promise<void> {
    this.logger.log(`!hello from ${command.message.chatterUserLogin}`);
    await command.reply(`Hello @${command.message.chatterUserLogin}!`);
  }
}

/** `POST /live/chat/hello`: a viewer of the embedded fake types `!hello` (only with the fake). */
@Controller('live/chat')
export class SampleChatController {
  constructor(private readonly config: ConfigService) {}

  @Post('hello')
  @HttpCode(202)
  async hello(): Promise<{ messageId: string }> {
    const fake = sampleFake();
    if (!fake) throw new NotFoundException('The chat button needs the embedded fake Twitch (run without TWITCH_CLIENT_ID)');
    const channel = broadcasterId(this.config);
    const viewers = [...fake.state.users.values()].filter((u) => u.id !== channel && u.id !== botUserId(this.config));
    const viewer = viewers[Math.floor(Math.random() * viewers.length)];
    const message = await fake.chat.post({ channel, userId: viewer.id, login: viewer.login, text: '!hello' });
    return { messageId: message.messageId };
  }
}

/** The chat bot of the sample, on the sample's EventSub. */
@Module({
  imports: [
    ConfigModule,
    TwitchChatModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        botUserId: botUserId(config),
        roles: { [broadcasterId(config)]: 'moderator' },
      }),
    }),
  ],
  controllers: [SampleChatController],
  providers: [SampleChatBot],
})
export class SampleChatModule {}
