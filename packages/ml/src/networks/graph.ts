/**
 * A network as a picture sees it, whatever format it came in: layers in definition order, each
 * reading `bottoms` blobs and writing `tops` blobs (Caffe's model; a TF.js layer writes one blob
 * named after itself). `POST /models/visualize-network` renders this.
 */
export interface GraphLayer {
  name: string;
  /** Caffe type (`Convolution`) or TF.js class name (`Conv2D`). */
  type: string;
  /** Short parameter lines shown in the box, e.g. `kernel 5×5 stride 1`, `20 outputs`. */
  detail: string[];
  bottoms: string[];
  tops: string[];
}

export interface NetworkGraph {
  name: string;
  layers: GraphLayer[];
}
