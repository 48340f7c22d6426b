/**
 * @digits-ts/dataset — DIGITS' on-disk dataset formats: Caffe protobufs, LMDB environments
 * (liblmdb 0.9 format, readable by Caffe/py-lmdb), the mean image, parse-folder and list files.
 * Knows bytes and pixels only: no image decoding, no queues, no tensors.
 */
export * from './caffe.ts';
export * from './random.ts';
export * from './mean.ts';
export * from './list-files.ts';
export * from './parse-folder.ts';
export { DATA_FILE, LOCK_FILE, WRITE_BATCH_SIZE, WRITE_BUFFER_BYTES, createDbWriter, formatDatumKey, formatSequenceKey, labelOfDatumKey, type DbWriter } from './lmdb-store.ts';
export { openDbReader, type DbEntry, type DbReader, type DbStat, type EntriesOptions } from './lmdb-reader.ts';
export { openDbIndex, type DbIndex } from './lmdb-index.ts';
export { readDatasetManifest, stageDbPath, writeDatasetManifest } from './manifest.ts';
export { readDbPage, type DbPage, type DbPageOptions } from './db-page.ts';
