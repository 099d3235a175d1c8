// The app's PNG icons, drawn here and written with node:zlib (no image library, nothing downloaded):
// a warm rounded square with a little piano roll on it. `node web/tools/icons.mjs DIR` writes them.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** PNG bytes of RGBA pixels (Uint8Array, width * height * 4). */
export function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Signed distance to a rounded rectangle centred at (cx, cy) with half sizes (hw, hh), radius r.
function roundRect(x, y, cx, cy, hw, hh, r) {
  const qx = Math.abs(x - cx) - hw + r, qy = Math.abs(y - cy) - hh + r;
  const ox = Math.max(qx, 0), oy = Math.max(qy, 0);
  return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0) - r;
}

const lerp = (a, b, t) => a + (b - a) * t;

/**
 * Draws the icon at `size` pixels: {maskable: true} fills the whole square (the platform masks it)
 * and keeps the drawing inside the central safe zone.
 */
export function drawIcon(size, { maskable = false } = {}) {
  const rgba = new Uint8Array(size * size * 4);
  const top = [251, 191, 36], bottom = [180, 83, 9];
  const scale = maskable ? 0.72 : 1;
  // Notes of a short melody, in units of the 16 x 16 icon grid: [step, pitch row, length].
  const notes = [[3, 10, 3], [6, 8, 2], [8, 6, 2], [10, 8, 1.5], [11.5, 5, 2]];
  const SS = 4; // supersampling per axis
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const x = (px + (sx + 0.5) / SS) / size, y = (py + (sy + 0.5) / SS) / size;
          const inside = maskable || roundRect(x, y, 0.5, 0.5, 0.46, 0.46, 0.2) <= 0;
          if (!inside) continue;
          let cr = lerp(top[0], bottom[0], y), cg = lerp(top[1], bottom[1], y), cb = lerp(top[2], bottom[2], y);
          // Icon-grid coordinates around the centre (scaled into the safe zone when maskable).
          const gx = ((x - 0.5) / scale + 0.5) * 16, gy = ((y - 0.5) / scale + 0.5) * 16;
          // Faint bar lines of a piano roll.
          const bar = Math.abs(gx - 4 * Math.round(gx / 4));
          if (bar < 0.08 && gx > 2 && gx < 14 && gy > 2.5 && gy < 13.5) {
            cr = lerp(cr, 255, 0.35);
            cg = lerp(cg, 255, 0.35);
            cb = lerp(cb, 255, 0.35);
          }
          for (let k = 0; k < notes.length; k++) {
            const [step, row, len] = notes[k];
            if (roundRect(gx, gy, step + len / 2, row + 0.55, len / 2 - 0.1, 0.55, 0.35) <= 0) {
              cr = 255;
              cg = 251;
              cb = 240;
            }
          }
          r += cr;
          g += cg;
          b += cb;
          a += 255;
        }
      }
      const n = SS * SS;
      const o = (py * size + px) * 4;
      const cover = a / n / 255;
      rgba[o] = cover ? Math.round(r / n / cover) : 0;
      rgba[o + 1] = cover ? Math.round(g / n / cover) : 0;
      rgba[o + 2] = cover ? Math.round(b / n / cover) : 0;
      rgba[o + 3] = Math.round(a / n);
    }
  }
  return encodePng(size, size, rgba);
}

/** Writes the icon set into `dir`; returns the file names. */
export function writeIcons(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    'icon-192.png': drawIcon(192),
    'icon-512.png': drawIcon(512),
    'maskable-512.png': drawIcon(512, { maskable: true }),
    'apple-touch-icon.png': drawIcon(180, { maskable: true }),
  };
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return Object.keys(files);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] || 'icons';
  console.log(writeIcons(dir).map((f) => path.join(dir, f)).join('\n'));
}
