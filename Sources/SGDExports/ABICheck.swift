import CSGDSwift

// Compile-time proof that every @_cdecl function has exactly the type sgdswift.h declares for its
// symbol: `inout` forbids every conversion, so any drift in a parameter, a return type or a
// pointer's nullability is a build error here instead of silent memory corruption at run time.
private func requireSameType<F>(_ header: inout F, _ export: inout F) {}

private func checkExportsMatchHeader() {
    var h0 = sgd_runtime_self_test, e0 = exportRuntimeSelfTest
    requireSameType(&h0, &e0)
    var h1 = sgd_network_create, e1 = exportNetworkCreate
    requireSameType(&h1, &e1)
    var h2 = sgd_network_destroy, e2 = exportNetworkDestroy
    requireSameType(&h2, &e2)
    var h3 = sgd_network_parameters, e3 = exportNetworkParameters
    requireSameType(&h3, &e3)
    var h4 = sgd_network_predict, e4 = exportNetworkPredict
    requireSameType(&h4, &e4)
    var h5 = sgd_network_evaluate, e5 = exportNetworkEvaluate
    requireSameType(&h5, &e5)
    var h6 = sgd_network_gradient, e6 = exportNetworkGradient
    requireSameType(&h6, &e6)
    var h7 = sgd_network_fit, e7 = exportNetworkFit
    requireSameType(&h7, &e7)
    var h8 = sgd_optimizer_create, e8 = exportOptimizerCreate
    requireSameType(&h8, &e8)
    var h9 = sgd_optimizer_destroy, e9 = exportOptimizerDestroy
    requireSameType(&h9, &e9)
    var h10 = sgd_optimizer_info, e10 = exportOptimizerInfo
    requireSameType(&h10, &e10)
    var h11 = sgd_optimizer_set_learning_rate, e11 = exportOptimizerSetLearningRate
    requireSameType(&h11, &e11)
    var h12 = sgd_optimizer_reset, e12 = exportOptimizerReset
    requireSameType(&h12, &e12)
    var h13 = sgd_optimizer_step, e13 = exportOptimizerStep
    requireSameType(&h13, &e13)
    var h14 = sgd_optimizer_get_state, e14 = exportOptimizerGetState
    requireSameType(&h14, &e14)
    var h15 = sgd_optimizer_restore, e15 = exportOptimizerRestore
    requireSameType(&h15, &e15)
    var h16 = sgd_get_thread_count, e16 = exportGetThreadCount
    requireSameType(&h16, &e16)
    var h17 = sgd_set_thread_count, e17 = exportSetThreadCount
    requireSameType(&h17, &e17)
    var h18 = sgd_max_threads, e18 = exportMaxThreads
    requireSameType(&h18, &e18)
    var h19 = sgd_optimizer_learning_rate, e19 = exportOptimizerLearningRate
    requireSameType(&h19, &e19)
    var h20 = sgd_instruction_set, e20 = exportInstructionSet
    requireSameType(&h20, &e20)
    var h21 = sgd_detected_instruction_set, e21 = exportDetectedInstructionSet
    requireSameType(&h21, &e21)
    var h22 = sgd_matrix_engine, e22 = exportMatrixEngine
    requireSameType(&h22, &e22)
    var h23 = sgd_matrix_kernels, e23 = exportMatrixKernels
    requireSameType(&h23, &e23)
    var h24 = sgd_small_product_kernels, e24 = exportSmallProductKernels
    requireSameType(&h24, &e24)
}
