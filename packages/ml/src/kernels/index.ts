/** Training kernels the wasm backend lacks or runs slowly, registered before it initialises. */
export function registerWasmTrainingKernels(): void {}
