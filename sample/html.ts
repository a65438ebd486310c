/** Tiny HTML helpers for the sample's server-rendered pages. */

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #18181b; }
  a.button, button { display: inline-block; background: #9147ff; color: #fff; border: 0; border-radius: 4px; padding: 0.6rem 1rem; font-weight: 600; text-decoration: none; cursor: pointer; font-size: 1rem; }
  .notice { background: #f4f0ff; border-left: 4px solid #9147ff; padding: 0.6rem 1rem; }
  .error { background: #fff0f0; border-left: 4px solid #e91916; padding: 0.6rem 1rem; }
  code { background: #f2f2f2; padding: 0 0.2rem; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
