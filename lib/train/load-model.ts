// loadModel lives with the models (lib/models/load-model.ts); train re-exports it.
export { loadModel, type LoadModelOptions } from '../models/load-model.js';
