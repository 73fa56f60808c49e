// Strict little readers for the renderer tests: RFC 4180 CSV and XML well-formedness.

/** Parse RFC 4180 CSV (quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF records). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        if (i < text.length && !',\r\n'.includes(text[i]!)) throw new Error(`text after closing quote at ${i}`);
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      fieldStarted = true;
      i++;
    } else if (c === '\r' || c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      fieldStarted = false;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      fieldStarted = true;
      i++;
    }
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (fieldStarted || field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const ENTITY = /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;

function checkText(s: string, where: number): string {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '<') throw new Error(`raw '<' in text at ${where + i}`);
    if (s[i] === '&') {
      const m = ENTITY.exec(s.slice(i));
      if (!m) throw new Error(`bad entity reference at ${where + i}: ${s.slice(i, i + 12)}`);
    }
  }
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#([0-9]+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

/**
 * Parse a document as XML and throw on anything not well-formed: unclosed or crossed elements, unquoted or
 * duplicate attributes, bare '&' or '<', entities XML does not define. Returns the root element.
 */
export function parseXml(doc: string): XmlNode {
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  let i = 0;
  const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const textEnd = lt < 0 ? doc.length : lt;
    if (textEnd > i) {
      const text = checkText(doc.slice(i, textEnd), i);
      if (stack.length === 1 && text.trim() !== '') throw new Error(`text outside the root element at ${i}`);
      stack[stack.length - 1]!.text += text;
    }
    if (lt < 0) break;
    i = lt;
    if (doc.startsWith('<!--', i)) {
      const end = doc.indexOf('-->', i);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
    } else if (doc.startsWith('<!DOCTYPE', i)) {
      if (stack.length !== 1 || root.children.length) throw new Error('DOCTYPE not at the start');
      const end = doc.indexOf('>', i);
      i = end + 1;
    } else if (doc.startsWith('<?', i)) {
      i = doc.indexOf('?>', i) + 2;
    } else if (doc.startsWith('</', i)) {
      const m = NAME.exec(doc.slice(i + 2));
      if (!m) throw new Error(`bad end tag at ${i}`);
      const close = doc.indexOf('>', i);
      if (doc.slice(i + 2 + m[0].length, close).trim() !== '') throw new Error(`junk in end tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[0]) throw new Error(`</${m[0]}> at ${i} closes <${open?.name}>`);
      i = close + 1;
    } else {
      const m = NAME.exec(doc.slice(i + 1));
      if (!m) throw new Error(`bad start tag at ${i}: ${doc.slice(i, i + 20)}`);
      const node: XmlNode = { name: m[0], attrs: {}, children: [], text: '' };
      let j = i + 1 + m[0].length;
      for (;;) {
        const ws = /^\s*/.exec(doc.slice(j))![0].length;
        j += ws;
        if (doc.startsWith('/>', j)) {
          j += 2;
          stack[stack.length - 1]!.children.push(node);
          break;
        }
        if (doc[j] === '>') {
          j += 1;
          stack[stack.length - 1]!.children.push(node);
          stack.push(node);
          break;
        }
        if (ws === 0) throw new Error(`attributes not separated at ${j}`);
        const a = NAME.exec(doc.slice(j));
        if (!a) throw new Error(`bad attribute at ${j}: ${doc.slice(j, j + 20)}`);
        j += a[0].length;
        if (doc[j] !== '=') throw new Error(`attribute ${a[0]} without a value at ${j}`);
        const q = doc[j + 1];
        if (q !== '"' && q !== "'") throw new Error(`unquoted attribute ${a[0]} at ${j}`);
        const end = doc.indexOf(q, j + 2);
        if (end < 0) throw new Error(`unterminated attribute ${a[0]}`);
        if (a[0] in node.attrs) throw new Error(`duplicate attribute ${a[0]} at ${j}`);
        node.attrs[a[0]] = checkText(doc.slice(j + 2, end), j + 2);
        j = end + 1;
      }
      if (stack.length === 1 && root.children.length > 1) throw new Error('more than one root element');
      i = j;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error('no root element');
  return root.children[0]!;
}

/** Every element of a tree, depth first. */
export function* elements(node: XmlNode): Generator<XmlNode> {
  yield node;
  for (const c of node.children) yield* elements(c);
}

/** All text under a node, in document order, concatenated. */
export function textOf(node: XmlNode): string {
  // Text is accumulated per element regardless of position among children; good enough for "contains" checks.
  return node.text + node.children.map(textOf).join('');
}
