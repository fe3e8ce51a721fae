/**
 * The v1 write paths run every non-numeric string of a document through DOMPurify (Nightscout's
 * `purifier.purifyObject`). A string without `<` comes back unchanged; anything else is parsed as
 * HTML and serialised again: text escapes `&`, `<`, `>`; script-like elements vanish with their
 * content, unknown elements leave their content behind, event handlers and `javascript:` URLs
 * are dropped. This is a small model of that, not an HTML parser: it is exact for flat markup and
 * the hostile strings the conformance table sends, approximate for mis-nested tags and tables.
 */

/** Elements removed together with their content. */
const DROPPED = new Set(['script', 'style', 'title', 'iframe', 'frame', 'frameset', 'object', 'embed', 'noscript', 'noembed', 'noframes', 'template', 'xmp', 'plaintext', 'applet']);

/** Elements DOMPurify keeps (its HTML, SVG and MathML allow-lists, the common part). */
const ALLOWED = new Set(
  (
    'a abbr address area article aside audio b bdi bdo big blink blockquote br button canvas caption center cite code col colgroup ' +
    'data datalist dd del details dfn dialog dir div dl dt em fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 header ' +
    'hgroup hr i img input ins kbd label legend li main map mark marquee menu meter nav nobr ol optgroup option output p picture pre ' +
    'progress q rp rt ruby s samp section select small source span strike strong sub summary sup table tbody td textarea tfoot th ' +
    'thead time tr track tt u ul var video wbr svg math'
  ).split(' '),
);

const VOID = new Set(['area', 'br', 'col', 'hr', 'img', 'input', 'source', 'track', 'wbr']);
const URI_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'background', 'poster', 'cite']);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

const escapeText = (text: string): string => decode(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\u00a0/g, '&nbsp;');
const escapeAttribute = (value: string): string => decode(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/\u00a0/g, '&nbsp;');

function attributes(source: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of source.matchAll(/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    out.push([m[1]!.toLowerCase(), m[2] ?? m[3] ?? m[4] ?? '']);
  }
  return out;
}

function safeAttribute([name, value]: [string, string]): boolean {
  if (name.startsWith('on') || name === 'target') return false;
  if (!URI_ATTRIBUTES.has(name)) return true;
  // eslint-disable-next-line no-control-regex -- control characters hide a scheme from naive checks
  return !/^(?:javascript|vbscript):/i.test(value.replace(/[\u0000-\u0020]/g, ''));
}

/** DOMPurify.sanitize(value) for a string, modelled as above. */
export function purifyString(value: string): string {
  if (!value.includes('<')) return value;
  const tag = /<(\/?)([a-zA-Z][^\s/>]*)([^>]*)>|<!--[\s\S]*?(?:-->|$)/g;
  const open: string[] = [];
  let out = '';
  let at = 0;
  let m: RegExpExecArray | null;
  const text = (t: string): void => {
    // An unfinished tag (`a <b` at the end) is dropped by the HTML tokenizer.
    out += escapeText(t.replace(/<[a-zA-Z/!][^>]*$/, ''));
  };
  while ((m = tag.exec(value)) !== null) {
    text(value.slice(at, m.index));
    at = tag.lastIndex;
    if (m[2] === undefined) continue; // a comment
    const name = m[2].toLowerCase();
    const closing = m[1] === '/';
    if (!closing && DROPPED.has(name)) {
      if (name === 'plaintext') return out;
      const end = new RegExp(`</${name}\\s*>`, 'i').exec(value.slice(at));
      at = end ? at + end.index + end[0].length : value.length;
      tag.lastIndex = at;
      continue;
    }
    if (!ALLOWED.has(name)) continue;
    if (closing) {
      const i = open.lastIndexOf(name);
      if (i < 0) continue;
      while (open.length > i) out += `</${open.pop()!}>`;
      continue;
    }
    // DOMPurify removes and re-sets every attribute walking backwards, which reverses their order.
    const kept = attributes(m[3] ?? '').filter(safeAttribute).reverse();
    out += `<${name}${kept.map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join('')}>`;
    if (!VOID.has(name)) open.push(name);
  }
  text(value.slice(at));
  while (open.length > 0) out += `</${open.pop()!}>`;
  return out;
}

/** `purifier.purifyObject`: every own string that is not a number, in place, objects and arrays included. */
export function purifyObject(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (typeof v === 'object') purifyObject(v);
    else if (typeof v === 'string' && Number.isNaN(Number(v))) record[key] = purifyString(v);
  }
}
