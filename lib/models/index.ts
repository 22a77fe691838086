// torchnode.models: model builders, every one by name, and models loaded from weights files.
export { ResNet, BasicBlock, Bottleneck, conv3x3, conv1x1, resnet18, resnet34, resnet50, resnet101, resnet152,
  resnet20, resnet32, resnet44, resnet56, resnet110, type ResNetOptions, type ResNetBuilderOptions, type Block } from './resnet.js';
export { getModel, isModelName, MODEL_NAMES, IMAGENET_MODELS, CIFAR_MODELS, type GetModelOptions, type ModelName } from './registry.js';
export { loadModel, readModelInfo, modelMetadata, type LoadModelOptions, type ModelInfo, type ModelInfoOptions } from './load-model.js';
