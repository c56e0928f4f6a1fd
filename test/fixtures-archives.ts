// Raw archive builders for tests: they write exactly the bytes asked for, hostile ones included
// (node-tar and the zip CLI would sanitise names, drop links or fix sizes).
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

export interface RawTarEntry {
  /** Written as given into the ustar name field (at most 100 bytes). */
  name: string;
  /** '0' file, '1' hard link, '2' symlink, '3' char device, '4' block device, '5' directory, '6' FIFO. */
  type?: string;
  data?: string | Buffer;
  /** Declared size, when it should differ from the data's. */
  size?: number;
  linkname?: string;
  mode?: number;
  /** PAX records for a preceding 'x' header (e.g. a path with a NUL). */
  pax?: Record<string, string>;
  /** Corrupt the header checksum. */
  badChecksum?: boolean;
}

export interface RawTarOptions {
  /** Append the two zero blocks that end an archive (default true). */
  end?: boolean;
  /** Bytes after the end-of-archive blocks. */
  trailing?: Buffer;
}

export function rawTar(entries: RawTarEntry[], opts: RawTarOptions = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.pax) {
      const body = Buffer.from(
        Object.entries(e.pax)
          .map(([k, v]) => paxRecord(k, v))
          .join(''),
      );
      parts.push(header({ name: 'PaxHeader', type: 'x', size: body.length }), pad(body));
    }
    const data = Buffer.from(e.data ?? '');
    parts.push(header({ ...e, size: e.size ?? data.length }), pad(data));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  if (opts.trailing) parts.push(opts.trailing);
  return Buffer.concat(parts);
}

export function rawTgz(entries: RawTarEntry[], opts: RawTarOptions = {}): Buffer {
  return gzipSync(rawTar(entries, opts));
}

function header(e: RawTarEntry & { size: number }): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name, 0, 100, 'utf8');
  h.write(`${(e.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${e.size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.fill(0x20, 148, 156);
  h.write(e.type ?? '0', 156, 'latin1');
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  if (e.badChecksum) sum += 1;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function pad(b: Buffer): Buffer {
  const rest = (512 - (b.length % 512)) % 512;
  return rest === 0 ? b : Buffer.concat([b, Buffer.alloc(rest)]);
}

function paxRecord(k: string, v: string): string {
  const rest = Buffer.byteLength(` ${k}=${v}\n`);
  let len = rest + String(rest).length;
  while (String(len).length + rest !== len) len = rest + String(len).length;
  return `${len} ${k}=${v}\n`;
}

export interface RawZipEntry {
  /** Raw name bytes (UTF-8 flag set). */
  name: string | Buffer;
  data?: string | Buffer;
  /** st_mode stored in the high 16 bits of the external attributes, file type included (default 0o100644). */
  mode?: number;
  /** 8 = deflate, 0 = stored (default). */
  method?: 0 | 8;
  /** Declared uncompressed size, when it should lie. */
  size?: number;
  /** Set the UTF-8 name flag (default true). */
  utf8?: boolean;
}

/** A zip with local headers, a central directory and an end record; no zip64, no data descriptors. */
export function rawZip(entries: RawZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const data = Buffer.from(e.data ?? '');
    const method = e.method ?? 0;
    const stored = method === 8 ? deflateRawSync(data) : data;
    const crc = crc32(data) >>> 0;
    const size = e.size ?? data.length;
    const flags = e.utf8 === false ? 0 : 0x0800;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, stored);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + stored.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
