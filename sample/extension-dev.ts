import type { FakeExtension } from '../lib/testing/index.js';

/**
 * The embedded fake Twitch's extension, when the sample runs without real credentials: the page at
 * /extension asks it for frontend JWTs, as Twitch's extension helper would hand them out.
 */
export const sampleExtension: { fake?: FakeExtension } = {};
