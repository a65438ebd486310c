/**
 * The fake's two HTML pages: the OAuth consent page (`/oauth2/authorize`) and the device
 * activation page (`/activate`). Internal to the fake.
 */

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #0e0e10; color: #efeff1; display: flex; justify-content: center; padding: 3rem 1rem; }
  main { background: #18181b; border-radius: 8px; padding: 2rem; max-width: 28rem; width: 100%; }
  h1 { font-size: 1.3rem; margin-top: 0; }
  ul { padding-left: 1.2rem; }
  code { color: #bf94ff; }
  label { display: block; margin: 1rem 0 0.3rem; }
  input[type=text] { width: 100%; box-sizing: border-box; padding: 0.4rem; }
  .buttons { display: flex; gap: 0.8rem; margin-top: 1.5rem; }
  button { flex: 1; padding: 0.6rem; border: 0; border-radius: 4px; font-weight: 600; cursor: pointer; }
  button[value=authorize], button[value=approve] { background: #9147ff; color: white; }
  .note { color: #adadb8; font-size: 0.85rem; }
  .error { color: #ff8280; }
`;

function layout(title: string, content: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${content}
</main>
</body>
</html>
`;
}

function hidden(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">\n`;
}

/** Parameters the consent page carries through to its POST. */
export interface AuthorizePageParams {
  clientId: string;
  redirectUri: string;
  responseType: string;
  scopes: string[];
  state?: string;
  forceVerify?: string;
  /** Pre-filled login of the user who authorizes. */
  login: string;
  /** Error shown above the form (e.g. unknown login). */
  error?: string;
}

/** The consent page: the requested scopes, a login field, an "Authorize" and a "Cancel" button. */
export function authorizePage(p: AuthorizePageParams): string {
  const scopes = p.scopes.length
    ? `<ul>\n${p.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('\n')}\n</ul>`
    : '<p class="note">No scopes requested: the app only gets your public profile.</p>';
  return layout(
    'Authorize application - Fake Twitch',
    `<h1>Authorize <code>${escapeHtml(p.clientId)}</code></h1>
<p>This application wants to access your Twitch account with these permissions:</p>
${scopes}
${p.error ? `<p class="error">${escapeHtml(p.error)}</p>` : ''}
<form method="post" action="/oauth2/authorize">
${hidden('client_id', p.clientId)}${hidden('redirect_uri', p.redirectUri)}${hidden('response_type', p.responseType)}${hidden('scope', p.scopes.join(' '))}${hidden('state', p.state)}${hidden('force_verify', p.forceVerify)}<label for="login">Log in as</label>
<input type="text" id="login" name="login" value="${escapeHtml(p.login)}" autocomplete="username">
<div class="buttons">
<button type="submit" name="decision" value="authorize">Authorize</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</div>
</form>
<p class="note">You will be redirected to ${escapeHtml(p.redirectUri)}</p>`,
  );
}

/** The device activation page, or its result message. */
export function activatePage(p: { userCode?: string; login: string; message?: string; error?: string }): string {
  return layout(
    'Activate your device - Fake Twitch',
    `<h1>Activate your device</h1>
${p.message ? `<p>${escapeHtml(p.message)}</p>` : ''}${p.error ? `<p class="error">${escapeHtml(p.error)}</p>` : ''}
<form method="post" action="/activate">
<label for="user_code">Code shown on your device</label>
<input type="text" id="user_code" name="user_code" value="${escapeHtml(p.userCode ?? '')}" autocomplete="off">
<label for="login">Log in as</label>
<input type="text" id="login" name="login" value="${escapeHtml(p.login)}" autocomplete="username">
<div class="buttons">
<button type="submit" name="decision" value="approve">Activate</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</div>
</form>`,
  );
}
