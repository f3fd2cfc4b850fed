/**
 * A small XML element tree for libvirt documents. Guest XML is always built
 * from elements, never by pasting strings, so a name, path or metadata value
 * can only ever become text or an attribute value — it is escaped here, once.
 */

export type XmlChild = XmlElement | string;

// XML 1.0 allows tab, LF, CR and everything from U+0020 up (bar surrogates and
// U+FFFE/U+FFFF); anything else cannot appear in a document even escaped.
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const NAME = /^[A-Za-z_][A-Za-z0-9._:-]*$/;

export class InvalidXmlValue extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidXmlValue';
  }
}

function checkValue(value: string): string {
  if (FORBIDDEN_CHARS.test(value)) throw new InvalidXmlValue('value holds a control character that XML cannot carry');
  return value;
}

export function escapeText(value: string): string {
  return checkValue(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

export class XmlElement {
  private readonly attrs: Array<[string, string]> = [];
  readonly children: XmlChild[] = [];

  constructor(readonly name: string, attrs: Record<string, string | number | undefined> = {}, children: Array<XmlChild | undefined | false> = []) {
    if (!NAME.test(name)) throw new InvalidXmlValue(`not an XML element name: ${JSON.stringify(name)}`);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) this.attr(k, v);
    for (const c of children) if (c !== undefined && c !== false) this.children.push(c);
  }

  attr(name: string, value: string | number): this {
    if (!NAME.test(name)) throw new InvalidXmlValue(`not an XML attribute name: ${JSON.stringify(name)}`);
    this.attrs.push([name, String(value)]);
    return this;
  }

  add(...children: Array<XmlChild | undefined | false>): this {
    for (const c of children) if (c !== undefined && c !== false) this.children.push(c);
    return this;
  }

  /** Indented with two spaces; an element holding only text stays on one line. */
  toString(indent = ''): string {
    const attrs = this.attrs.map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join('');
    if (this.children.length === 0) return `${indent}<${this.name}${attrs}/>`;
    if (this.children.every((c) => typeof c === 'string')) {
      return `${indent}<${this.name}${attrs}>${this.children.map((c) => escapeText(c as string)).join('')}</${this.name}>`;
    }
    const inner = this.children.map((c) => (typeof c === 'string' ? `${indent}  ${escapeText(c)}` : c.toString(`${indent}  `)));
    return `${indent}<${this.name}${attrs}>\n${inner.join('\n')}\n${indent}</${this.name}>`;
  }
}

/** Shorthand: el('target', { dev: 'vda' }), el('name', {}, ['instance-00000001']). */
export function el(name: string, attrs: Record<string, string | number | undefined> = {}, children: Array<XmlChild | undefined | false> = []): XmlElement {
  return new XmlElement(name, attrs, children);
}
