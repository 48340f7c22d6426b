/**
 * Writes packages/imaging/assets/sample.jpg, the picture `resize-example` resizes (contract
 * §11.7): a 400×300 landscape drawn from an SVG (gradients and shapes, no text, so no font is
 * involved), with seeded grain so it compresses and resizes like a photo. Same bytes every run
 * on the same sharp/libvips: `npx tsx scripts/sample-image.ts`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createRandom } from '@digits-ts/dataset';

const WIDTH = 400;
const HEIGHT = 300;
const SEED = 117;
/** Grain amplitude (± grey levels). */
const GRAIN = 10;
const OUT = fileURLToPath(new URL('../packages/imaging/assets/sample.jpg', import.meta.url));

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#1d3f8c"/><stop offset="0.6" stop-color="#f08a4b"/><stop offset="1" stop-color="#ffd27f"/>
    </linearGradient>
    <radialGradient id="sun" cx="0.5" cy="0.5" r="0.5">
      <stop offset="0" stop-color="#fffbe0"/><stop offset="0.6" stop-color="#ffe27a"/><stop offset="1" stop-color="#ffb347" stop-opacity="0"/>
    </radialGradient>
    <linearGradient id="far" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#6d5a8e"/><stop offset="1" stop-color="#3c3a63"/>
    </linearGradient>
    <linearGradient id="near" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#2f5d3a"/><stop offset="1" stop-color="#16301d"/>
    </linearGradient>
    <linearGradient id="lake" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#f3a76b"/><stop offset="0.4" stop-color="#3b5f9e"/><stop offset="1" stop-color="#142850"/>
    </linearGradient>
  </defs>
  <rect width="${WIDTH}" height="${HEIGHT}" fill="url(#sky)"/>
  <circle cx="285" cy="150" r="70" fill="url(#sun)"/>
  <polygon points="0,190 60,120 110,160 170,95 240,170 300,130 360,175 400,150 400,215 0,215" fill="url(#far)"/>
  <polygon points="0,215 40,170 95,205 150,150 215,212 400,212 400,230 0,230" fill="url(#near)"/>
  <rect y="212" width="${WIDTH}" height="${HEIGHT - 212}" fill="url(#lake)"/>
  <ellipse cx="285" cy="228" rx="60" ry="6" fill="#ffe9a8" opacity="0.7"/>
  <ellipse cx="285" cy="244" rx="40" ry="3" fill="#ffe9a8" opacity="0.5"/>
  <g fill="#0d1f12">
    <polygon points="20,260 35,200 50,260"/><polygon points="45,268 62,190 79,268"/>
    <polygon points="330,262 346,205 362,262"/><polygon points="355,270 374,185 393,270"/>
  </g>
  <rect x="0" y="262" width="${WIDTH}" height="38" fill="#1b2a1a"/>
  <path d="M120,285 q20,-14 40,0 t40,0" stroke="#e9e2c8" stroke-width="3" fill="none"/>
  <circle cx="90" cy="60" r="2" fill="#ffffff"/><circle cx="150" cy="35" r="1.5" fill="#ffffff"/><circle cx="40" cy="80" r="1.5" fill="#ffffff"/>
</svg>`;

/** Adds seeded uniform grain to every sample of an RGB buffer. */
function addGrain(pixels: Buffer): Buffer {
  const random = createRandom(SEED);
  const out = Buffer.alloc(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = Math.min(255, Math.max(0, pixels[i]! + Math.round((random() * 2 - 1) * GRAIN)));
  return out;
}

const { data, info } = await sharp(Buffer.from(SVG)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
await sharp(addGrain(data), { raw: { width: info.width, height: info.height, channels: 3 } })
  .blur(0.6)
  .jpeg({ quality: 85 })
  .toFile(OUT);
console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
