/** Drift statistics between a reference and a current sample or histogram. Pure. */
export { chiSquareHomogeneity, chiSquareSurvival } from "./chi-square.js";
export { benjaminiHochberg } from "./fdr.js";
export { jensenShannonDistance } from "./jensen-shannon.js";
export { ksPValue, ksStatistic, ksStatisticFromBins } from "./kolmogorov-smirnov.js";
export { populationStabilityIndex } from "./psi.js";
export { normalisedWasserstein, wassersteinDistance, wassersteinFromBins, type BinnedSample } from "./wasserstein.js";
