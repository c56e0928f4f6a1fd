// Deterministic ustar headers. node-tar copies host facts (uid, uname, mtime, umask-dependent modes) into headers;
// here every field is a function of the path, the size and the exec bit only, so one tree always gives one byte string.

export const BLOCK = 512;
/** 2000-01-01T00:00:00Z: fixed, and late enough that zip converters and make do not choke on it. */
export const TAR_MTIME = 946_684_800;
/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK);

const MAX_OCTAL_SIZE = 0o77777777777; // what 11 octal digits hold: 8 GiB - 1
const PAX_NAME = '././@PaxHeader';

/** Zero bytes needed after `size` bytes of content to reach a block boundary. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The header blocks of one regular file: a PAX extended header when needed, then the ustar header. */
export function fileHeader(path: string, size: number, exec: boolean): Buffer {
  const ascii = !/[^\x20-\x7e]/.test(path);
  const split = ascii ? splitUstar(path) : undefined;
  const pax: Array<[string, string]> = [];
  // Non-ASCII names always get a PAX path, so readers decode them as UTF-8 whatever their locale.
  if (!split) pax.push(['path', path]);
  if (size > MAX_OCTAL_SIZE) pax.push(['size', String(size)]);
  const fields = split ?? fallbackName(path);
  const main = ustar(fields.name, fields.prefix, exec ? 0o755 : 0o644, size > MAX_OCTAL_SIZE ? 0 : size, '0');
  if (pax.length === 0) return main;
  const body = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(''), 'utf8');
  const ext = ustar(PAX_NAME, '', 0o644, body.length, 'x');
  return Buffer.concat([ext, body, Buffer.alloc(padding(body.length)), main]);
}

/** `<len> <key>=<value>\n`, where len counts the whole record including its own digits. */
export function paxRecord(key: string, value: string): string {
  const rest = Buffer.byteLength(` ${key}=${value}\n`);
  let len = rest + String(rest).length;
  while (String(len).length + rest !== len) len = rest + String(len).length;
  return `${len} ${key}=${value}\n`;
}

/** Splits an ASCII path into ustar prefix (≤155) and name (≤100) at a '/', the shortest prefix that works. */
export function splitUstar(path: string): { name: string; prefix: string } | undefined {
  if (path.length <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    if (path.length - i - 1 > 100) continue;
    if (i > 155 || i === path.length - 1) return undefined;
    return { name: path.slice(i + 1), prefix: path.slice(0, i) };
  }
  return undefined;
}

/** What a reader without PAX support sees: the path in ASCII, cut to fit. The PAX path is the real name. */
function fallbackName(path: string): { name: string; prefix: string } {
  const ascii = path.replace(/[^\x20-\x7e]/g, '_');
  return splitUstar(ascii) ?? { name: ascii.slice(-100), prefix: '' };
}

function ustar(name: string, prefix: string, mode: number, size: number, type: string): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, TAR_MTIME);
  h.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  h.write(type, 156, 1, 'latin1');
  h.write('ustar\u000000', 257, 8, 'latin1');
  // uname and gname (265, 297) stay empty: no host names.
  octal(h, 329, 8, 0); // devmajor
  octal(h, 337, 8, 0); // devminor
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return h;
}

function octal(h: Buffer, off: number, len: number, value: number): void {
  h.write(value.toString(8).padStart(len - 1, '0'), off, len - 1, 'latin1');
  h[off + len - 1] = 0;
}
