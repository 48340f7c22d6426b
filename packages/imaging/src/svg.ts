/** Our own SVG drawings (network pictures) as PNG; never user input, so no pixel cap applies. */
import sharp from 'sharp';

/** Rasterises `svg` at its own pixel size (72 dpi, sharp's 1:1), on white, as a palette PNG. */
export function rasteriseSvg(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72, limitInputPixels: false })
    .flatten({ background: '#ffffff' })
    // a diagram has few colours: a palette PNG is half the bytes; effort 1 quantises in about half the time
    .png({ palette: true, effort: 1, compressionLevel: 6 })
    .toBuffer();
}
