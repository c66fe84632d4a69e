// Backward passes for training (StyleBank, Chen et al. 2017, with a VGG16 perceptual loss,
// Johnson et al. 2016). There is no autograd tape: the trainer runs the forward pass, keeps the
// tensors each backward function names, and calls these in reverse order (see
// Tests/TensorTests/GradientChainTests.swift for a complete encoder → decoder → loss network chain).
//
//   forward                          backward
//   Conv2D (valid, stride s)         conv2dBackward(input:weight:stride:gradOutput:…)   ConvBackward.swift
//                                      frozen layers: ConvInputGradient (wᵀ packed once)  ConvInputGradient.swift
//                                      reference:     conv2dBackwardReference             ConvBackwardReference.swift
//   UpsampledConv (×2, pad, 3×3/5×5) upsampledConvBackward (in the folded form)         UpsampledConvBackward.swift
//   replicatePad1                    replicatePad1Backward
//   pad2d (.zero / .reflect)         pad2dBackward                                      ShapeOpsBackward.swift
//   upsampleNearest                  upsampleNearestBackward
//   maxPool2x2                       maxPool2x2Backward(input:gradOutput:)
//   relu / sigmoid                   reluBackward / sigmoidBackward(output:gradOutput:)  ActivationBackward.swift
//   instanceNorm (+ activation)      instanceNormBackward(…, activation:)               InstanceNormBackward.swift
//   add                              (the gradient passes to both operands unchanged)
//
//   losses (value and gradient)      mseLoss, styleLoss, totalVariationLoss              Losses.swift
//   Gram matrices                    gramMatrix, gramBackward, gramMatrixReference       GramMatrix.swift
//   optimizer                        Adam (checkpointable state)                         ../Optim/Adam.swift
//
// Conventions: gradients have the shape of what they differentiate; sums that feed a loss value
// or a per-channel gradient are accumulated in double precision; multithreaded kernels give the
// same bits on any thread count except conv weight gradients, whose per-worker partial sums are
// reduced in worker order (same bits for the same thread count).
