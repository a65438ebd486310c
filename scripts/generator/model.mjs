// Stage 1 of the Helix generator: the OpenAPI description + scripts/helix-overrides.json -> the model
// (scripts/helix-model.json). Plain Node ESM, no dependencies, deterministic output.

import { paramKey } from './names.mjs';
import { clone, cleanMarkdown, fail, firstParagraph, isPlainObject, METHODS, paragraphs, sha256 } from './util.mjs';

const refName = (ref) => ref.split('/').pop();

function resolveRef(spec, schema) {
  let s = schema;
  const seen = new Set();
  while (s && s.$ref) {
    const name = refName(s.$ref);
    if (seen.has(name)) fail(`circular $ref ${name}`);
    seen.add(name);
    s = spec.components.schemas[name];
    if (!s) fail(`unknown schema ${name}`);
  }
  return s;
}

/** Walks "Schema#a.b[].c{}" to the raw schema object (following $refs), creating nothing. */
function locateSchema(spec, target) {
  const [schemaName, path = ''] = target.split('#');
  let node = spec.components.schemas[schemaName];
  if (!node) fail(`override target ${target}: no schema ${schemaName}`);
  for (const segment of path.split('.').filter(Boolean)) {
    const m = segment.match(/^([^[{]*)((?:\[\]|\{\})*)$/);
    if (!m) fail(`override target ${target}: bad segment ${segment}`);
    if (m[1]) {
      node = resolveRef(spec, node);
      const next = node.properties?.[m[1]];
      if (!next) fail(`override target ${target}: no property ${m[1]}`);
      node = next;
    }
    for (const step of m[2].match(/\[\]|\{\}/g) ?? []) {
      node = resolveRef(spec, node);
      node = step === '[]' ? node.items : node.additionalProperties;
      if (!node) fail(`override target ${target}: no ${step} at ${segment}`);
    }
  }
  return resolveRef(spec, node);
}

function applySchemaPatches(spec, patches) {
  for (const patch of patches ?? []) {
    if (!patch.why) fail(`schema patch ${patch.target} has no why`);
    const node = locateSchema(spec, patch.target);
    const props = () => (node.properties ??= {});
    const requireProp = (name) => {
      if (!node.properties?.[name]) fail(`schema patch ${patch.target}: no property ${name}`);
      return node.properties[name];
    };
    for (const name of patch.nullable ?? []) requireProp(name).nullable = true;
    for (const name of patch.optional ?? []) {
      requireProp(name);
      node.required = (node.required ?? []).filter((r) => r !== name);
    }
    for (const [name, schema] of Object.entries(patch.addProperties ?? {})) props()[name] = clone(schema);
    for (const name of patch.required ?? []) {
      requireProp(name);
      node.required = [...new Set([...(node.required ?? []), name])];
    }
    for (const [from, to] of Object.entries(patch.renameProperties ?? {})) {
      const entries = Object.entries(props()).map(([k, v]) => (k === from ? [to, v] : [k, v]));
      requireProp(from);
      node.properties = Object.fromEntries(entries);
      node.required = (node.required ?? []).map((r) => (r === from ? to : r));
    }
    for (const [name, values] of Object.entries(patch.setEnum ?? {})) {
      const prop = resolveRef(spec, requireProp(name));
      if (values === null) delete prop.enum;
      else prop.enum = [...values];
    }
    for (const [name, partial] of Object.entries(patch.set ?? {})) Object.assign(requireProp(name), clone(partial));
    if (patch.moveProperties) {
      const dest = locateSchema(spec, patch.moveProperties.to);
      for (const name of patch.moveProperties.names) {
        const prop = requireProp(name);
        const wasRequired = (node.required ?? []).includes(name);
        delete node.properties[name];
        node.required = (node.required ?? []).filter((r) => r !== name);
        (dest.properties ??= {})[name] = prop;
        if (wasRequired) dest.required = [...new Set([...(dest.required ?? []), name])];
      }
    }
  }
}

/** The `__Authorization:__` section of an operation description. */
function authSection(description) {
  const m = String(description ?? '').match(/__Authorization:__\s*([\s\S]*?)(?=\n__[^_\n]+:__|$)/);
  return m ? m[1].trim() : '';
}

/** Token kind from the Authorization prose. */
function deriveAuth(authText) {
  const text = cleanMarkdown(authText).replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
  if (/Authorization headers? (are|is) not required/i.test(text)) return 'none';
  if (/JSON Web Token|\bJWT\b/.test(text)) return 'jwt';
  const appRe = /app access token/i;
  const userRe = /user[ -]access token/i;
  const sentences = text.split(/(?<=[.])\s+|\n+/).filter((s) => /\b(requires?|must specify)\b/i.test(s));
  let app = sentences.some((s) => appRe.test(s));
  let user = sentences.some((s) => userRe.test(s));
  if (!app && !user) {
    app = appRe.test(text);
    user = userRe.test(text) || /OAuth Scope/i.test(text);
  }
  if (app && user) return 'either';
  if (app) return 'app';
  if (user) return 'user';
  return null;
}

/** Scopes named in the Authorization prose; each becomes one alternative ("X or Y"). */
function deriveScopes(authText) {
  const found = [];
  const re = /\*\*([a-z_\\]+(?::[a-z_\\]+)+)\*\*|`([a-z_]+(?::[a-z_]+)+)`/g;
  for (const m of String(authText).matchAll(re)) {
    const scope = (m[1] ?? m[2]).replace(/\\/g, '');
    if (!found.includes(scope)) found.push(scope);
  }
  return found.map((s) => [s]);
}

/** BETA / NEW markers lead the summary on Twitch's reference; deprecation is the OpenAPI flag. */
function deriveStatus(op) {
  if (op.deprecated) return 'deprecated';
  const marker = (word) =>
    new RegExp(`^\\s*${word}\\b`).test(op.summary ?? '') || new RegExp(`^${word}\\b`).test(firstParagraph(op.description));
  if (marker('BETA')) return 'beta';
  if (marker('NEW')) return 'new';
  return undefined;
}

/** Summary (first real paragraph) and deprecation note (leading **IMPORTANT** paragraphs). */
function deriveSummary(op) {
  const paras = paragraphs(String(op.description ?? '').split('__Authorization:__')[0]);
  const notes = [];
  while (paras.length > 1 && /^\*\*IMPORTANT\*\*/.test(paras[0])) notes.push(paras.shift());
  const summary = (paras[0] ?? cleanMarkdown(op.summary)).replace(/^(NEW|BETA)\s+/, '');
  return { summary, note: notes.join(' ').replace(/\*\*IMPORTANT\*\*\s*/g, '') || undefined };
}

const NUM = '(\\d+(?:\\.\\d+)?)';

/** Validation limits stated in prose ("maximum of 100 IDs", "minimum page size is 1 ... maximum is 100", ...). */
function parseLimits(description, node) {
  const d = cleanMarkdown(description)
    .replace(/\s+/g, ' ')
    .replace(/(\d),(?=\d{3}\b)/g, '$1');
  const limits = {};
  const grab = (re) => {
    const m = d.match(re);
    return m ? Number(m[1]) : undefined;
  };
  if (node.type === 'integer' || node.type === 'number') {
    let m;
    if ((m = d.match(new RegExp(`${NUM}(?: \\([^)]*\\))? through ${NUM}`, 'i')))) [limits.min, limits.max] = [+m[1], +m[2]];
    else if ((m = d.match(new RegExp(`range from ${NUM} to ${NUM}`, 'i')))) [limits.min, limits.max] = [+m[1], +m[2]];
    else if ((m = d.match(new RegExp(`between ${NUM} and ${NUM}`, 'i')))) [limits.min, limits.max] = [+m[1], +m[2]];
    else if ((m = d.match(new RegExp(`from ${NUM}-${NUM}`, 'i')))) [limits.min, limits.max] = [+m[1], +m[2]];
    limits.min ??= grab(new RegExp(`\\bminimum(?: [a-z]+){0,2} is ${NUM}`, 'i')) ?? grab(new RegExp(`\\bMin: ${NUM}`));
    limits.max ??= grab(new RegExp(`\\bmaximum(?: [a-z]+){0,4} is ${NUM}`, 'i')) ?? grab(new RegExp(`\\bMax: ${NUM}`));
  } else if (node.type === 'array') {
    limits.maxItems =
      grab(/\bmaximum of (\d+) (?!characters)[a-z]/i) ?? grab(/\bmaximum number of [a-z ]+? (?:that )?you may specify is (\d+)/i);
    limits.minItems = grab(/\bminimum of (\d+) (?!characters)[a-z]/i) ?? (/\bat least one\b/i.test(d) ? 1 : undefined);
    limits.itemMaxLength = grab(/\bEach [a-z]+ is limited to a maximum of (\d+) characters/i);
  } else if (node.type === 'string' && node.format !== 'date-time' && !node.enum) {
    limits.maxLength =
      grab(/\bmaximum of (\d+) characters/i) ??
      grab(/\bmaximum length(?: of the [a-z]+)? is (\d+) characters/i) ??
      grab(/\bMax (\d+) chars\b/i);
    limits.minLength = grab(/\bminimum of (\d+) characters/i);
  }
  for (const k of Object.keys(limits)) if (limits[k] === undefined) delete limits[k];
  return Object.keys(limits).length ? limits : undefined;
}

/** Param schema node: fully inlined (no refs), only what the params class needs. */
function normalizeParamNode(spec, raw) {
  const s = resolveRef(spec, raw ?? {});
  const type = s.type ?? (s.properties || s.additionalProperties ? 'object' : s.items ? 'array' : 'unknown');
  const node = { type };
  if (s.format === 'date-time') node.format = 'date-time';
  if (s.enum) node.enum = [...s.enum];
  if (type === 'array') node.items = normalizeParamNode(spec, s.items);
  if (type === 'object') {
    if (s.properties) {
      node.properties = Object.entries(s.properties).map(([name, prop]) =>
        normalizeParam(
          spec,
          name,
          (s.required ?? []).includes(name),
          resolveRef(spec, prop).description ?? prop.description,
          prop,
        ),
      );
    }
    if (isPlainObject(s.additionalProperties)) node.additionalProperties = normalizeParamNode(spec, s.additionalProperties);
  }
  return node;
}

function normalizeParam(spec, name, required, description, schema) {
  const param = { name, required: !!required };
  if (description) param.description = description;
  param.schema = normalizeParamNode(spec, schema);
  const limits = parseLimits(description, param.schema);
  if (limits) param.limits = limits;
  return param;
}

/** Response schema node: component refs stay refs (`{ ref }`), inline objects are expanded. */
function normalizeResponseNode(spec, raw, propName) {
  if (raw.$ref) {
    const node = { ref: refName(raw.$ref) };
    if (raw.nullable) node.nullable = true;
    return node;
  }
  const type = raw.type ?? (raw.properties || raw.additionalProperties ? 'object' : raw.items ? 'array' : 'unknown');
  const node = { type };
  if (raw.description) node.description = raw.description;
  if (raw.format === 'date-time') node.format = 'date-time';
  else if (type === 'string' && propName && /_at$/.test(propName) && /RFC\s?3339/i.test(raw.description ?? ''))
    node.format = 'date-time';
  if (raw.enum) node.enum = [...raw.enum];
  if (raw.deprecated) node.deprecated = true;
  if (raw.nullable) node.nullable = true;
  else if (propName && propName !== 'pagination' && nullableByProse(type, raw.description)) node.nullable = true;
  if (type === 'array') node.items = normalizeResponseNode(spec, raw.items ?? {});
  if (type === 'object') {
    if (raw.properties) {
      node.properties = Object.entries(raw.properties).map(([name, prop]) => ({
        name,
        required: (raw.required ?? []).includes(name),
        schema: normalizeResponseNode(spec, prop, name),
      }));
    }
    if (isPlainObject(raw.additionalProperties))
      node.additionalProperties = normalizeResponseNode(spec, raw.additionalProperties);
  }
  return node;
}

/** Description heuristics: "null" anywhere; "empty" (string, ...) for scalar fields. */
function nullableByProse(type, description) {
  const d = cleanMarkdown(description);
  if (/\bnull\b/i.test(d)) return true;
  if (['string', 'integer', 'number', 'boolean'].includes(type) && /\bempty\b/i.test(d)) return true;
  return false;
}

/** Marks response fields nullable wherever a documented example holds null. */
function markNullsFromExample(model, node, value, path, found) {
  if (value === undefined) return;
  if (node.ref) return markNullsFromExample(model, model.schemas[node.ref], value, `${node.ref}#`, found);
  if (value === null) return;
  if (node.type === 'array' && Array.isArray(value)) {
    for (const v of value) markNullsFromExample(model, node.items, v, `${path}[]`, found);
  } else if (node.type === 'object' && isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const prop = node.properties?.find((p) => p.name === k);
      if (prop) {
        if (v === null) {
          const target = prop.schema;
          if (!target.nullable) {
            target.nullable = true;
            found.add(`${path}${path.endsWith('#') ? '' : '.'}${k}`);
          }
        } else markNullsFromExample(model, prop.schema, v, `${path}${path.endsWith('#') ? '' : '.'}${k}`, found);
      } else if (node.additionalProperties) {
        markNullsFromExample(model, node.additionalProperties, v, `${path}{}`, found);
      }
    }
  }
}

/** First curl URL in the examples that targets this operation's path, and the first JSON body example. */
function parseRequestExample(op, path, exampleDescriptions) {
  const text = exampleDescriptions.join('\n');
  let query = null;
  for (const m of text.matchAll(/https:\/\/api\.twitch\.tv\/helix(\/[^\s'"`?\\]*)(\?[^\s'"`\\]*)?/g)) {
    if (m[1] !== path) continue;
    query = {};
    for (const [k, v] of new URLSearchParams(m[2] ?? '')) (query[k] ??= []).push(v);
    break;
  }
  let body = null;
  const bodyExamples = op.requestBody?.content?.['application/json']?.examples;
  for (const ex of Object.values(bodyExamples ?? {})) {
    if (ex.value !== undefined) {
      body = clone(ex.value);
      break;
    }
  }
  if (body === null) {
    const m = text.match(/(?:-d|--data-raw|--data)\s+'([\s\S]*?)'/);
    if (m) {
      try {
        body = JSON.parse(m[1]);
      } catch {
        body = null;
      }
    }
  }
  if (query === null && body === null) return null;
  return { query: query ?? {}, body };
}

function findOverride(list, name, what) {
  const hits = (list ?? []).filter((e) => e.operation === name);
  for (const h of hits) if (!h.why) fail(`${what} override for ${name} has no why`);
  return hits;
}

/** Locates a param in an operation's query list or body tree by dotted path ('cost.amount', 'choices[].title'). */
function locateParam(op, path) {
  const parts = path.replace(/\[\]/g, '').split('.');
  let list = [...op.query, ...(op.body?.fields ?? [])];
  let param;
  for (const part of parts) {
    param = list.find((p) => p.name === part);
    if (!param) return undefined;
    let node = param.schema;
    while (node.type === 'array') node = node.items;
    list = node.properties ?? [];
  }
  return param;
}

const OVERRIDE_SECTIONS = [
  '$comment',
  'referenceOrder',
  'extraScopes',
  'addOperations',
  'addParameters',
  'operations',
  'requiredBodies',
  'textResponses',
  'stringPagination',
  'pagedWithoutFirst',
  'paramKeys',
  'params',
  'limits',
  'schemaPatches',
];

/**
 * Operations Twitch documents that the spec snapshot lacks: each entry is `{ path, method, operation, why }`, the
 * operation written as an OpenAPI operation object (tags, externalDocs, description with its `__Authorization:__`
 * section, parameters, requestBody, responses with schema and example). Optionally `operation['x-request-example']`
 * (`{ query: { name: [values] }, body }`) gives the documented request when no example curl line is attached.
 * They go through the same stage as the spec's own operations.
 */
function addOperations(spec, additions) {
  for (const a of additions ?? []) {
    const label = `${String(a.method).toUpperCase()} ${a.path}`;
    if (!a.why) fail(`added operation ${label} has no why`);
    if (!METHODS.includes(a.method)) fail(`added operation ${label}: unknown method`);
    if (!a.operation?.externalDocs?.description) fail(`added operation ${label}: no externalDocs.description`);
    const item = (spec.paths[a.path] ??= {});
    if (item[a.method]) fail(`added operation ${label} is already in the spec; patch it instead`);
    item[a.method] = clone(a.operation);
  }
}

/** Query parameters Twitch added to an operation after the snapshot: `{ operation, parameters, why }`. */
function addParameters(spec, patches) {
  const byName = new Map();
  for (const item of Object.values(spec.paths)) {
    for (const [method, op] of Object.entries(item)) if (METHODS.includes(method)) byName.set(op.externalDocs?.description, op);
  }
  for (const patch of patches ?? []) {
    if (!patch.why) fail(`added parameters of ${patch.operation} have no why`);
    const op = byName.get(patch.operation) ?? fail(`added parameters: no operation ${patch.operation}`);
    op.parameters ??= [];
    for (const p of patch.parameters ?? []) {
      if (op.parameters.some((q) => q.name === p.name)) fail(`added parameters: ${patch.operation} already has ${p.name}`);
      op.parameters.push(clone(p));
    }
  }
}

export function buildModel(specText, overrides) {
  for (const key of Object.keys(overrides))
    if (!OVERRIDE_SECTIONS.includes(key)) fail(`helix-overrides.json: unknown section ${key}`);
  const spec = JSON.parse(specText);
  addOperations(spec, overrides.addOperations);
  addParameters(spec, overrides.addParameters);
  applySchemaPatches(spec, overrides.schemaPatches);

  const categories = (spec.tags ?? []).map((t) => t.name);
  const rawOps = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of Object.keys(item)) if (METHODS.includes(method)) rawOps.push({ path, method, op: item[method] });
  }
  for (const { op } of rawOps) if (!categories.includes(op.tags?.[0])) categories.push(op.tags[0]);

  const model = {
    generator: 'scripts/generate.mjs',
    specSha256: sha256(specText),
    scopes: [],
    categories,
    operations: [],
    schemas: {},
  };

  // Scopes: the spec's securitySchemes plus documented extras.
  const scopeMap = new Map();
  for (const scheme of Object.values(spec.components.securitySchemes ?? {})) {
    for (const flow of Object.values(scheme.flows ?? {})) {
      for (const [scope, description] of Object.entries(flow.scopes ?? {})) scopeMap.set(scope, description);
    }
  }
  for (const extra of overrides.extraScopes ?? []) {
    if (!extra.why) fail(`extra scope ${extra.scope} has no why`);
    if (scopeMap.has(extra.scope)) fail(`extra scope ${extra.scope} is already in the spec`);
    scopeMap.set(extra.scope, extra.description);
  }
  model.scopes = [...scopeMap.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([scope, description]) => ({ scope, description }));

  const requiredBodies = new Set(overrides.requiredBodies?.operations ?? []);
  const usedComponents = new Set();
  const collectRefs = (node) => {
    if (!node) return;
    if (node.ref) {
      if (usedComponents.has(node.ref)) return;
      usedComponents.add(node.ref);
      model.schemas[node.ref] = normalizeResponseNode(spec, spec.components.schemas[node.ref]);
      collectRefs(model.schemas[node.ref]);
      return;
    }
    collectRefs(node.items);
    collectRefs(node.additionalProperties);
    for (const p of node.properties ?? []) collectRefs(p.schema);
  };

  for (const { path, method, op } of rawOps) {
    const name = op.externalDocs?.description ?? fail(`${method} ${path}: no externalDocs.description`);
    const category = op.tags?.[0] ?? fail(`${name}: no tag`);
    const authText = authSection(op.description);
    const opOverrides = findOverride(overrides.operations, name, 'operation');
    const merged = Object.assign({}, ...opOverrides);

    const auth = merged.auth ?? deriveAuth(authText) ?? fail(`${name}: cannot derive auth kind; add an override`);
    const scopes = merged.scopes ?? deriveScopes(authText);
    const declared = new Set((op.security ?? []).flatMap((req) => Object.values(req).flat()));
    const derived = new Set(scopes.flat());
    if (!merged.scopes && declared.size && [...declared].some((s) => !derived.has(s)))
      fail(`${name}: security scopes ${[...declared]} not all found in the Authorization prose`);
    for (const s of scopes.flat()) if (!scopeMap.has(s)) fail(`${name}: unknown scope ${s}`);

    const successCodes = Object.keys(op.responses ?? {})
      .filter((c) => /^2\d\d$/.test(c))
      .map(Number)
      .sort((a, b) => a - b);
    if (!successCodes.length) fail(`${name}: no 2xx response`);
    const successStatus = successCodes[0];
    const success = op.responses[String(successStatus)];
    const { summary, note } = deriveSummary(op);

    const query = (op.parameters ?? []).map((p) => {
      if (p.in !== 'query') fail(`${name}: parameter ${p.name} is in ${p.in}`);
      return normalizeParam(spec, p.name, p.required, p.description, p.schema);
    });
    let body = null;
    const bodyContent = op.requestBody?.content;
    if (bodyContent) {
      const json = bodyContent['application/json'] ?? fail(`${name}: non-JSON request body`);
      const bodyNode = normalizeParamNode(spec, json.schema);
      if (bodyNode.type !== 'object' || !bodyNode.properties) fail(`${name}: body is not an object with properties`);
      body = { required: !!op.requestBody.required || requiredBodies.has(name), fields: bodyNode.properties };
    }

    const entry = {
      name,
      category,
      operationId: op.operationId,
      method: method.toUpperCase(),
      path,
      auth,
      scopes,
      paginated: query.some((q) => q.name === 'after'),
    };
    const status = merged.status ?? deriveStatus(op);
    if (status) entry.status = status;
    entry.successStatus = successStatus;
    entry.docUrl = op.externalDocs?.url;
    entry.summary = summary;
    if (note) entry.deprecationNote = note;
    entry.query = query;
    entry.body = body;

    // Response.
    const textOverride = findOverride(overrides.textResponses, name, 'text response')[0];
    const contentTypes = Object.keys(success.content ?? {});
    let exampleDescriptions = [];
    entry.response = null;
    entry.example = null;
    if (contentTypes.length) {
      const ct = contentTypes[0];
      const content = success.content[ct];
      if (ct !== 'application/json') {
        if (!textOverride || textOverride.contentType !== ct) fail(`${name}: ${ct} response needs a textResponses override`);
        entry.response = { kind: 'text', contentType: ct };
      } else {
        if (!content.schema) fail(`${name}: JSON response without schema`);
        const node = normalizeResponseNode(spec, content.schema);
        collectRefs(node);
        entry.response = { kind: 'json', schema: node };
      }
      for (const ex of Object.values(content.examples ?? {})) {
        if (ex.description) exampleDescriptions.push(ex.description);
        if (entry.example === null && ex.value !== undefined) entry.example = clone(ex.value);
      }
    }
    if (findOverride(overrides.stringPagination, name, 'string pagination').length) entry.stringPagination = true;
    entry.requestExample = op['x-request-example']
      ? clone(op['x-request-example'])
      : parseRequestExample(op, path, exampleDescriptions);
    model.operations.push(entry);
  }

  // Param type / requirement patches.
  for (const patch of overrides.params ?? []) {
    if (!patch.why) fail(`param override ${patch.operation}.${patch.param} has no why`);
    const op =
      model.operations.find((o) => o.name === patch.operation) ?? fail(`param override: no operation ${patch.operation}`);
    const param = locateParam(op, patch.param) ?? fail(`param override: no param ${patch.param} in ${patch.operation}`);
    for (const [k, v] of Object.entries(patch.set ?? {})) {
      if (k === 'required') param.required = v;
      else if (v === null) delete param.schema[k];
      else param.schema[k] = clone(v);
    }
    const limits = parseLimits(param.description, param.schema);
    if (limits) param.limits = limits;
    else delete param.limits;
  }
  // Params class keys: a query and a body field with the same name need distinct keys.
  for (const patch of overrides.paramKeys ?? []) {
    if (!patch.why) fail(`param key override ${patch.operation}.${patch.param} has no why`);
    const op =
      model.operations.find((o) => o.name === patch.operation) ?? fail(`param key override: no operation ${patch.operation}`);
    const list = patch.in === 'body' ? (op.body?.fields ?? []) : op.query;
    const param =
      list.find((p) => p.name === patch.param) ??
      fail(`param key override: no ${patch.in} param ${patch.param} in ${patch.operation}`);
    param.key = patch.key;
  }
  for (const op of model.operations) {
    const seen = new Map();
    for (const p of [...op.query, ...(op.body?.fields ?? [])]) {
      const key = paramKey(p);
      if (seen.has(key))
        fail(`${op.name}: ${seen.get(key)} and ${p.name} both map to the params key ${key}; add a paramKeys override`);
      seen.set(key, p.name);
    }
  }
  // Limit exceptions.
  for (const patch of overrides.limits ?? []) {
    if (!patch.why) fail(`limit override ${patch.operation}.${patch.param} has no why`);
    const op =
      model.operations.find((o) => o.name === patch.operation) ?? fail(`limit override: no operation ${patch.operation}`);
    const param = locateParam(op, patch.param) ?? fail(`limit override: no param ${patch.param} in ${patch.operation}`);
    const limits = { ...(param.limits ?? {}) };
    for (const k of patch.remove ?? []) {
      if (!(k in limits)) fail(`limit override ${patch.operation}.${patch.param}: no ${k} to remove`);
      delete limits[k];
    }
    Object.assign(limits, patch.set ?? {});
    if (Object.keys(limits).length) param.limits = limits;
    else delete param.limits;
  }

  // Nullability seen in the documented examples (all 2xx examples, not only the first).
  const nullsFromExamples = new Set();
  for (const { op, path, method } of rawOps) {
    const entry = model.operations.find((o) => o.path === path && o.method === method.toUpperCase());
    if (entry.response?.kind !== 'json') continue;
    const content = op.responses[String(entry.successStatus)].content['application/json'];
    for (const ex of Object.values(content.examples ?? {})) {
      if (ex.value !== undefined)
        markNullsFromExample(model, entry.response.schema, ex.value, `${entry.name}:`, nullsFromExamples);
    }
  }

  // Reference order: categories as tagged, operations as on Twitch's reference page.
  const orderOf = new Map();
  for (const o of overrides.referenceOrder ?? []) {
    if (!o.why) fail(`reference order for ${o.category} has no why`);
    const inCategory = model.operations.filter((op) => op.category === o.category).map((op) => op.name);
    if (inCategory.length !== o.operations.length || inCategory.some((n) => !o.operations.includes(n)))
      fail(`reference order for ${o.category} does not list exactly its operations`);
    o.operations.forEach((n, i) => orderOf.set(n, i));
  }
  const specIndex = new Map(model.operations.map((op, i) => [op.name, i]));
  model.operations.sort(
    (a, b) =>
      categories.indexOf(a.category) - categories.indexOf(b.category) ||
      (orderOf.get(a.name) ?? specIndex.get(a.name)) - (orderOf.get(b.name) ?? specIndex.get(b.name)),
  );

  // Sanity checks.
  const withoutFirst = new Set(
    (overrides.pagedWithoutFirst ?? []).map((e) => (e.why ? e.operation : fail(`pagedWithoutFirst ${e.operation} has no why`))),
  );
  for (const op of model.operations) {
    if (op.paginated && !op.query.some((q) => q.name === 'first') && !withoutFirst.has(op.name))
      fail(`${op.name}: paginated without \`first\`; list it in pagedWithoutFirst`);
    if (op.stringPagination && !op.paginated) fail(`${op.name}: stringPagination on a non-paginated operation`);
    const first = op.query.find((q) => q.name === 'first');
    if (first && (first.limits?.min === undefined || first.limits?.max === undefined))
      fail(`${op.name}: \`first\` has no stated bounds; add them in the limits overrides`);
  }
  for (const name of requiredBodies)
    if (!model.operations.find((o) => o.name === name)?.body) fail(`requiredBodies: ${name} has no body`);

  // Stable schema key order.
  model.schemas = Object.fromEntries(
    Object.keys(model.schemas)
      .sort()
      .map((k) => [k, model.schemas[k]]),
  );
  return { model, nullsFromExamples };
}
