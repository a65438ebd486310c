// Helpers every bench script shares: command-line flags, number formatting, medians, Redis clean-up.

/** `--key value`, `--key=value` and bare `--flag` (true). */
export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=');
    if (v !== undefined) out[k] = v;
    else if (argv[i + 1] && !argv[i + 1].startsWith('--')) out[k] = argv[++i];
    else out[k] = true;
  }
  return out;
}

/** A number with `digits` decimals, or '–' when there is none. */
export function fmt(v, digits) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  return Number(v).toFixed(digits);
}

/** The median of the numbers in `xs` (NaN when there are none). */
export function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Deletes every key under `prefix` (the bench's own), saying how many; a failure is reported, not thrown. */
export async function deleteRedisKeys(url, prefix, log = console.log) {
  try {
    const { createClient } = await import('redis');
    const client = createClient({ url });
    await client.connect();
    let n = 0;
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      const list = Array.isArray(keys) ? keys : [keys];
      if (list.length) n += await client.del(list);
    }
    await client.quit();
    log(`  deleted ${n} Redis keys under ${prefix}`);
  } catch (err) {
    log(`  could not delete the bench's Redis keys (${prefix}*): ${err.message}`);
  }
}
