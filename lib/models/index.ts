// torchnode.models: model builders.
export { ResNet, BasicBlock, Bottleneck, conv3x3, conv1x1, resnet18, resnet34, resnet50, resnet101, resnet152,
  resnet20, resnet32, resnet44, resnet56, resnet110, type ResNetOptions, type ResNetBuilderOptions, type Block } from './resnet.js';
