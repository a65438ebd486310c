// Stage 2 of the Helix generator: the model -> lib/generated/**, lib/testing/generated/ and the contract
// fixtures. Plain Node ESM, no dependencies, deterministic output.

import {
  apiClassOf,
  isIdentifier,
  kebabOf,
  methodNameOf,
  namespaceOf,
  paginatedNameOf,
  paramKey,
  pascalFragment,
  propertyKeyOf,
  renderKey,
  upperFirst,
  upperSnake,
} from './names.mjs';
import {
  clone,
  cleanMarkdown,
  fail,
  FIXTURES_PATH,
  firstParagraph,
  HEADER,
  indentLines,
  isPlainObject,
  jsdoc,
  PLACEHOLDER_ID,
  PLACEHOLDER_TIMESTAMP,
  RFC3339,
  sq,
} from './util.mjs';

const RESERVED_CLASS_NAMES = new Set([
  'Date',
  'Record',
  'Map',
  'Set',
  'Object',
  'Array',
  'String',
  'Number',
  'Boolean',
  'Promise',
  'Function',
  'Error',
  'TwitchField',
  'TwitchPagination',
  'TwitchEndpoint',
  'TwitchEndpointBinding',
  'TwitchEndpointClient',
  'TwitchRequestOptions',
]);

class ClassNames {
  constructor() {
    this.taken = new Map();
    this.collisions = [];
  }
  claim(wanted, owner) {
    let name = RESERVED_CLASS_NAMES.has(wanted) ? `${wanted}Dto` : wanted;
    if (this.taken.has(name)) {
      const base = name;
      let i = 2;
      while (this.taken.has(`${base}${i}`)) i++;
      name = `${base}${i}`;
      this.collisions.push(`${base} (${this.taken.get(base)}) vs ${owner} -> ${name}`);
    }
    this.taken.set(name, owner);
    return name;
  }
}

function planCategories(model) {
  return model.categories.map((name) => {
    const namespace = namespaceOf(name);
    return { name, namespace, kebab: kebabOf(namespace), apiClass: apiClassOf(name), operations: [] };
  });
}

function planOperations(model, categories) {
  const byName = new Map(categories.map((c) => [c.name, c]));
  const seenMethods = new Set();
  for (const op of model.operations) {
    const cat = byName.get(op.category);
    const methodName = methodNameOf(op.name);
    const claimed = op.paginated ? [methodName, paginatedNameOf(methodName)] : [methodName];
    for (const name of claimed) {
      if (seenMethods.has(name)) fail(`duplicate method name ${name}`);
      seenMethods.add(name);
    }
    cat.operations.push({
      op,
      category: cat,
      methodName,
      pascal: upperFirst(methodName),
      constName: upperSnake(methodName),
    });
  }
  return categories;
}

// ── DTO classes ─────────────────────────────────────────────────────────────

/** Plans every response DTO class: { name, category, description, fields, deps }. */
function planDtos(model, categories, names) {
  const classes = new Map(); // name -> class
  const componentClass = new Map(); // component -> class name
  const order = [];

  /** TS type info for a node: { ts, typeFn?, deps[], union?, record?, element? }. */
  const typeOf = (node, ctx) => {
    if (node.ref) {
      const comp = model.schemas[node.ref];
      if (comp.type === 'object' && comp.properties) {
        const cls = ensureComponent(node.ref, ctx.category, ctx.description);
        return { ts: cls, typeFn: cls, deps: [cls] };
      }
      return typeOf(comp, ctx);
    }
    switch (node.type) {
      case 'string':
        if (node.format === 'date-time') return { ts: 'Date', typeFn: 'Date', deps: [] };
        if (node.enum) return { ts: node.enum.map((v) => sq(v)).join(' | '), deps: [], union: true };
        return { ts: 'string', deps: [] };
      case 'integer':
      case 'number':
        if (node.enum) return { ts: node.enum.join(' | '), deps: [], union: true };
        return { ts: 'number', deps: [] };
      case 'boolean':
        return { ts: 'boolean', deps: [] };
      case 'array': {
        const listDoc = ctx.description ?? node.description;
        const itemDoc = listDoc ? `One item of ${listDoc[0].toLowerCase()}${listDoc.slice(1)}` : undefined;
        const inner = typeOf(node.items, { ...ctx, description: itemDoc });
        const ts = inner.union || /\|/.test(inner.ts) ? `(${inner.ts})[]` : `${inner.ts}[]`;
        return { ts, typeFn: inner.typeFn, deps: inner.deps, element: inner };
      }
      case 'object': {
        if (node.properties) {
          const cls = ensureInline(ctx.name, node, ctx.category, node.description ?? ctx.description);
          return { ts: cls, typeFn: cls, deps: [cls] };
        }
        if (node.additionalProperties) {
          const inner = typeOf(node.additionalProperties, { ...ctx, name: `${ctx.name}Value` });
          return { ts: `Record<string, ${inner.ts}>`, deps: inner.deps, record: true };
        }
        return { ts: 'Record<string, unknown>', deps: [] };
      }
      default:
        return { ts: 'unknown', deps: [] };
    }
  };

  const buildClass = (name, node, category, description) => {
    const cls = { name, category, description, fields: [], deps: new Set() };
    classes.set(name, cls);
    for (const prop of node.properties ?? []) {
      const key = propertyKeyOf(prop.name);
      let info;
      if (
        prop.name === 'pagination' &&
        prop.schema.type === 'object' &&
        (prop.schema.properties ?? []).every((p) => p.name === 'cursor')
      ) {
        info = { ts: 'TwitchPagination', typeFn: 'TwitchPagination', deps: [] };
        cls.usesPagination = true;
      } else {
        info = typeOf(prop.schema, {
          name: `${name}${pascalFragment(prop.name)}`,
          category,
          description: prop.schema.description,
        });
      }
      for (const d of info.deps) cls.deps.add(d);
      const nullable = !!(prop.schema.nullable || (prop.schema.ref && model.schemas[prop.schema.ref]?.nullable));
      cls.fields.push({
        name: prop.name,
        key,
        ts: info.ts,
        typeFn: info.record ? undefined : info.typeFn,
        optional: !prop.required,
        nullable,
        description: prop.schema.description,
        deprecated: !!prop.schema.deprecated,
        element: info.element,
      });
    }
    order.push(cls);
    return cls;
  };

  const ensureComponent = (component, category, fallbackDescription) => {
    if (componentClass.has(component)) return componentClass.get(component);
    const name = names.claim(component, `component ${component}`);
    componentClass.set(component, name);
    const node = model.schemas[component];
    buildClass(name, node, category, node.description ?? fallbackDescription);
    return name;
  };

  const ensureInline = (wanted, node, category, description) => {
    const name = names.claim(wanted, `inline object in ${category}`);
    buildClass(name, node, category, description);
    return name;
  };

  const responseClassOf = new Map();
  for (const cat of categories) {
    for (const entry of cat.operations) {
      const { op } = entry;
      if (op.response?.kind !== 'json') continue;
      const top = op.response.schema;
      const wanted = `${entry.pascal}Response`;
      let name;
      if (top.ref && top.ref === wanted && !componentClass.has(top.ref)) {
        name = ensureComponent(top.ref, cat.name);
      } else {
        const node = top.ref ? model.schemas[top.ref] : top;
        if (node.type !== 'object' || !node.properties) fail(`${op.name}: top-level response is not an object`);
        name = names.claim(wanted, `response of ${op.name}`);
        buildClass(name, node, cat.name, undefined);
      }
      const cls = classes.get(name);
      cls.description ??= `Response body of ${op.name}.`;
      if (op.stringPagination) {
        const pag = cls.fields.find((f) => f.name === 'pagination');
        if (!pag || pag.ts !== 'string') fail(`${op.name}: expected a string pagination field`);
      }
      responseClassOf.set(op.name, name);
    }
  }
  return { classes, order, responseClassOf };
}

// ── Params classes ──────────────────────────────────────────────────────────

function planParams(categories, names) {
  const all = [];
  for (const cat of categories) {
    for (const entry of cat.operations) {
      const { op } = entry;
      const fields = [...op.query, ...(op.body?.fields ?? [])];
      const keys = new Set();
      for (const f of fields) {
        if (keys.has(paramKey(f))) fail(`${op.name}: two params map to key ${paramKey(f)}`);
        keys.add(paramKey(f));
      }
      const classes = [];
      const build = (name, params, description) => {
        const cls = { name, category: cat.name, description, fields: [] };
        for (const p of params) {
          const field = { param: p, key: paramKey(p), nested: undefined };
          const nestedNode = objectNodeOf(p.schema);
          if (nestedNode) {
            const base = name.replace(/Params$/, '');
            field.nested = build(
              names.claim(`${base}${pascalFragment(p.name)}Params`, `params of ${op.name}`),
              nestedNode.properties,
              p.description,
            );
          } else if (recordValueNodeOf(p.schema)) {
            const base = name.replace(/Params$/, '');
            field.recordValue = build(
              names.claim(`${base}${pascalFragment(p.name)}Params`, `params of ${op.name}`),
              recordValueNodeOf(p.schema).properties,
              p.description,
            );
          }
          cls.fields.push(field);
        }
        classes.push(cls);
        return cls;
      };
      const top = build(names.claim(`${entry.pascal}Params`, `params of ${op.name}`), fields, undefined);
      top.description = fields.length ? `Parameters of ${op.name}.` : `${op.name} takes no parameters.`;
      entry.paramsClass = top.name;
      entry.hasRequired = fields.some((f) => f.required);
      all.push(...classes);
      cat.paramsClasses = [...(cat.paramsClasses ?? []), ...classes];
    }
  }
  return { all };
}

/** The object node (with properties) behind a param: itself, or the items of an array. */
function objectNodeOf(node) {
  if (node.type === 'object' && node.properties) return node;
  if (node.type === 'array' && node.items.type === 'object' && node.items.properties) return node.items;
  return undefined;
}

/** The value node of a record param (object with additionalProperties of objects). */
function recordValueNodeOf(node) {
  if (
    node.type === 'object' &&
    !node.properties &&
    node.additionalProperties?.type === 'object' &&
    node.additionalProperties.properties
  )
    return node.additionalProperties;
  return undefined;
}

// ─────────────────────────────────────────────────────────────────────────────
// Emitters
// ─────────────────────────────────────────────────────────────────────────────

function authLine(op) {
  const kinds = {
    app: 'an app access token',
    user: 'a user access token',
    either: 'an app access token or a user access token',
    jwt: 'a signed Extension JWT (pass it as `options.accessToken`)',
    none: 'no access token',
  };
  let line = `Auth: ${kinds[op.auth]}`;
  if (op.scopes.length) {
    const alts = op.scopes.map((alt) => alt.map((s) => `\`${s}\``).join(' and '));
    line +=
      alts.length === 1
        ? ` with the scope ${alts[0]}`
        : ` with one of the scopes ${alts.join(', ').replace(/, ([^,]*)$/, ' or $1')}`;
  }
  return `${line}.`;
}

// ── endpoints ───────────────────────────────────────────────────────────────

function wireFieldsOf(params) {
  return params.map((p) => {
    const field = { key: paramKey(p), name: p.name };
    const nested = objectNodeOf(p.schema);
    if (nested) field.fields = wireFieldsOf(nested.properties);
    return field;
  });
}

function formatWireFields(fields, indent) {
  if (!fields.length) return '[]';
  const one = (f) => (f.fields ? null : `{ key: ${sq(f.key)}, name: ${sq(f.name)} }`);
  const inline = fields.map(one);
  const pad = ' '.repeat(indent);
  if (inline.every(Boolean)) {
    const line = `[${inline.join(', ')}]`;
    if (line.length + indent + 10 <= 120) return line;
  }
  const items = fields.map((f) => {
    if (!f.fields) return `${pad}  ${one(f)},`;
    return `${pad}  {\n${pad}    key: ${sq(f.key)},\n${pad}    name: ${sq(f.name)},\n${pad}    fields: ${formatWireFields(f.fields, indent + 4)},\n${pad}  },`;
  });
  return `[\n${items.join('\n')}\n${pad}]`;
}

function emitEndpoints(cat) {
  let out = `${HEADER}import type { TwitchEndpoint } from '../../api/twitch-endpoint.interface.js';\n`;
  for (const entry of cat.operations) {
    const { op } = entry;
    out += `\n${jsdoc([`${op.name}: ${op.summary}`], 0, [`@see ${op.docUrl}`])}`;
    out += `export const ${entry.constName}: TwitchEndpoint = {\n`;
    out += `  name: ${sq(op.name)},\n`;
    out += `  category: ${sq(op.category)},\n`;
    out += `  namespace: ${sq(cat.namespace)},\n`;
    out += `  methodName: ${sq(entry.methodName)},\n`;
    out += `  method: ${sq(op.method)},\n`;
    out += `  path: ${sq(op.path)},\n`;
    out += `  auth: ${sq(op.auth)},\n`;
    out += `  scopes: [${op.scopes.map((alt) => `[${alt.map(sq).join(', ')}]`).join(', ')}],\n`;
    out += `  paginated: ${op.paginated},\n`;
    if (op.status) out += `  status: ${sq(op.status)},\n`;
    out += `  successStatus: ${op.successStatus},\n`;
    out += `  docUrl: ${sq(op.docUrl)},\n`;
    out += `  query: ${formatWireFields(wireFieldsOf(op.query), 2)},\n`;
    out += `  body: ${formatWireFields(wireFieldsOf(op.body?.fields ?? []), 2)},\n`;
    out += '};\n';
  }
  return out;
}

// ── params ──────────────────────────────────────────────────────────────────

function literalList(values) {
  return values.map((v) => (typeof v === 'string' ? sq(v) : String(v)));
}

function unionType(values, indent) {
  const parts = literalList(values);
  const line = parts.join(' | ');
  if (line.length + indent <= 100) return line;
  const pad = ' '.repeat(indent + 2);
  return `\n${parts.map((p) => `${pad}| ${p}`).join('\n')}`;
}

function arrayLiteral(values, indent) {
  const parts = literalList(values);
  const line = `[${parts.join(', ')}]`;
  if (line.length + indent <= 100) return line;
  const pad = ' '.repeat(indent + 2);
  return `[\n${parts.map((p) => `${pad}${p},`).join('\n')}\n${' '.repeat(indent)}]`;
}

/** Decorators and TS type for one params property. */
function paramDecorators(field, imports) {
  const { param } = field;
  const node = param.schema;
  const limits = param.limits ?? {};
  const decorators = [];
  const use = (from, name) => imports[from].add(name);
  const dec = (from, name, args = '') => {
    use(from, name);
    decorators.push(`@${name}(${args})`);
  };
  if (!param.required) dec('cv', 'IsOptional');
  let ts;
  const scalar = (n, each) => {
    const opt = each ? '{ each: true }' : '';
    const withOpt = (args) => (each ? (args ? `${args}, ${opt}` : opt) : args);
    if (n.enum) {
      dec('cv', 'IsIn', withOpt(arrayLiteral(n.enum, 2)));
      return { ts: unionType(n.enum, 2), union: true };
    }
    switch (n.type) {
      case 'string':
        if (n.format === 'date-time') {
          dec('tv', 'IsTwitchTimestamp', opt);
          return { ts: 'Date | string', union: true };
        }
        dec('cv', 'IsString', opt);
        return { ts: 'string' };
      case 'integer':
        dec('cv', 'IsInt', opt);
        return { ts: 'number' };
      case 'number':
        dec('cv', 'IsNumber', withOpt(each ? '{}' : ''));
        return { ts: 'number' };
      case 'boolean':
        dec('cv', 'IsBoolean', opt);
        return { ts: 'boolean' };
      default:
        return { ts: 'unknown' };
    }
  };
  if (field.nested && node.type === 'object') {
    // ValidateNested skips undefined, so a required object needs its own presence check.
    dec('cv', 'IsObject');
    dec('cv', 'ValidateNested');
    dec('ct', 'Type', `() => ${field.nested.name}`);
    ts = field.nested.name;
  } else if (field.nested && node.type === 'array') {
    dec('cv', 'IsArray');
    dec('cv', 'ValidateNested', '{ each: true }');
    dec('ct', 'Type', `() => ${field.nested.name}`);
    ts = `${field.nested.name}[]`;
  } else if (node.type === 'array') {
    dec('cv', 'IsArray');
    const inner = scalar(node.items, true);
    ts = inner.union ? `(${inner.ts.trim()})[]` : `${inner.ts}[]`;
    if (inner.ts.startsWith('\n')) ts = `Array<${inner.ts}\n  >`;
    if (limits.itemMaxLength !== undefined) dec('cv', 'MaxLength', `${limits.itemMaxLength}, { each: true }`);
    if (limits.itemPattern !== undefined) dec('cv', 'Matches', `/${limits.itemPattern.replace(/\//g, '\\/')}/, { each: true }`);
  } else if (node.type === 'object') {
    dec('cv', 'IsObject');
    ts = field.recordValue ? `Record<string, ${field.recordValue.name}>` : 'Record<string, unknown>';
  } else {
    ts = scalar(node, false).ts;
  }
  if (limits.min !== undefined) dec('cv', 'Min', String(limits.min));
  if (limits.max !== undefined) dec('cv', 'Max', String(limits.max));
  if (limits.minLength !== undefined) dec('cv', 'MinLength', String(limits.minLength));
  if (limits.maxLength !== undefined) dec('cv', 'MaxLength', String(limits.maxLength));
  if (limits.pattern !== undefined) dec('cv', 'Matches', `/${limits.pattern.replace(/\//g, '\\/')}/`);
  const minItems = Math.max(limits.minItems ?? 0, node.type === 'array' && param.required ? 1 : 0);
  if (node.type === 'array' && minItems > 0) dec('cv', 'ArrayMinSize', String(minItems));
  if (node.type === 'array' && limits.maxItems !== undefined) dec('cv', 'ArrayMaxSize', String(limits.maxItems));
  return { decorators, ts };
}

// ── params quick checks ─────────────────────────────────────────────────────

/**
 * The quick check of one params property: conditions on `v` (present: neither null nor undefined), in order,
 * any of which being true rejects the value. Together they pass only values that every class-validator rule
 * `paramDecorators` puts on the property accepts. They may reject what class-validator would accept (strings
 * with surrogates under MinLength, nested class instances…): the call then runs class-validator, which decides
 * and words the errors. `consts` collects hoisted enum lists and patterns. Undefined when the property carries
 * no rule at all (class-validator's whitelist refuses it).
 */
function paramChecks(field, consts) {
  const { param } = field;
  const node = param.schema;
  const limits = param.limits ?? {};
  const hoist = (prefix, code) => {
    const name = `${prefix}_${consts.length + 1}`;
    consts.push(`const ${name}${prefix === 'IN' ? ': readonly unknown[]' : ''} = ${code};`);
    return name;
  };
  /** [condition that accepts `x`, what `x` is then known to be]. */
  const scalar = (n, x) => {
    if (n.enum) return [`${hoist('IN', arrayLiteral(n.enum, 0))}.includes(${x})`, undefined];
    switch (n.type) {
      case 'string':
        return n.format === 'date-time' ? [`isTwitchTimestampValue(${x})`, undefined] : [`typeof ${x} === 'string'`, 'string'];
      case 'integer':
        return [`typeof ${x} === 'number' && Number.isInteger(${x})`, 'number'];
      case 'number':
        return [`typeof ${x} === 'number' && Number.isFinite(${x})`, 'number'];
      case 'boolean':
        return [`typeof ${x} === 'boolean'`, 'boolean'];
      default:
        return [undefined, undefined];
    }
  };
  const fails = [];
  let known;
  const sizes = () => {
    const minItems = Math.max(limits.minItems ?? 0, param.required ? 1 : 0);
    if (minItems > 0) fails.push(`v.length < ${minItems}`);
    if (limits.maxItems !== undefined) fails.push(`v.length > ${limits.maxItems}`);
  };
  if (field.nested && node.type === 'object') {
    fails.push(`!isParamsRecord(v) || !valid${field.nested.name}(v)`);
  } else if (field.nested && node.type === 'array') {
    fails.push('!Array.isArray(v)');
    sizes();
    fails.push(`!v.every((x) => isParamsRecord(x) && valid${field.nested.name}(x))`);
  } else if (node.type === 'array') {
    fails.push('!Array.isArray(v)');
    sizes();
    const each = [scalar(node.items, 'x')[0]].filter(Boolean);
    if (limits.itemMaxLength !== undefined) {
      each.push(
        `${node.items.type === 'string' && !node.items.enum && node.items.format !== 'date-time' ? '' : "typeof x === 'string' && "}x.length <= ${limits.itemMaxLength}`,
      );
    }
    if (limits.itemPattern !== undefined) {
      const typedItem =
        node.items.type === 'string' && !node.items.enum && node.items.format !== 'date-time' ? '' : "typeof x === 'string' && ";
      each.push(`${typedItem}${hoist('PATTERN', `/${limits.itemPattern.replace(/\//g, '\\/')}/`)}.test(x)`);
    }
    if (each.length) fails.push(`!v.every((x) => ${each.join(' && ')})`);
  } else if (node.type === 'object') {
    fails.push("typeof v !== 'object' || Array.isArray(v)");
  } else {
    const [accept, type] = scalar(node, 'v');
    if (accept) fails.push(`!(${accept})`.replace(/^!\(([\w.]+\([^()]*\))\)$/, '!$1'));
    known = type;
  }
  const typed = (type, cond) => (known === type ? cond : `typeof v !== '${type}' || ${cond}`);
  if (limits.min !== undefined) fails.push(typed('number', `v < ${limits.min}`));
  if (limits.max !== undefined) fails.push(typed('number', `v > ${limits.max}`));
  if (limits.minLength !== undefined) fails.push(typed('string', `!hasMinLength(v, ${limits.minLength})`));
  if (limits.maxLength !== undefined) fails.push(typed('string', `v.length > ${limits.maxLength}`));
  if (limits.pattern !== undefined)
    fails.push(typed('string', `!${hoist('PATTERN', `/${limits.pattern.replace(/\//g, '\\/')}/`)}.test(v)`));
  if (!fails.length && param.required) return undefined;
  return fails;
}

/** `!(typeof v === 'string')` reads better as `typeof v !== 'string'`. */
const simplify = (cond) =>
  cond
    .replace(/^!\(typeof v === '(\w+)'\)$/, "typeof v !== '$1'")
    .replace(/^!\(typeof v === 'number' && Number\.(isInteger|isFinite)\(v\)\)$/, "typeof v !== 'number' || !Number.$1(v)");

/** The quick check of a params class: own keys only, each known and passing its rules, every required one present. */
function emitParamsCheck(cls, consts) {
  let out = jsdoc([`True only when class-validator accepts these \`${cls.name}\` as they are (then it is not run).`]);
  out += `function valid${cls.name}(p: Record<string, unknown>): boolean {\n`;
  if (!cls.fields.length) return `${out}  return Object.keys(p).length === 0;\n}\n`;
  const required = cls.fields.filter((f) => f.param.required).length;
  if (required) out += '  let required = 0;\n';
  out += '  for (const key of Object.keys(p)) {\n    const v = p[key];\n    switch (key) {\n';
  for (const field of cls.fields) {
    const fails = paramChecks(field, consts);
    if (fails === undefined) continue;
    out += `      case ${sq(field.key)}:\n`;
    if (!field.param.required && fails.length) out += '        if (v === null || v === undefined) break;\n';
    const lines = [];
    for (const f of [...(field.param.required ? ['v === null || v === undefined'] : []), ...fails.map(simplify)]) {
      const last = lines.length - 1;
      if (last >= 0 && `        if (${lines[last]} || ${f}) return false;`.length <= 120) lines[last] = `${lines[last]} || ${f}`;
      else lines.push(f);
    }
    for (const l of lines) out += `        if (${l}) return false;\n`;
    if (field.param.required) out += '        required++;\n';
    out += '        break;\n';
  }
  out += '      default:\n        return false;\n    }\n  }\n';
  out += required ? `  return required === ${required};\n}\n` : '  return true;\n}\n';
  return out;
}

function sortClassesByDeps(classes, depsOf) {
  const byName = new Map(classes.map((c) => [c.name, c]));
  const out = [];
  const state = new Map();
  const visit = (c) => {
    if (state.get(c.name) === 2) return;
    if (state.get(c.name) === 1) return; // cycle: keep creation order
    state.set(c.name, 1);
    for (const d of depsOf(c)) if (byName.has(d)) visit(byName.get(d));
    state.set(c.name, 2);
    out.push(c);
  };
  for (const c of classes) visit(c);
  return out;
}

function emitParams(cat) {
  const imports = { cv: new Set(), ct: new Set(), tv: new Set() };
  const classes = sortClassesByDeps(cat.paramsClasses ?? [], (c) =>
    c.fields.flatMap((f) => [f.nested?.name, f.recordValue?.name].filter(Boolean)),
  );
  let body = '';
  for (const cls of classes) {
    body += `\n${jsdoc([cls.description ? firstParagraph(cls.description) : ''])}`;
    if (!cls.fields.length) {
      body += `export class ${cls.name} {}\n`;
      continue;
    }
    body += `export class ${cls.name} {\n`;
    cls.fields.forEach((field, i) => {
      const { decorators, ts } = paramDecorators(field, imports);
      if (i) body += '\n';
      body += jsdoc([firstParagraph(field.param.description) || `Twitch's \`${field.param.name}\` parameter.`], 2);
      for (const d of decorators) body += `  ${d}\n`;
      const mark = field.param.required ? '!' : '?';
      body += `  ${renderKey(field.key)}${mark}:${ts.startsWith('\n') ? '' : ' '}${ts};\n`;
    });
    body += '}\n';
  }
  let head = HEADER;
  if (imports.ct.size) head += `import { ${[...imports.ct].sort().join(', ')} } from 'class-transformer';\n`;
  if (imports.cv.size)
    head += `import {\n${[...imports.cv]
      .sort()
      .map((n) => `  ${n},`)
      .join('\n')}\n} from 'class-validator';\n`;
  if (imports.tv.size) head += `import { ${[...imports.tv].sort().join(', ')} } from '../../api/twitch-validation.js';\n`;
  return head + body;
}

// ── DTOs ────────────────────────────────────────────────────────────────────

function emitDto(cat, dtoPlan, kebabOfCategory) {
  const classes = sortClassesByDeps(
    dtoPlan.order.filter((c) => c.category === cat.name),
    (c) => [...c.deps],
  );
  if (!classes.length) return null;
  const local = new Set(classes.map((c) => c.name));
  const foreign = new Map();
  let usesPagination = false;
  let body = '';
  for (const cls of classes) {
    for (const d of cls.deps) {
      if (!local.has(d)) {
        const other = dtoPlan.classes.get(d).category;
        if (!foreign.has(other)) foreign.set(other, new Set());
        foreign.get(other).add(d);
      }
    }
    if (cls.usesPagination) usesPagination = true;
    body += `\n${jsdoc([cls.description ? firstParagraph(cls.description) : ''])}`;
    body += `export class ${cls.name} {\n`;
    cls.fields.forEach((f, i) => {
      if (i) body += '\n';
      const doc = firstParagraph(f.description) || `Twitch's \`${f.name}\` field.`;
      body += jsdoc([doc], 2, f.deprecated ? ['@deprecated Twitch marks this field as deprecated.'] : []);
      const opts = f.typeFn ? `, { type: () => ${f.typeFn} }` : '';
      body += `  @TwitchField(${sq(f.name)}${opts})\n`;
      let ts = f.ts;
      if (f.nullable) ts = `${ts} | null`;
      body += `  ${renderKey(f.key)}${f.optional ? '?' : ''}: ${ts};\n`;
    });
    if (cls.fields.length) body += '\n';
    body += emitDtoMapper(cls);
    body += '}\n';
  }
  const helpers = ['mapTwitchDto', 'twitchDate', 'twitchPlain'].filter((h) => body.includes(`${h}(`));
  let head = HEADER;
  if (helpers.length) head += `import { ${helpers.join(', ')} } from '../../dto/twitch-dto.mapper.js';\n`;
  head += `import { TwitchField } from '../../dto/twitch-field.decorator.js';\n`;
  if (usesPagination) head += `import { TwitchPagination } from '../../dto/twitch-pagination.dto.js';\n`;
  for (const [other, set] of [...foreign.entries()].sort()) {
    const k = kebabOfCategory(other);
    head += `import { ${[...set].sort().join(', ')} } from '../${k}/${k}.dto.js';\n`;
  }
  return head + body;
}

/**
 * The static mapper of a DTO class: one property copy per field, in declaration order, with the conversion its
 * `@TwitchField` declares (copied JSON, `Date`, or the nested class's mapper). `mapTwitchDto` runs it.
 */
function emitDtoMapper(cls) {
  let out = jsdoc(
    [
      `Maps one object of Twitch's JSON onto a \`${cls.name}\` (what \`mapTwitchDto\` runs; \`plainToInstance\` gives the same result).`,
    ],
    2,
  );
  if (!cls.fields.length) {
    out += `  static fromTwitch(_raw: Record<string, unknown>): ${cls.name} {\n    return new ${cls.name}();\n  }\n`;
    return out;
  }
  out += `  static fromTwitch(raw: Record<string, unknown>): ${cls.name} {\n`;
  out += `    const out = new ${cls.name}() as unknown as Record<string, unknown>;\n`;
  out += '    let v: unknown;\n';
  for (const f of cls.fields) {
    const target = isIdentifier(f.key) ? `out.${f.key}` : `out[${sq(f.key)}]`;
    let value;
    if (f.typeFn === 'Date') value = 'twitchDate(v)';
    else if (f.typeFn) value = `mapTwitchDto(${f.typeFn}, v)`;
    else value = 'twitchPlain(v)';
    out += `    v = ${isIdentifier(f.name) ? `raw.${f.name}` : `raw[${sq(f.name)}]`};\n`;
    out += `    if (v !== undefined) ${target} = ${value};\n`;
  }
  out += `    return out as unknown as ${cls.name};\n  }\n`;
  return out;
}

// ── API classes ─────────────────────────────────────────────────────────────

function signature(name, params, returns) {
  const line = `  ${name}(${params.join(', ')}): ${returns} {`;
  if (line.length <= 120) return `${line}\n`;
  return `  ${name}(\n${params.map((p) => `    ${p},`).join('\n')}\n  ): ${returns} {\n`;
}

function emitApi(cat, dtoPlan) {
  const endpointImports = [];
  const paramsImports = [];
  const dtoImports = new Map(); // category -> Set
  const addDto = (name) => {
    const c = dtoPlan.classes.get(name).category;
    if (!dtoImports.has(c)) dtoImports.set(c, new Set());
    dtoImports.get(c).add(name);
  };
  let bindings = '';
  let methods = '';
  for (const entry of cat.operations) {
    const { op } = entry;
    endpointImports.push(entry.constName);
    paramsImports.push(entry.paramsClass);
    const bindingName = `${entry.constName}_BINDING`;
    let resultType;
    let bindingBody = `  endpoint: ${entry.constName},\n  params: ${entry.paramsClass},\n  valid: valid${entry.paramsClass},\n`;
    if (op.response?.kind === 'json') {
      resultType = dtoPlan.responseClassOf.get(op.name);
      addDto(resultType);
      bindingBody += `  response: ${resultType},\n`;
    } else if (op.response?.kind === 'text') {
      resultType = 'string';
      bindingBody += '  text: true,\n';
    } else {
      resultType = 'void';
    }
    bindings += `\nconst ${bindingName}: TwitchEndpointBinding<${entry.paramsClass}, ${resultType}> = {\n${bindingBody}};\n`;

    const blocks = [op.summary];
    if (op.status === 'beta') blocks.push('**Beta.**');
    if (op.status === 'new') blocks.push('**New.**');
    blocks.push(authLine(op));
    const tags = [];
    if (op.status === 'deprecated') tags.push(`@deprecated ${op.deprecationNote ?? 'Twitch marks this endpoint as deprecated.'}`);
    tags.push(`@see ${op.docUrl}`);
    methods += `\n${jsdoc(blocks, 2, tags)}`;
    const paramsArg = entry.hasRequired
      ? `params: ${entry.paramsClass}`
      : `params: ${entry.paramsClass} = {} as ${entry.paramsClass}`;
    methods += signature(entry.methodName, [paramsArg, 'options?: TwitchRequestOptions'], `Promise<${resultType}>`);
    methods += `    return this.client.call(${bindingName}, params, options);\n  }\n`;

    if (op.paginated && op.response?.kind === 'json') {
      const cls = dtoPlan.classes.get(resultType);
      const data = cls.fields.find((f) => f.name === 'data');
      if (!data || !data.ts.endsWith('[]') || data.nullable || data.optional) {
        entry.paginatedSkipped = 'its `data` is not a list';
        continue;
      }
      const item = data.ts.slice(0, -2).replace(/^\((.*)\)$/, '$1');
      if (dtoPlan.classes.has(item)) addDto(item);
      const cursors = op.query.filter((q) => q.name === 'after' || q.name === 'before').map((q) => sq(paramKey(q)));
      const remainingRequired =
        op.query.some((q) => q.required && q.name !== 'after' && q.name !== 'before') ||
        (op.body?.fields ?? []).some((f) => f.required);
      const omitted = `Omit<${entry.paramsClass}, ${cursors.join(' | ')}>`;
      const iterName = paginatedNameOf(entry.methodName);
      entry.paginatedName = iterName;
      methods += `\n${jsdoc(
        [`Iterates over every item of ${op.name}, following \`pagination.cursor\` from page to page.`],
        2,
        op.status === 'deprecated'
          ? [`@deprecated ${op.deprecationNote ?? 'Twitch marks this endpoint as deprecated.'}`, `@see ${op.docUrl}`]
          : [`@see ${op.docUrl}`],
      )}`;
      methods += signature(
        iterName,
        [remainingRequired ? `params: ${omitted}` : `params: ${omitted} = {}`, 'options?: TwitchRequestOptions'],
        `AsyncIterableIterator<${item}>`,
      );
      methods += `    return this.client.iterate(${bindingName}, params as ${entry.paramsClass}, options);\n  }\n`;
    }
  }
  const consts = [];
  let checks = '';
  for (const cls of cat.paramsClasses ?? []) checks += `\n${emitParamsCheck(cls, consts)}`;
  const helpers = ['hasMinLength', 'isParamsRecord', 'isTwitchTimestampValue'].filter((h) => checks.includes(`${h}(`));
  let out = HEADER;
  out += `import type { TwitchEndpointBinding, TwitchEndpointClient } from '../../api/twitch-endpoint-binding.js';\n`;
  if (helpers.length) out += importLine(helpers, '../../api/twitch-validation.js');
  out += `import type { TwitchRequestOptions } from '../../interfaces/twitch-request-options.interface.js';\n`;
  for (const [c, set] of [...dtoImports.entries()].sort()) {
    const k = kebabOf(namespaceOf(c));
    out += importLine([...set].sort(), c === cat.name ? `./${k}.dto.js` : `../${k}/${k}.dto.js`);
  }
  out += importLine(endpointImports, `./${cat.kebab}.endpoints.js`);
  out += importLine(paramsImports, `./${cat.kebab}.params.js`);
  if (consts.length) out += `\n${consts.join('\n')}\n`;
  out += checks;
  out += bindings;
  out += `\n${jsdoc([`${cat.name} endpoints of the Helix API.`])}`;
  out += `export class ${cat.apiClass} {\n  constructor(private readonly client: TwitchEndpointClient) {}\n`;
  out += methods;
  out += '}\n';
  return out;
}

function importLine(names, from) {
  const line = `import { ${names.join(', ')} } from '${from}';`;
  if (line.length <= 120) return `${line}\n`;
  return `import {\n${names.map((n) => `  ${n},`).join('\n')}\n} from '${from}';\n`;
}

// ── catalog, namespaces, index, scopes ──────────────────────────────────────

function emitCatalog(categories) {
  let out = `${HEADER}import type { TwitchEndpoint } from '../api/twitch-endpoint.interface.js';\n`;
  for (const cat of categories)
    out += importLine(
      cat.operations.map((e) => e.constName),
      `./${cat.kebab}/${cat.kebab}.endpoints.js`,
    );
  out += `\n/** Every Helix operation, in the order of Twitch's reference (category, then operation). */\n`;
  out += 'export const TWITCH_ENDPOINTS: readonly TwitchEndpoint[] = [\n';
  for (const cat of categories) for (const e of cat.operations) out += `  ${e.constName},\n`;
  out += '];\n';
  return out;
}

function emitNamespaces(categories) {
  let out = `${HEADER}import type { TwitchEndpointClient } from '../api/twitch-endpoint-binding.js';\n`;
  for (const cat of categories) out += `import { ${cat.apiClass} } from './${cat.kebab}/${cat.kebab}.api.js';\n`;
  out += `\n/** One property per Helix category, each holding that category's endpoint methods. */\n`;
  out += 'export class TwitchApiNamespaces {\n';
  for (const cat of categories) out += `${jsdoc([`${cat.name} endpoints.`], 2)}  readonly ${cat.namespace}: ${cat.apiClass};\n`;
  out += '\n  constructor(client: TwitchEndpointClient) {\n';
  for (const cat of categories) out += `    this.${cat.namespace} = new ${cat.apiClass}(client);\n`;
  out += '  }\n}\n';
  return out;
}

function emitIndex(categories, hasDto) {
  let out = HEADER;
  out += `export * from './scopes.js';\nexport * from './catalog.js';\nexport * from './twitch-api.namespaces.js';\n`;
  for (const cat of categories) {
    const base = `./${cat.kebab}/${cat.kebab}`;
    out += `export * from '${base}.endpoints.js';\nexport * from '${base}.params.js';\n`;
    if (hasDto.has(cat.name)) out += `export * from '${base}.dto.js';\n`;
    out += `export * from '${base}.api.js';\n`;
  }
  return out;
}

const scopeKey = (scope) => scope.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();

function emitScopes(model) {
  let out = HEADER;
  out += '\n/** Twitch OAuth scopes, keyed by upper snake case (`:` becomes `_`). */\n';
  out += 'export const TwitchScopes = {\n';
  const keys = new Set();
  for (const { scope, description } of model.scopes) {
    const key = scopeKey(scope);
    if (keys.has(key)) fail(`scope key collision ${key}`);
    keys.add(key);
    out += `${jsdoc([cleanMarkdown(description)], 2)}  ${key}: ${sq(scope)},\n`;
  }
  out += '} as const;\n\n';
  out += '/** One Twitch OAuth scope. */\n';
  out += 'export type TwitchScope = (typeof TwitchScopes)[keyof typeof TwitchScopes];\n\n';
  out += '/** Every known scope, sorted. */\n';
  out += 'export const TWITCH_SCOPES: readonly TwitchScope[] = [\n';
  for (const { scope } of model.scopes) out += `  TwitchScopes.${scopeKey(scope)},\n`;
  out += '];\n';
  return out;
}

// ── examples and fixtures ───────────────────────────────────────────────────

function emitExamples(categories) {
  let out = HEADER;
  out += "\n/** A documented Helix answer per operation: the route and the first example body of Twitch's reference. */\n";
  out +=
    'export const HELIX_EXAMPLES: Readonly<Record<string, { method: string; path: string; status: number; body: unknown }>> = {\n';
  for (const cat of categories) {
    for (const { op } of cat.operations) {
      const body = JSON.stringify(op.example ?? null, null, 2);
      out += `  ${sq(op.name)}: {\n    method: ${sq(op.method)},\n    path: ${sq(op.path)},\n    status: ${op.successStatus},\n`;
      out += `    body: ${indentLines(body, 4).trimStart()},\n  },\n`;
    }
  }
  out += '};\n';
  return out;
}

/** What the fake Twitch checks of each operation's params, by params key (the same facts as the params classes' rules). */
function emitParamRules(categories) {
  let out = HEADER;
  out += '\n/** One params property as the fake Twitch checks it: required, a list (repeated query parameter), its `@Max`. */\n';
  out +=
    'export interface HelixParamRule {\n  readonly required: boolean;\n  readonly list: boolean;\n  readonly max?: number;\n}\n';
  out += "\n/** Per operation (Twitch's name), per top-level params key. */\n";
  out += 'export const HELIX_PARAM_RULES: Readonly<Record<string, Readonly<Record<string, HelixParamRule>>>> = {\n';
  for (const cat of categories) {
    for (const { op } of cat.operations) {
      const fields = [...op.query, ...(op.body?.fields ?? [])];
      if (!fields.length) {
        out += `  ${sq(op.name)}: {},\n`;
        continue;
      }
      out += `  ${sq(op.name)}: {\n`;
      for (const p of fields) {
        const max = p.limits?.max !== undefined ? `, max: ${p.limits.max}` : '';
        out += `    ${renderKey(paramKey(p))}: { required: ${!!p.required}, list: ${p.schema.type === 'array'}${max} },\n`;
      }
      out += '  },\n';
    }
  }
  out += '};\n';
  return out;
}

/** A valid value for a param schema (documented example first, else synthesized). */
function synthesize(param) {
  const node = param.schema;
  const limits = param.limits ?? {};
  const scalar = (n, name, lim) => {
    if (n.enum) return n.enum[0];
    switch (n.type) {
      case 'string': {
        if (n.format === 'date-time') return PLACEHOLDER_TIMESTAMP;
        const listed = cleanMarkdown(lim.description).match(/^\s*\*\s+`?([A-Za-z0-9_#-]+)`?\s*$/m);
        let v = /(^|_)id$|_ids?$/.test(name) ? PLACEHOLDER_ID : listed ? listed[1] : 'example';
        if (lim.pattern && new RegExp(lim.pattern).test('#9146FF')) v = '#9146FF';
        if (lim.minLength && v.length < lim.minLength) v = v.padEnd(lim.minLength, 'x');
        if (lim.maxLength && v.length > lim.maxLength) v = v.slice(0, lim.maxLength);
        return v;
      }
      case 'integer':
      case 'number':
        if (lim.min !== undefined) return lim.min;
        if (lim.max !== undefined) return Math.min(1, lim.max);
        return 1;
      case 'boolean':
        return true;
      default:
        return null;
    }
  };
  const objectOf = (n) => {
    const out = {};
    for (const p of n.properties) if (p.required) out[paramKey(p)] = synthesize(p);
    return out;
  };
  if (node.type === 'array') {
    const count = Math.max(1, limits.minItems ?? 0);
    const item = () =>
      node.items.type === 'object' && node.items.properties
        ? objectOf(node.items)
        : scalar(node.items, param.name.replace(/s$/, ''), {});
    return Array.from({ length: count }, item);
  }
  if (node.type === 'object') return node.properties ? objectOf(node) : {};
  return scalar(node, param.name, { ...limits, description: param.description });
}

/** Checks a camelCase value against a param the way the generated decorators do. */
function validValue(param, value) {
  const node = param.schema;
  const lim = param.limits ?? {};
  const scalarOk = (n, v, l) => {
    if (n.enum) return n.enum.includes(v);
    switch (n.type) {
      case 'string':
        if (typeof v !== 'string') return false;
        if (n.format === 'date-time') return RFC3339.test(v) && !Number.isNaN(Date.parse(v));
        if (l.minLength !== undefined && v.length < l.minLength) return false;
        if (l.maxLength !== undefined && v.length > l.maxLength) return false;
        if (l.pattern !== undefined && !new RegExp(l.pattern).test(v)) return false;
        return true;
      case 'integer':
      case 'number':
        if (typeof v !== 'number' || !Number.isFinite(v) || (n.type === 'integer' && !Number.isInteger(v))) return false;
        if (l.min !== undefined && v < l.min) return false;
        if (l.max !== undefined && v > l.max) return false;
        return true;
      case 'boolean':
        return typeof v === 'boolean';
      default:
        return true;
    }
  };
  const objectOk = (n, v) =>
    isPlainObject(v) &&
    n.properties.every((p) => {
      const key = paramKey(p);
      if (v[key] === undefined) return !p.required;
      return validValue(p, v[key]);
    }) &&
    Object.keys(v).every((k) => n.properties.some((p) => paramKey(p) === k));
  if (node.type === 'array') {
    if (!Array.isArray(value)) return false;
    if (value.length < Math.max(lim.minItems ?? 0, param.required ? 1 : 0)) return false;
    if (lim.maxItems !== undefined && value.length > lim.maxItems) return false;
    return value.every((v) =>
      node.items.type === 'object' && node.items.properties
        ? objectOk(node.items, v)
        : scalarOk(node.items, v, {
            ...(lim.itemMaxLength !== undefined ? { maxLength: lim.itemMaxLength } : {}),
            ...(lim.itemPattern !== undefined ? { pattern: lim.itemPattern } : {}),
          }),
    );
  }
  if (node.type === 'object') {
    if (node.properties) return objectOk(node, value);
    return isPlainObject(value);
  }
  return scalarOk(node, value, lim);
}

/** Twitch snake_case JSON -> camelCase params value, following the param tree (records and untyped objects verbatim). */
function toParamValue(param, raw) {
  const node = param.schema;
  const obj = (n, v) => {
    if (!isPlainObject(v)) return v;
    const out = {};
    for (const p of n.properties) if (v[p.name] !== undefined) out[paramKey(p)] = toParamValue(p, v[p.name]);
    for (const k of Object.keys(v)) if (!n.properties.some((p) => p.name === k)) out[`__unknown__${k}`] = v[k];
    return out;
  };
  if (node.type === 'array' && Array.isArray(raw) && node.items.type === 'object' && node.items.properties)
    return raw.map((v) => obj(node.items, v));
  if (node.type === 'object' && node.properties) return obj(node, raw);
  return clone(raw);
}

/** Query string values -> typed params value. */
function fromQueryStrings(param, values) {
  const convert = (n, s) => {
    if (n.type === 'integer' || n.type === 'number') return s.trim() !== '' && !Number.isNaN(Number(s)) ? Number(s) : s;
    if (n.type === 'boolean') return s === 'true' ? true : s === 'false' ? false : s;
    return s;
  };
  if (param.schema.type === 'array') return values.map((v) => convert(param.schema.items, v));
  return convert(param.schema, values[0]);
}

/** Keeps the valid parts of a documented example value; invalid parts are re-synthesized (required) or dropped. */
function repairValue(param, value, path, replaced) {
  if (validValue(param, value)) return value;
  const node = param.schema;
  const objNode = objectNodeOf(node);
  if (objNode && node.type === 'object' && isPlainObject(value)) {
    const fixed = repairObject(objNode, value, path, replaced);
    if (validValue(param, fixed)) return fixed;
  }
  if (objNode && node.type === 'array' && Array.isArray(value)) {
    const fixed = value
      .map((v, i) => (isPlainObject(v) ? repairObject(objNode, v, `${path}[${i}]`, replaced) : undefined))
      .filter(Boolean);
    if (validValue(param, fixed)) return fixed;
  }
  replaced.push(path);
  return undefined;
}

function repairObject(node, value, path, replaced) {
  const out = {};
  for (const p of node.properties) {
    const key = paramKey(p);
    let v = value[key];
    if (v !== undefined) v = repairValue(p, v, `${path}.${p.name}`, replaced);
    if (v === undefined && p.required) v = synthesize(p);
    if (v !== undefined) out[key] = v;
  }
  for (const k of Object.keys(value))
    if (k.startsWith('__unknown__')) replaced.push(`${path}.${k.slice(11)} (unknown field dropped)`);
  return out;
}

/** camelCase params value -> Twitch wire value (snake_case keys; records/untyped verbatim). */
function toWireValue(param, value) {
  const node = param.schema;
  const obj = (n, v) => {
    const out = {};
    for (const p of n.properties) {
      const key = paramKey(p);
      if (v[key] !== undefined) out[p.name] = toWireValue(p, v[key]);
    }
    return out;
  };
  if (value instanceof Date) return value.toISOString();
  if (node.type === 'array' && node.items.type === 'object' && node.items.properties) return value.map((v) => obj(node.items, v));
  if (node.type === 'object' && node.properties) return obj(node, value);
  return clone(value);
}

function queryStrings(value) {
  const one = (v) => (v instanceof Date ? v.toISOString() : String(v));
  return Array.isArray(value) ? value.map(one) : [one(value)];
}

function buildFixture(entry, stats) {
  const { op } = entry;
  const params = {};
  const example = op.requestExample;
  const all = [...op.query.map((p) => ({ p, in: 'query' })), ...(op.body?.fields ?? []).map((p) => ({ p, in: 'body' }))];
  for (const { p, in: where } of all) {
    const key = paramKey(p);
    let value;
    if (where === 'query' && example?.query?.[p.name]) value = fromQueryStrings(p, example.query[p.name]);
    if (where === 'body' && isPlainObject(example?.body) && example.body[p.name] !== undefined)
      value = toParamValue(p, example.body[p.name]);
    if (value !== undefined) value = repairValue(p, value, `${op.name}: ${p.name}`, stats.replaced);
    if (value === undefined && p.required) {
      value = synthesize(p);
      if (!validValue(p, value)) fail(`${op.name}: synthesized ${p.name} is not valid`);
      stats.synthesized++;
    }
    if (value !== undefined) params[key] = value;
  }
  const query = {};
  for (const p of op.query) {
    const v = params[paramKey(p)];
    if (v !== undefined) query[p.name] = queryStrings(v);
  }
  let body = null;
  if (op.body) {
    body = {};
    for (const p of op.body.fields) {
      const v = params[paramKey(p)];
      if (v !== undefined) body[p.name] = toWireValue(p, v);
    }
    if (!Object.keys(body).length && !op.body.required) body = null;
  }
  const fixture = {
    name: op.name,
    namespace: entry.category.namespace,
    methodName: entry.methodName,
    params,
    wire: { method: op.method, path: op.path, query, body },
  };
  if (op.example !== null && op.example !== undefined) fixture.response = op.example;
  return fixture;
}

function emitFixtures(categories, stats) {
  const list = [];
  for (const cat of categories) for (const entry of cat.operations) list.push(buildFixture(entry, stats));
  return `${JSON.stringify(list, null, 2)}\n`;
}

// ─────────────────────────────────────────────────────────────────────────────
// Stage 2 driver
// ─────────────────────────────────────────────────────────────────────────────

/** Every file of stage 2 (path relative to the repository -> content), a summary, and each operation's method. */
export function generateFiles(model) {
  const names = new ClassNames();
  const categories = planOperations(model, planCategories(model));
  for (const cat of categories) names.claim(cat.apiClass, `api ${cat.name}`);
  const dtoPlan = planDtos(model, categories, names);
  const paramsPlan = planParams(categories, names);
  const kebabOfCategory = (name) => categories.find((c) => c.name === name).kebab;

  const files = new Map();
  const hasDto = new Set();
  for (const cat of categories) {
    const dir = `lib/generated/${cat.kebab}`;
    files.set(`${dir}/${cat.kebab}.endpoints.ts`, emitEndpoints(cat));
    files.set(`${dir}/${cat.kebab}.params.ts`, emitParams(cat));
    const dto = emitDto(cat, dtoPlan, kebabOfCategory);
    if (dto) {
      files.set(`${dir}/${cat.kebab}.dto.ts`, dto);
      hasDto.add(cat.name);
    }
    files.set(`${dir}/${cat.kebab}.api.ts`, emitApi(cat, dtoPlan));
  }
  files.set('lib/generated/scopes.ts', emitScopes(model));
  files.set('lib/generated/catalog.ts', emitCatalog(categories));
  files.set('lib/generated/twitch-api.namespaces.ts', emitNamespaces(categories));
  files.set('lib/generated/index.ts', emitIndex(categories, hasDto));
  files.set('lib/testing/generated/helix-examples.ts', emitExamples(categories));
  files.set('lib/testing/generated/helix-param-rules.ts', emitParamRules(categories));
  const fixtureStats = { synthesized: 0, replaced: [] };
  files.set(FIXTURES_PATH, emitFixtures(categories, fixtureStats));

  const summary = {
    perCategory: categories.map((c) => [c.name, c.operations.length]),
    operations: categories.reduce((n, c) => n + c.operations.length, 0),
    dtoClasses: dtoPlan.classes.size,
    paramsClasses: paramsPlan.all.length,
    collisions: names.collisions,
    paginatedSkipped: categories.flatMap((c) =>
      c.operations.filter((e) => e.paginatedSkipped).map((e) => `${e.op.name}: ${e.paginatedSkipped}`),
    ),
    fixtureStats,
  };
  const methods = categories.flatMap((c) =>
    c.operations.map((e) => ({
      name: e.op.name,
      namespace: c.namespace,
      methodName: e.methodName,
      paginatedName: e.paginatedName,
    })),
  );
  return { files, summary, methods };
}
