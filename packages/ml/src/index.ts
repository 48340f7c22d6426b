/**
 * @digits-ts/ml — TF.js backend selection, DIGITS' standard networks, the training loop,
 * snapshots. Knows tensors and LMDB Datums; no queues, no HTTP, no image codecs.
 */
export { BACKEND_CHOICES, backendInfo, initBackend, tf, tfl, webgpuSkipReason, type BackendChoice, type BackendInfo } from './tf.ts';
export { releaseCachedBuffers } from './webgpu/memory.ts';
export { onGpuLost } from './webgpu/backend.ts';
export { gpuSelection, type GpuAdapter, type GpuSelection, type GpuTarget } from './webgpu/dawn.ts';
export { buildStandardNetwork, standardNetworkJson, isStandardNetwork, minimumInputSize, STANDARD_NETWORKS, type BuiltNetwork, type StandardNetwork } from './networks/index.ts';
export { buildCustomNetwork } from './train/custom-network.ts';
export { buildCaffeNetwork, caffeNetworkGraph, LAYER_FACTORIES, type CaffeBuildOptions } from './networks/index.ts';
export { loadCaffeWeights, readCaffeModel, type CaffeBlob, type CaffeModel, type CaffeModelLayer, type CaffeWeightsResult } from './networks/index.ts';
export { loadPreviousWeights } from './train/fine-tune.ts';
export { loadSamples, type DecodeImages, type ImageShape, type Samples, type SplitInfo } from './batches/samples.ts';
export { inMemoryBytes, isStreamed, streamedSplit, READ_AHEAD_BATCHES, type DecoderModule, type StreamedSplit } from './batches/stream.ts';
export { openBatchSource, type Ahead, type BatchSource, type Split } from './batches/source.ts';
export { ReadAhead } from './batches/read-ahead.ts';
export { loadMean, type MeanMode } from './batches/mean.ts';
export { fillBatch, inputShapeOf, type BatchOptions } from './batches/fill.ts';
export { scheduleOf, epochOf, type Schedule } from './train/schedule.ts';
export { createOptimizer, disposeOptimizer, setLearningRate } from './train/optimizers.ts';
export { loadModel, readSnapshotMetadata, saveModel, MODEL_FILE, WEIGHTS_FILE } from './train/snapshot.ts';
export { evaluate } from './train/evaluate.ts';
export { CHECKPOINT_DIR, readCheckpointInfo, type CheckpointInfo } from './train/checkpoint.ts';
export { snapshotDirName, train, type OutputValues, type TrainHooks, type TrainResult, type TrainSetup } from './train/trainer.ts';
export { blobLayout, classifySamples, forwardSamples, nestedList, type SampleOutput, inferenceBatchOptions, inferenceBatchSize, inputTensor, rankClasses, type InputPreparation } from './infer/classify.ts';
export { visualizeLayers, type LayerVisualization, type TensorStats } from './infer/visualize.ts';
export { layersTopologyGraph, networkDot, networkSvg, pngSizedSvg } from './networks/draw.ts';
export type { GraphLayer, NetworkGraph } from './networks/graph.ts';
export { clusterDetections, detectionMetrics, groupRectangles, iou, scoreDetections, type Box, type ClusterParams, type DetectionCounts } from './detection/boxes.ts';
export { detectionTargets, LABEL_ROW, truthBoxes, type DetectionTarget, type TargetParams } from './detection/targets.ts';
export { clusterOutputs, type ClusterStep, type DetectionSpec } from './detection/spec.ts';
