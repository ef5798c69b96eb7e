// The length of a run and where each update's data comes from. An epoch is the training samples in
// a seeded shuffled order (rng.ts), cut into micro-batches of `batch` samples (the last may be
// smaller); an update takes `gradAccum` consecutive micro-batches of one epoch (the last update of
// an epoch may take fewer). `steps > 0` fixes the number of updates, running through as many
// epochs as that needs; otherwise it is ceil(epochs × updates per epoch).
export interface StepPlan {
  microBatchesPerEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

export function planSteps(trainSamples: number, settings: { batch: number; gradAccum: number; epochs: number; steps: number }): StepPlan {
  const microBatchesPerEpoch = Math.ceil(trainSamples / settings.batch);
  const stepsPerEpoch = Math.ceil(microBatchesPerEpoch / settings.gradAccum);
  const totalSteps = settings.steps > 0 ? settings.steps : Math.max(1, Math.ceil(settings.epochs * stepsPerEpoch));
  return { microBatchesPerEpoch, stepsPerEpoch, totalSteps };
}
