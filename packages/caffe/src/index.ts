/**
 * Network definition texts as data (DIGITS' `custom_network`, §8.1): Caffe prototxt (the
 * text-format grammar, NetParameter reading, Caffe's stage rules and the form-time check), the
 * detector that tells prototxt from layers JSON and refuses Lua/Python, and the layers topology
 * inside a JSON one. A package of its own because the gateway's form check, the ml builders and
 * the worker's drawing all read these texts, and none of it is shared vocabulary. Building TF.js
 * models from them is the ml package's.
 */
export { CAFFE_COMPUTE_TYPES, CAFFE_FEED_TYPES, CAFFE_LABEL_TYPES, CAFFE_LAYER_TYPES, CAFFE_POSTPROCESS_TYPES, prototxtProblem } from './check.ts';
export { declaredInputShape, trainableCaffeText, withClassifierWidth } from './deploy.ts';
export { layerError, parseCaffeNet, type CaffeLayer, type CaffeNet, type NetStateRule, type ParamSpec, type Phase } from './net.ts';
export { badNetwork, FIELDS, ParamReader } from './params.ts';
export { DIGITS_STATES, DIGITS_STAGES, filterNet, layerIncluded, stateMeetsRule, type DigitsStage, type NetState } from './phase.ts';
export {
  fieldValues, parsePrototxt, PrototxtSyntaxError, type PrototxtMessage, type PrototxtScalar, type PrototxtValue, type TextPosition,
} from './prototxt.ts';
export { detectNetworkFormat, layersTopologyOf, looksLikePrototxt, readLayersTopology, type DetectedFormat, type NetworkFormat } from './network-format.ts';
