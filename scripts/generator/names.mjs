// Names of the generated API: methods, namespaces, classes and properties, from Twitch's names.
// Plain Node ESM, no dependencies.

import { fail, sq } from './util.mjs';

export const upperFirst = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);
export const isAcronymWord = (w) => /^[A-Z]{2,}s?$/.test(w);
export const lowerLead = (w) => (isAcronymWord(w) ? w.toLowerCase() : w[0].toLowerCase() + w.slice(1));
/** A name's words: split at spaces, and at hyphens that join two words ('Power-up' -> 'Power', 'up'). */
export const words = (name) =>
  name
    .trim()
    .split(/\s+|(?<=[A-Za-z])-(?=[A-Za-z])/)
    .filter(Boolean);
export const isIdentifier = (s) => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s);

/** Words left out of method names: the articles. */
export const ARTICLES = new Set(['a', 'an', 'the']);

/**
 * The method name of an operation: the camelCase of Twitch's reference name without its articles
 * (a, an, the). Each word loses anything but letters and digits; the first word is lower-cased at its start
 * (wholly when it is an acronym), the others get a capital first letter; inner capitals are kept.
 * 'Get Channel Information' -> 'getChannelInformation', 'Start a raid' -> 'startRaid',
 * 'Send a Shoutout' -> 'sendShoutout', 'Get VIPs' -> 'getVIPs', 'Check AutoMod Status' -> 'checkAutoModStatus',
 * 'Get Custom Power-up' -> 'getCustomPowerUp'.
 */
export function methodNameOf(operationName) {
  return words(operationName)
    .map((w) => w.replace(/[^A-Za-z0-9]/g, ''))
    .filter((w) => w && !ARTICLES.has(w.toLowerCase()))
    .map((w, i) => (i === 0 ? lowerLead(w) : upperFirst(w)))
    .join('');
}

/**
 * The method that walks every page of a paginated operation and yields each item: the operation's method
 * name plus `Paginated` ('getStreams' -> 'getStreamsPaginated'), so it sits next to the one-page method.
 */
export const paginatedNameOf = (methodName) => `${methodName}Paginated`;

/** 'getStreams' -> 'GET_STREAMS'; 'getVIPs' -> 'GET_VIPS'. */
export const upperSnake = (camel) => camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** 'Channel Points' -> 'channelPoints', 'CCLs' -> 'ccls', 'EventSub' -> 'eventSub'. */
export function namespaceOf(category) {
  return words(category)
    .map((w, i) => (i === 0 ? lowerLead(w) : upperFirst(w)))
    .join('');
}

export const kebabOf = (namespace) => namespace.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
export const apiClassOf = (category) => `Twitch${words(category).map(upperFirst).join('')}Api`;

/** Twitch's snake_case name -> camelCase key ('user_id' -> 'userId', 'URL' -> 'url'); null when not an identifier. */
export function camelKey(name) {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) return null;
  const parts = name.split('_').filter(Boolean);
  return parts
    .map((p, i) => {
      if (i === 0) return /^[A-Z0-9]+$/.test(p) ? p.toLowerCase() : p[0].toLowerCase() + p.slice(1);
      return upperFirst(p);
    })
    .join('');
}

/** Key of a request param in the params class (an override key wins over the camelCase name). */
export function paramKey(param) {
  return param.key ?? camelKey(param.name) ?? fail(`param ${param.name} is not an identifier`);
}

/** Property key as written in a class body (quoted when Twitch's name is not an identifier, e.g. '100x100'). */
export function propertyKeyOf(name) {
  const key = camelKey(name);
  return key ?? name;
}

export const renderKey = (key) => (isIdentifier(key) ? key : sq(key));

/** PascalCase fragment for class names built from a field name. */
export function pascalFragment(name) {
  const key = camelKey(name);
  if (key) return upperFirst(key);
  return `X${name.replace(/[^A-Za-z0-9]/g, '')}`;
}
