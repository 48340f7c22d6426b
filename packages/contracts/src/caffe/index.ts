/**
 * Caffe network descriptions as data (prototxt, DIGITS' `custom_network` for Caffe): the text-format
 * grammar, NetParameter reading, Caffe's stage rules and the form-time check. Building TF.js models
 * from them is the ml package's.
 */
export { CAFFE_COMPUTE_TYPES, CAFFE_FEED_TYPES, CAFFE_LABEL_TYPES, CAFFE_LAYER_TYPES, prototxtProblem } from './check.ts';
export { layerError, parseCaffeNet, type CaffeLayer, type CaffeNet, type NetStateRule, type ParamSpec, type Phase } from './net.ts';
export { badNetwork, FIELDS, ParamReader } from './params.ts';
export { DIGITS_STATES, DIGITS_STAGES, filterNet, layerIncluded, stateMeetsRule, type DigitsStage, type NetState } from './phase.ts';
export {
  fieldValues, parsePrototxt, PrototxtSyntaxError, type PrototxtMessage, type PrototxtScalar, type PrototxtValue, type TextPosition,
} from './prototxt.ts';
