import SGDNumerics

// This module is compiled once per instruction set (Package.swift); these are its tables. Passing the
// generic functions at concrete types here is what makes the compiler specialise (and vectorise) them
// for this module's target.

public let floatKernels = ElementwiseKernels<Float>(
    activate: activate, backpropagate: backpropagate, update: update, allFinite: allFinite, extremes: extremes,
    addSparseRowProduct: addSparseRowProduct, scatterSparseRow: scatterSparseRow)

public let doubleKernels = ElementwiseKernels<Double>(
    activate: activate, backpropagate: backpropagate, update: update, allFinite: allFinite, extremes: extremes,
    addSparseRowProduct: addSparseRowProduct, scatterSparseRow: scatterSparseRow)
