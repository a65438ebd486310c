/** A chat command: `!so @someone now` → `{ name: '!so', args: ['@someone', 'now'], rest: '@someone now' }`. */
export interface TwitchChatParsedCommand {
  /** The first word, as typed. */
  name: string;
  /** The words after it; `"double quoted words"` stay one argument (without the quotes). */
  args: string[];
  /** Everything after the name, trimmed. */
  rest: string;
}

/**
 * Splits a message into a command and its arguments. A reply's text begins with `@parent_login`, which
 * Twitch adds; give `replyLogin` to skip it. Returns `undefined` for an empty message.
 */
export function parseChatCommand(text: string, replyLogin?: string): TwitchChatParsedCommand | undefined {
  let body = text.trim();
  if (replyLogin) {
    const mention = `@${replyLogin}`;
    if (
      body.toLowerCase().startsWith(mention.toLowerCase()) &&
      (body.length === mention.length || /\s/.test(body[mention.length]))
    ) {
      body = body.slice(mention.length).trim();
    }
  }
  if (!body) return undefined;
  const space = body.search(/\s/);
  const name = space < 0 ? body : body.slice(0, space);
  const rest = space < 0 ? '' : body.slice(space).trim();
  const args: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) args.push(m[1] ?? m[2]);
  return { name, args, rest };
}
