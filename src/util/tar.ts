/**
 * The few lines of POSIX ustar a backup needs: regular files only, names under 100 bytes, read back by this module or
 * by any `tar` (`tar -tzf backup.tar.gz` lists a backup). No dependency for ~60 lines of a stable format.
 */

export interface TarEntry {
  name: string;
  body: Buffer;
  mode: number;
}

const BLOCK = 512;

function header(entry: TarEntry, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length >= 100) throw new Error(`tar: name too long: ${entry.name}`);
  name.copy(h, 0);
  const octal = (value: number, offset: number, width: number) => h.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, 'ascii');
  octal(entry.mode, 100, 8);
  octal(0, 108, 8); // uid
  octal(0, 116, 8); // gid
  octal(entry.body.length, 124, 12);
  octal(Math.floor(mtime / 1000), 136, 12);
  h.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\0' + '00', 257, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

export function packTar(entries: TarEntry[], mtime = Date.now()): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e, mtime), e.body, Buffer.alloc((BLOCK - (e.body.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2)); // end of archive
  return Buffer.concat(parts);
}

export function unpackTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const h = archive.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    const field = (start: number, len: number) =>
      h
        .subarray(start, start + len)
        .toString('ascii')
        .replace(/\0.*$/s, '')
        .trim();
    const stored = parseInt(field(148, 8), 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (stored !== sum) throw new Error('tar: bad header checksum (not a backup file, or a damaged one)');
    const size = parseInt(field(124, 12), 8);
    const type = field(156, 1);
    const start = offset + BLOCK;
    if (start + size > archive.length) throw new Error('tar: truncated archive');
    if (type === '0' || type === '') {
      entries.push({
        name: h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, ''),
        body: Buffer.from(archive.subarray(start, start + size)),
        mode: parseInt(field(100, 8), 8),
      });
    }
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
