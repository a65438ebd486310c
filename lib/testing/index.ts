export * from './fake-twitch/index.js';
