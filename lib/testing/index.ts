export * from './fake-twitch/index.js';
export { HELIX_EXAMPLES } from './generated/helix-examples.js';
