import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TwitchAuthRequiredException, TwitchLoginException } from '../lib/index.js';
import { escapeHtml, page } from './html.js';

/**
 * Browser-friendly answers for the sample's pages: a page that needs a login sends the browser to
 * the home page (which offers "Log in with Twitch"); a failed login (cancelled on Twitch, a stale
 * link) shows an HTML page with the same 4xx status. Works on Express and Fastify.
 */
@Catch(TwitchAuthRequiredException, TwitchLoginException)
export class LoginPagesFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: TwitchAuthRequiredException | TwitchLoginException, host: ArgumentsHost): void {
    const http = this.adapterHost.httpAdapter;
    const ctx = host.switchToHttp();
    const request = ctx.getRequest();
    const response = ctx.getResponse();
    const wantsHtml = String(request.headers?.accept ?? '').includes('text/html');
    if (!wantsHtml) {
      http.reply(response, exception.getResponse(), exception.getStatus());
      return;
    }
    if (exception instanceof TwitchAuthRequiredException) {
      const url = String(http.getRequestUrl(request) ?? '/');
      http.redirect(response, 302, `/?next=${encodeURIComponent(url)}`);
      return;
    }
    http.setHeader(response, 'Content-Type', 'text/html; charset=utf-8');
    http.reply(
      response,
      page(
        'Login failed - nestjs-twitch sample',
        `<h1>Login failed</h1>
<p class="error" id="login-error">${escapeHtml(exception.message)}</p>
<p><a class="button" href="/auth/twitch/login">Try again</a> <a href="/">Home</a></p>`,
      ),
      exception.getStatus(),
    );
  }
}
